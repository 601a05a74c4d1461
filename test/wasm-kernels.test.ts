/**
 * Every kernel of src/wasm/kernels.c against the CPU reference on fresh random inputs: the matmul forms (with the
 * sizes that take each of its paths: blocks of 4 × 8, the rows below a multiple of 4, the columns right of a multiple
 * of 8, more than one KC block of k), the bias sum, ReLU both ways and every optimiser update (bitwise). Each runs on
 * one thread and on two, which must agree bit for bit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relu, reluBackward } from '../src/cpu/activations.js';
import { columnSum } from '../src/cpu/bias.js';
import { matmulNN, matmulNT, matmulTN } from '../src/cpu/matmul.js';
import { adamUpdate, momentumUpdate, rmspropUpdate, sgdUpdate } from '../src/cpu/updates.js';
import { adamBiasCorrection } from '../src/model/optimizer.js';
import { Rng } from '../src/model/rng.js';
import { KERNEL_NAMES, type KernelName, type MatmulDims, ptr, WasmKernels } from '../src/wasm/kernels.js';
import { ThreadPool } from '../src/wasm/threads.js';
import { expectClose, randomArray } from './helpers.js';

const MEMORY = 32 << 20;
let pool: ThreadPool;
const memories: WasmKernels[] = [];

beforeAll(async () => {
  pool = await ThreadPool.start(2, KERNEL_NAMES);
});
afterAll(() => {
  for (const m of memories) m.dispose();
  pool.dispose();
});

/** The kernels on one thread and on two, each in a memory of its own. */
async function bothKernels(): Promise<WasmKernels[]> {
  const made = [await WasmKernels.create(MEMORY, null, 512), await WasmKernels.create(MEMORY, pool, 512)];
  memories.push(...made);
  return made;
}

/** Copies `values` into a fresh array of `kernels`' memory. */
function put(kernels: WasmKernels, values: Float32Array): Float32Array {
  const out = kernels.floats(values.length);
  out.set(values);
  return out;
}

/** Runs kernel `name` split in parts on two threads whatever its size (as big work would be). */
function runSplit(kernels: WasmKernels, name: KernelName, args: number[]): void {
  kernels.run(name, args, Number.POSITIVE_INFINITY);
}

/** The matmul, split on two threads whatever its size. */
function matmulSplit(
  kernels: WasmKernels,
  c: Float32Array,
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array | null,
  dims: MatmulDims,
): void {
  kernels.matmul(c, a, b, bias, dims, Number.POSITIVE_INFINITY);
}

/** Within float32 summation error of the reference's float64 sums: 1e-5 of the sum of the terms' magnitudes. */
function expectSumsClose(got: Float32Array, want: Float32Array, magnitude: Float64Array, what: string): void {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / magnitude[i]);
  expect(worst, what).toBeLessThan(1e-5);
}

