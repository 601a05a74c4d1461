/**
 * The page of test/e2e-wasm.test.ts: the same training run on the wasm backend on one thread and on two (Web Workers
 * on a shared memory, in a cross-origin-isolated page), and on the reference; what each ended with, for the test.
 */
import type { SessionOptions } from '../src/backend.js';
import { CpuBackend } from '../src/cpu/backend.js';
import { makeSpec } from '../src/model/spec.js';
import { WasmBackend } from '../src/wasm/backend.js';

async function train(backend: {
  createSession(o: SessionOptions): Promise<import('../src/backend.js').TrainingSession>;
}) {
  let state = 7;
  const byte = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state >>> 24;
  };
  const rows = 512;
  const train = {
    inputs: Uint8Array.from({ length: rows * 784 }, byte),
    labels: Uint8Array.from({ length: rows }, () => byte() % 10),
    count: rows,
    features: 784,
  };
  const session = await backend.createSession({
    spec: makeSpec([784, 128, 10]),
    params: { seed: 3 },
    batch: 128, // 12.8 million multiply-adds in the first layer's matmuls: the threads share them
    learningRate: 0.1,
    train,
  });
  session.setEpochOrder(Uint32Array.from({ length: rows }, (_, i) => i));
  const loss = await session.trainSteps(0, 4);
  const params = Array.from(await session.readParams());
  session.dispose();
  return { loss, params };
}

async function run() {
  const [one, two] = [await WasmBackend.create({ threads: 1 }), await WasmBackend.create({ threads: 2 })];
  const result = {
    isolated: globalThis.crossOriginIsolated,
    threads: two.threads,
    device: two.device,
    one: await train(one),
    two: await train(two),
    reference: await train(new CpuBackend()),
  };
  one.dispose();
  two.dispose();
  return result;
}

(globalThis as { wasmResult?: Promise<unknown> }).wasmResult = run();
