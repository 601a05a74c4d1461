/**
 * The page of test/e2e-wasm.test.ts: the same training run on the wasm backend on one thread and on two (Web Workers
 * on a shared memory, in a cross-origin-isolated page), and on the reference; what each ended with, for the test.
 */
import type { SessionOptions } from '../src/backend.js';
import { CpuBackend } from '../src/cpu/backend.js';
import { matmulNN, matmulTN } from '../src/cpu/matmul.js';
import { makeSpec } from '../src/model/spec.js';
import { WasmBackend } from '../src/wasm/backend.js';
import { WasmKernels } from '../src/wasm/kernels.js';

/**
 * The nn and tn matmuls of this engine's build (relaxed SIMD's fused multiply-add in Chromium) against the
 * reference, at sizes that take every path (rows below a multiple of 4, columns right of a multiple of 8, two k
 * blocks): the largest error as a share of the sum of the terms' magnitudes.
 */
async function matmulError(): Promise<number> {
  const [m, n, k] = [37, 29, 300];
  const kernels = await WasmKernels.create(1 << 20, null, n);
  let state = 11;
  const random = (length: number) => {
    const out = kernels.floats(length);
    for (let i = 0; i < length; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      out[i] = state / 2 ** 31 - 1;
    }
    return out;
  };
  const [a, b] = [random(m * k), random(k * n)];
  let worst = 0;
  for (const form of ['nn', 'tn'] as const) {
    const got = kernels.floats(m * n);
    const want = new Float32Array(m * n);
    const [rs, ps] = form === 'nn' ? [k, 1] : [1, m];
    kernels.matmul(got, a, b, null, { m, n, k, rs, ps });
    (form === 'nn' ? matmulNN : matmulTN)(want, a, b, m, n, k);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let magnitude = 0;
        for (let p = 0; p < k; p++) magnitude += Math.abs(a[i * rs + p * ps] * b[p * n + j]);
        worst = Math.max(worst, Math.abs(got[i * n + j] - want[i * n + j]) / magnitude);
      }
    }
  }
  kernels.dispose();
  return worst;
}

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
    matmulError: await matmulError(),
    one: await train(one),
    two: await train(two),
    reference: await train(new CpuBackend()),
  };
  one.dispose();
  two.dispose();
  return result;
}

(globalThis as { wasmResult?: Promise<unknown> }).wasmResult = run();