describe('wasm matmul', () => {
  const shapes: [number, number, number][] = [
    [64, 128, 784], // workload A's first layer
    [7, 13, 300], // rows below a multiple of 4, columns right of a multiple of 8, two k blocks
    [5, 8, 1], // k of one
    [1, 21, 9],
  ];
  for (const [m, n, k] of shapes) {
    it(`computes the nt, tn and nn forms at ${m}×${n}×${k}, with a bias, on 1 and 2 threads alike`, async () => {
      const [one, two] = await bothKernels();
      const outputs: Float32Array[] = [];
      for (const kernels of [one, two]) {
        const seed = m * 1000 + n * 10 + k;
        const a = put(kernels, randomArray(new Rng(seed), m * k)); // (m, k)
        const aT = put(kernels, randomArray(new Rng(seed + 1), k * m)); // (k, m)
        const b = put(kernels, randomArray(new Rng(seed + 2), k * n)); // (k, n)
        const bias = put(kernels, randomArray(new Rng(seed + 3), n));
        const [nn, tn, withBias] = [kernels.floats(m * n), kernels.floats(m * n), kernels.floats(m * n)];
        matmulSplit(kernels, nn, a, b, null, { m, n, k, rs: k, ps: 1 });
        matmulSplit(kernels, tn, aT, b, null, { m, n, k, rs: 1, ps: m });
        matmulSplit(kernels, withBias, a, b, bias, { m, n, k, rs: k, ps: 1 });
        const want = new Float32Array(m * n);
        const magnitude = new Float64Array(m * n);
        const bRows = new Float32Array(n * k); // bᵀ, for the reference's nt form
        for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bRows[j * k + p] = b[p * n + j];
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++)
            for (let p = 0; p < k; p++) magnitude[i * n + j] += Math.abs(a[i * k + p] * b[p * n + j]);
        matmulNN(want, a, b, m, n, k);
        expectSumsClose(nn, want, magnitude, 'nn');
        matmulNT(want, a, bRows, m, n, k);
        expectSumsClose(
          withBias.map((v, i) => v - bias[i % n]),
          want,
          magnitude,
          'nt with a bias',
        );
        const wantTN = new Float32Array(m * n);
        matmulTN(wantTN, aT, b, m, n, k);
        const magnitudeTN = new Float64Array(m * n);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++)
            for (let p = 0; p < k; p++) magnitudeTN[i * n + j] += Math.abs(aT[p * m + i] * b[p * n + j]);
        expectSumsClose(tn, wantTN, magnitudeTN, 'tn');
        outputs.push(Float32Array.from([...nn, ...tn, ...withBias]));
      }
      expect(outputs[1], 'two threads give one thread’s bits').toEqual(outputs[0]);
    });
  }

  it('transposes a matrix', async () => {
    const [kernels] = await bothKernels();
    const s = put(kernels, randomArray(new Rng(5), 37 * 70));
    const t = kernels.floats(70 * 37);
    kernels.run('transpose', [ptr(t), ptr(s), 37, 70], 0);
    for (let r = 0; r < 37; r++) for (let c = 0; c < 70; c++) expect(t[c * 37 + r]).toBe(s[r * 70 + c]);
  });
});

