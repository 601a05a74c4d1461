/**
 * The Node side of src/wasm/threads.ts: worker_threads and the machine's core count. threads.ts imports this file by
 * a computed specifier, so that a page's bundle holds nothing of Node's.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export { availableParallelism };

/** How the worker program of threads.ts receives and replies in Node. */
const PROLOGUE = `const { parentPort } = require('node:worker_threads');
const receive = (handler) => parentPort.on('message', handler);
const reply = (message) => parentPort.postMessage(message);
const close = () => parentPort.close();
`;

/** A worker that runs the program `source`, and lets the process exit while it waits. */
export function startWorker(source: string) {
  const worker = new Worker(PROLOGUE + source, { eval: true });
  worker.unref();
  return {
    postMessage: (message: unknown) => worker.postMessage(message),
    onReply: (handler: (message: { attached: number }) => void) => void worker.on('message', handler),
    terminate: () => void worker.terminate(),
  };
}
