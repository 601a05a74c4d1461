/**
 * Worker threads that run the wasm kernels beside the calling thread, on memories they share with it: worker_threads
 * in Node, Web Workers in a cross-origin-isolated page. A job is one kernel call split into `parts`, which the caller
 * and the workers claim one at a time from a shared counter; the caller returns once every part is done. So the caller
 * never waits for a worker that has not started a part: a worker that is asleep, slow to wake or gone leaves its parts
 * to the others. Jobs go through a small shared control block (no messages), so a job costs a futex wake, not an
 * event-loop turn; messages only attach a session's memory to the workers and detach it.
 */

/** What a worker needs to run kernels on a memory: the compiled module, and the memory it imports. */
interface Attach {
  attach: number;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

// Control block (Int32): [0] job generation, [1] the job's claim word, [2] parts done, [3] memory id, [4] kernel index
// (-1: stop), [5] argument count, [6] parts, [7] set when a worker's part failed; arguments as float64 from byte 64.
// The claim word is the generation's low 23 bits above the parts claimed so far (8 bits), so that a claim made with a
// finished job's generation fails, and a thread never runs a part of a job it did not read.
const GENERATION = 0;
const CLAIM = 1;
const DONE = 2;
const MEMORY = 3;
const KERNEL = 4;
const ARG_COUNT = 5;
const PARTS = 6;
const FAILED = 7;
const ARGS_BYTE = 64;
const MAX_ARGS = 16;
const PART_BITS = 8;
const TAG_MASK = 0x7fffff;
/** The most threads a pool runs (parts fit the claim word's low bits). */
export const MAX_THREADS = 2 ** PART_BITS - 1;
/** How long the caller waits for the workers' parts before it calls the pool broken (a kernel part takes ms). */
const STALL_MS = 60_000;

/**
 * The worker's program, as text so that it runs the same from the TypeScript sources (tests), the built package and a
 * bundled page, after a prologue that defines receive(handler), reply(message) and close() (which lets the worker end)
 * for its platform: it blocks on the control block for at most WAIT_MS at a time, then lets its event loop take attach
 * and detach messages; told to stop, it closes its port, so it ends on its own.
 */
const WORKER_SOURCE = `
const WAIT_MS = 20;
const instances = new Map();
let control = null;
let names = [];
receive((message) => {
  if (message.start) {
    ({ names, control } = message.start);
    loop();
  } else if (message.attach !== undefined) {
    const kernels = new WebAssembly.Instance(message.module, { env: { memory: message.memory } }).exports;
    instances.set(message.attach, kernels);
    reply({ attached: message.attach });
  } else if (message.detach !== undefined) {
    instances.delete(message.detach);
  }
});
async function loop() {
  const ctl = new Int32Array(control);
  const args = new Float64Array(control, ${ARGS_BYTE}, ${MAX_ARGS});
  let seen = 0;
  for (;;) {
    if (Atomics.wait(ctl, ${GENERATION}, seen, WAIT_MS) === 'timed-out') {
      await new Promise((resolve) => setTimeout(resolve, 0));
      continue;
    }
    seen = Atomics.load(ctl, ${GENERATION});
    if (ctl[${KERNEL}] < 0) return close();
    const tag = (seen & ${TAG_MASK}) << ${PART_BITS};
    const [memory, kernel, parts] = [ctl[${MEMORY}], ctl[${KERNEL}], ctl[${PARTS}]];
    const values = Array.from(args.subarray(0, ctl[${ARG_COUNT}]));
    for (let part = claim(ctl, tag, parts); part >= 0; part = claim(ctl, tag, parts)) {
      try {
        instances.get(memory)[names[kernel]](...values, part, parts);
      } catch (error) {
        Atomics.store(ctl, ${FAILED}, 1);
        console.error(error);
      }
      if (Atomics.add(ctl, ${DONE}, 1) === parts - 1) Atomics.notify(ctl, ${DONE});
    }
  }
}
function claim(ctl, tag, parts) {
  for (;;) {
    const word = Atomics.load(ctl, ${CLAIM});
    const part = word & ${MAX_THREADS};
    if (word - part !== tag || part >= parts) return -1;
    if (Atomics.compareExchange(ctl, ${CLAIM}, word, word + 1) === word) return part;
  }
}
`;

/**
 * The next unclaimed part of the job whose claim word starts with `tag`, now this thread's; -1 where every part is
 * claimed or the job is no longer the current one. (The workers' program has its own copy, as text.)
 */
function claim(ctl: Int32Array, tag: number, parts: number): number {
  for (;;) {
    const word = Atomics.load(ctl, CLAIM);
    const part = word & MAX_THREADS;
    if (word - part !== tag || part >= parts) return -1;
    if (Atomics.compareExchange(ctl, CLAIM, word, word + 1) === word) return part;
  }
}

/** A started worker, whichever kind the platform has. */
interface WorkerLike {
  postMessage(message: unknown): void;
  onReply(handler: (message: { attached: number }) => void): void;
  terminate(): void;
}

type NodeThreads = typeof import('./node-threads.js');

function isNode(): boolean {
  return typeof globalThis.process?.versions?.node === 'string';
}

/** Node's worker_threads and core count; a computed specifier keeps bundlers from pulling node: modules into a page. */
function nodeThreads(): Promise<NodeThreads> {
  const specifier = './node-threads.js';
  return import(/* @vite-ignore */ specifier);
}

async function startWorker(): Promise<WorkerLike> {
  if (isNode()) return (await nodeThreads()).startWorker(WORKER_SOURCE);
  const prologue =
    'const receive = (handler) => { self.onmessage = (event) => handler(event.data); };\n' +
    'const reply = (message) => self.postMessage(message);\n' +
    'const close = () => self.close();\n';
  const url = URL.createObjectURL(new Blob([prologue + WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  URL.revokeObjectURL(url);
  return {
    postMessage: (message) => worker.postMessage(message),
    onReply: (handler) => worker.addEventListener('message', (event) => handler(event.data)),
    terminate: () => worker.terminate(),
  };
}

/** Whether this platform can run kernels on threads: shared memory, and Atomics.wait in workers. */
export function threadsAvailable(): boolean {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  return isNode() || (globalThis.crossOriginIsolated === true && typeof Worker === 'function');
}

/** The threads a machine has, for the default size of a pool (Node 20 has no navigator). */
export async function hardwareThreads(): Promise<number> {
  if (isNode()) return (await nodeThreads()).availableParallelism();
  return Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1);
}

export class ThreadPool {
  private readonly control = new SharedArrayBuffer(ARGS_BYTE + 8 * MAX_ARGS);
  private readonly ctl = new Int32Array(this.control);
  private readonly args = new Float64Array(this.control, ARGS_BYTE, MAX_ARGS);
  private readonly pending = new Map<number, { left: number; done: () => void }>();
  private nextMemory = 1;
  /** Why the pool takes no more jobs, once a part has stalled. */
  private broken = '';
  /** The caller may block in Atomics.wait: Node's main thread may, a page's main thread may not (it spins). */
  private readonly canBlock = isNode();

  private constructor(
    private readonly workers: WorkerLike[],
    private readonly names: readonly string[],
  ) {
    for (const worker of workers) {
      worker.onReply(({ attached }) => {
        const entry = this.pending.get(attached);
        if (entry && --entry.left === 0) {
          this.pending.delete(attached);
          entry.done();
        }
      });
    }
  }

  /** A pool of `threads` − 1 workers (the caller is the other thread) that run the kernels `names`. */
  static async start(threads: number, names: readonly string[]): Promise<ThreadPool> {
    const workers = await Promise.all(Array.from({ length: threads - 1 }, startWorker));
    const pool = new ThreadPool(workers, names);
    for (const worker of workers) worker.postMessage({ start: { control: pool.control, names } });
    return pool;
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** Lets the workers run kernels on `memory`; resolves to the id that run() takes, once every worker has it. */
  async attach(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<number> {
    const id = this.nextMemory++;
    const attached = new Promise<void>((done) => this.pending.set(id, { left: this.workers.length, done }));
    const message: Attach = { attach: id, module, memory };
    for (const worker of this.workers) worker.postMessage(message);
    await attached;
    return id;
  }

  detach(id: number): void {
    for (const worker of this.workers) worker.postMessage({ detach: id });
  }

  /**
   * Runs kernel `kernel` with `args` in as many parts as the pool has threads, the parts this thread claims through
   * `local`; returns when all parts are done.
   */
  run(memory: number, kernel: number, args: readonly number[], local: (part: number, parts: number) => void): void {
    if (this.broken) throw new Error(this.broken);
    const { ctl } = this;
    const parts = this.threads;
    this.args.set(args);
    ctl[MEMORY] = memory;
    ctl[KERNEL] = kernel;
    ctl[ARG_COUNT] = args.length;
    ctl[PARTS] = parts;
    Atomics.store(ctl, DONE, 0);
    const generation = Atomics.load(ctl, GENERATION) + 1;
    const tag = (generation & TAG_MASK) << PART_BITS;
    // Part 0 is the caller's from the start (it is awake); the others go to whichever thread claims them first.
    Atomics.store(ctl, CLAIM, tag + 1);
    Atomics.store(ctl, GENERATION, generation);
    Atomics.notify(ctl, GENERATION);
    // A part that throws here still counts as done: the workers' parts of this job must end before the next job.
    let failure: unknown = null;
    for (let part = 0; part >= 0; part = claim(ctl, tag, parts)) {
      try {
        local(part, parts);
      } catch (error) {
        failure ??= error;
      }
      Atomics.add(ctl, DONE, 1);
    }
    const start = performance.now();
    for (let done = Atomics.load(ctl, DONE); done !== parts; done = Atomics.load(ctl, DONE)) {
      if (this.canBlock) Atomics.wait(ctl, DONE, done, 1000);
      if (performance.now() - start > STALL_MS) {
        // A part still running would count itself into the next job: the pool takes no more jobs.
        this.broken = `the wasm worker threads left kernel ${this.names[kernel]} unfinished for a minute`;
        throw new Error(this.broken);
      }
    }
    if (failure) throw failure;
    if (Atomics.load(ctl, FAILED)) {
      Atomics.store(ctl, FAILED, 0);
      throw new Error(`a wasm worker thread failed in kernel ${this.names[kernel]}`);
    }
  }

  dispose(): void {
    this.ctl[KERNEL] = -1;
    Atomics.store(this.ctl, CLAIM, -1);
    Atomics.add(this.ctl, GENERATION, 1);
    Atomics.notify(this.ctl, GENERATION);
    for (const worker of this.workers) worker.terminate();
  }

  /** The kernel names the pool was started with, by index. */
  kernelIndex(name: string): number {
    return this.names.indexOf(name);
  }
}