describe('wasm elementwise kernels', () => {
  it('sums columns, and applies ReLU forward and backward as the reference does (NaN and the kink to 0)', async () => {
    for (const kernels of await bothKernels()) {
      const [rows, n] = [33, 29];
      const x = put(kernels, randomArray(new Rng(6), rows * n));
      x[5] = Number.NaN;
      x[6] = 0; // the kink: ReLU passes no gradient there
      x[7] = -0;
      const dy = put(kernels, randomArray(new Rng(7), rows * n));
      const sums = kernels.floats(n);
      runSplit(kernels, 'column_sum', [ptr(sums), ptr(x.subarray(n)), rows - 1, n]);
      const want = new Float32Array(n);
      columnSum(want, x.subarray(n), rows - 1, n);
      expectClose(sums, want, { atol: 1e-6, rtol: 1e-5 }, 'column sums');
      const [y, dx] = [kernels.floats(rows * n), kernels.floats(rows * n)];
      runSplit(kernels, 'relu', [ptr(y), ptr(x), rows * n]);
      runSplit(kernels, 'relu_backward', [ptr(dx), ptr(dy), ptr(x), rows * n]);
      const [wantY, wantDx] = [new Float32Array(rows * n), new Float32Array(rows * n)];
      relu(wantY, x, rows * n);
      reluBackward(wantDx, dy, x, rows * n);
      expect(y).toEqual(wantY);
      expect(dx).toEqual(wantDx);
    }
  });

  it('updates parameters bitwise as every reference optimiser does', async () => {
    const count = 1001;
    for (const kernels of await bothKernels()) {
      const fresh = (seed: number, low = -1) => randomArray(new Rng(seed), count, low, 1);
      const start = {
        p: fresh(8),
        g: fresh(9),
        s0: fresh(10, 0),
        s1: fresh(11, 0),
        s2: randomArray(new Rng(12), count, -0.1, 0.1),
      };
      const run = (wasm: (a: Float32Array[]) => void, ref: (a: Float32Array[]) => void, what: string) => {
        const ours = [start.p, start.s0, start.s1, start.s2].map((v) => put(kernels, v));
        const theirs = [start.p, start.s0, start.s1, start.s2].map((v) => v.slice());
        wasm(ours);
        ref(theirs);
        ours.forEach((v, i) => expect(v, `${what}, array ${i}`).toEqual(theirs[i]));
      };
      const g = put(kernels, start.g);
      for (const wd of [0, 0.01]) {
        run(
          ([p]) => runSplit(kernels, 'sgd_update', [ptr(p), ptr(g), 0.1, wd, count]),
          ([p]) => sgdUpdate(p, start.g, 0.1, count, wd),
          `sgd wd ${wd}`,
        );
      }
      for (const [nesterov, step] of [
        [false, 1],
        [true, 3],
      ] as const) {
        const h = { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.001, nesterov, step };
        const args = [h.lr, h.momentum, h.dampening, h.weightDecay, +nesterov, +(step === 1), count];
        run(
          ([p, b]) => runSplit(kernels, 'momentum_update', [ptr(p), ptr(b), ptr(g), ...args]),
          ([p, b]) => momentumUpdate(p, b, start.g, h, count),
          `momentum nesterov ${nesterov}`,
        );
      }
      for (const decoupled of [false, true]) {
        const h = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.02, decoupled, step: 4 };
        const { stepSize, bc2Sqrt } = adamBiasCorrection(h.lr, h.beta1, h.beta2, h.step);
        const decay = decoupled ? Math.fround(1 - h.lr * h.weightDecay) : 1;
        const coupled = decoupled ? 0 : h.weightDecay;
        const tail = [h.beta1, h.beta2, h.eps, coupled, decay, +decoupled, stepSize, bc2Sqrt, count];
        run(
          ([p, m, v]) => runSplit(kernels, 'adam_update', [ptr(p), ptr(m), ptr(v), ptr(g), ...tail]),
          ([p, m, v]) => adamUpdate(p, m, v, start.g, h, count),
          decoupled ? 'adamw' : 'adam',
        );
      }
      for (const [momentum, centered] of [
        [0, false],
        [0.9, true],
      ] as const) {
        const h = { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0.01, momentum, centered };
        const tail = [h.lr, h.alpha, h.eps, h.weightDecay, momentum, count];
        run(
          ([p, s, b, a]) =>
            runSplit(kernels, 'rmsprop_update', [
              ptr(p),
              ptr(s),
              momentum ? ptr(b) : 0,
              centered ? ptr(a) : 0,
              ptr(g),
              ...tail,
            ]),
          ([p, s, b, a]) => rmspropUpdate(p, s, momentum ? b : null, centered ? a : null, start.g, h, count),
          `rmsprop momentum ${momentum} centred ${centered}`,
        );
      }
    }
  });
});

describe('wasm threads', () => {
  const relu = KERNEL_NAMES.indexOf('relu');
  const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

  it('turn a worker part that fails into an error naming the kernel, not a hang, and keep working', async () => {
    // No memory 999 is attached: the worker's part throws. The caller's part sleeps, leaving part 1 to the worker.
    const local = (part: number) => {
      if (part !== 0) throw new Error('the caller claimed part 1: the worker never woke');
      sleep(500);
    };
    expect(() => pool.run(999, relu, [], local)).toThrow(/^a wasm worker thread failed in kernel relu$/);
    const [, kernels] = await bothKernels();
    const x = put(kernels, randomArray(new Rng(13), 1000));
    const y = kernels.floats(1000);
    runSplit(kernels, 'relu', [ptr(y), ptr(x), 1000]);
    expect(Array.from(y)).toEqual(Array.from(x, (v) => (v > 0 ? v : 0)));
  });

  it('never wait for a worker that has not claimed a part: the caller runs every part itself', async () => {
    // Its worker is still starting up, so the caller claims both parts before the worker can.
    const fresh = await ThreadPool.start(2, KERNEL_NAMES);
    const parts: number[] = [];
    fresh.run(999, relu, [], (part, count) => parts.push(part, count));
    fresh.dispose();
    expect(parts).toEqual([0, 2, 1, 2]);
  });
});
