/**
 * Each CPU reference op against a naive float64 definition written here, at awkward sizes. The ops take float32
 * inputs, compute in float64 and round once when they store, so most checks allow about one float32 rounding
 * (2^-24 relative) and nothing more: a kernel that accumulated in float32, or read a wrong element, fails.
 */
import { describe, expect, it } from 'vitest';
import { relu, reluBackward } from '../src/cpu/activations.js';
import { biasAdd, columnSum } from '../src/cpu/bias.js';
import { gather } from '../src/cpu/gather.js';
import { argmaxCount, softmaxCrossEntropy } from '../src/cpu/losses.js';
import { matmulNN, matmulNT, matmulTN } from '../src/cpu/matmul.js';
import { sgdUpdate } from '../src/cpu/updates.js';
import { Rng } from '../src/model/rng.js';
import { expectClose, randomArray, randomLabels } from './helpers.js';

const SIZES = [1, 7, 33, 130];
/** Half a float32 ulp, relative: the error of rounding an exact (or float64) result to float32 once. */
const F32_ROUND = 2 ** -24;
/** Written past the end of every output, which no op may touch. */
const SENTINEL = 12345.5;

// ---- naive float64 definitions ---------------------------------------------------------------------------------

/** c[i,j] = Σ_p A(i,p) · B(p,j), with the operands' element accessors given by the form. */
function refMatmul(form: Form, a: Float32Array, b: Float32Array, m: number, n: number, k: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const aip = form === 'TN' ? a[p * m + i] : a[i * k + p]; // TN: a is [k, m]; NT, NN: a is [m, k]
        const bpj = form === 'NT' ? b[j * k + p] : b[p * n + j]; // NT: b is [n, k]; TN, NN: b is [k, n]
        sum += aip * bpj;
      }
      c[i * n + j] = sum;
    }
  }
  return c;
}

function refSoftmaxXent(logits: ArrayLike<number>, labels: Uint32Array, rows: number, classes: number) {
  const grad = new Float64Array(rows * classes);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const z = Array.from({ length: classes }, (_, c) => logits[r * classes + c]);
    const max = Math.max(...z);
    const sumExp = z.reduce((s, v) => s + Math.exp(v - max), 0);
    const logSumExp = max + Math.log(sumExp);
    total += logSumExp - z[labels[r]];
    for (let c = 0; c < classes; c++) {
      grad[r * classes + c] = (Math.exp(z[c] - logSumExp) - (c === labels[r] ? 1 : 0)) / rows;
    }
  }
  return { loss: total / rows, grad };
}

/** An array of `length` values followed by `extra` sentinels. */
function withTrailingSentinels(values: ArrayLike<number>, extra: number): Float32Array {
  const out = new Float32Array(values.length + extra).fill(SENTINEL);
  out.set(values);
  return out;
}

function expectTailUntouched(array: ArrayLike<number>, from: number, label: string): void {
  for (let i = from; i < array.length; i++) {
    if (array[i] !== SENTINEL) expect.fail(`${label}: element ${i} past the output's end changed to ${array[i]}`);
  }
}

// ---- matmuls ----------------------------------------------------------------------------------------------------

type Form = 'NT' | 'TN' | 'NN';
const kernels: Record<Form, typeof matmulNT> = { NT: matmulNT, TN: matmulTN, NN: matmulNN };

describe.each(['NT', 'TN', 'NN'] as const)('matmul%s', (form) => {
  it('matches the float64 definition at every combination of sizes 1, 7, 33, 130, within its extents', () => {
    const rng = new Rng(100 + form.charCodeAt(0));
    for (const m of SIZES) {
      for (const n of SIZES) {
        for (const k of SIZES) {
          // Operands carry extra random values past their extents: a kernel that reads them gets a wrong result.
          const a = randomArray(rng, m * k + 11);
          const bBuffer = randomArray(rng, n * k + 20);
          const b = bBuffer.subarray(3, 3 + n * k + 13); // a view at an offset, as the network passes weights
          // The output starts as NaN (so every element must be written, not accumulated) with sentinels after it.
          const c = withTrailingSentinels(new Float32Array(m * n).fill(NaN), 9);
          kernels[form](c, a, b, m, n, k);
          const want = refMatmul(form, a, b, m, n, k);
          // The kernel sums in float64 and rounds once: F32_ROUND relative, plus float64 summation-order error at
          // most k · 2^-53 · Σ|a·b| ≤ 130 · 1.1e-16 · 130 ≈ 2e-12 absolute (|a|, |b| < 1), for sums that cancel.
          expectClose(c.subarray(0, m * n), want, { atol: 2e-12, rtol: F32_ROUND * 1.01 }, `${form} ${m}x${n}x${k}`);
          expectTailUntouched(c, m * n, `${form} ${m}x${n}x${k}`);
        }
      }
    }
  });

  it('gives exact results for small integers, and zero rows of a', () => {
    // Integer products and sums are exact in float32: any difference from the definition is a logic error.
    const m = 5;
    const n = 6;
    const k = 7;
    const rng = new Rng(7);
    const a = Float32Array.from({ length: m * k }, () => rng.below(9) - 4);
    const b = Float32Array.from({ length: n * k }, () => rng.below(9) - 4);
    a.fill(0, 0, k); // zero terms, which some kernels skip
    const c = new Float32Array(m * n).fill(NaN);
    kernels[form](c, a, b, m, n, k);
    expect(Array.from(c)).toEqual(Array.from(refMatmul(form, a, b, m, n, k)));
  });
});

// ---- elementwise and row ops --------------------------------------------------------------------------------------

describe('biasAdd', () => {
  it.each(SIZES)('adds the bias to every row, %i columns', (n) => {
    const rng = new Rng(n);
    for (const rows of SIZES) {
      const y0 = randomArray(rng, rows * n);
      const bias = randomArray(rng, n + 4); // extra bias values must not be read
      const y = withTrailingSentinels(y0, 5);
      biasAdd(y, bias, rows, n);
      const want = Float64Array.from(y0, (v, i) => v + bias[i % n]);
      expectClose(y.subarray(0, rows * n), want, { atol: 0, rtol: F32_ROUND }, `biasAdd ${rows}x${n}`);
      expectTailUntouched(y, rows * n, 'biasAdd');
    }
  });
});

describe('relu and reluBackward', () => {
  it.each(SIZES)('relu keeps positives and zeroes the rest, %i values, in place or not', (count) => {
    const rng = new Rng(count);
    const x = withTrailingSentinels(randomArray(rng, count), 3);
    x[0] = 0;
    if (count > 1) x[1] = -0;
    const want = Array.from(x.subarray(0, count), (v) => (v > 0 ? v : 0));
    const y = withTrailingSentinels(new Float32Array(count).fill(NaN), 3);
    relu(y, x, count);
    expect(Array.from(y.subarray(0, count))).toEqual(want);
    expectTailUntouched(y, count, 'relu');
    relu(x, x, count);
    expect(Array.from(x.subarray(0, count))).toEqual(want);
    expectTailUntouched(x, count, 'relu in place');
  });

  it.each(SIZES)('reluBackward passes the gradient where the output was positive, %i values', (count) => {
    const rng = new Rng(1000 + count);
    const y = new Float32Array(count);
    relu(y, randomArray(rng, count), count);
    const dy = withTrailingSentinels(randomArray(rng, count), 4);
    const want = Array.from(dy.subarray(0, count), (g, i) => (y[i] > 0 ? g : 0));
    const dx = withTrailingSentinels(new Float32Array(count).fill(NaN), 4);
    reluBackward(dx, dy, y, count);
    expect(Array.from(dx.subarray(0, count))).toEqual(want);
    expectTailUntouched(dx, count, 'reluBackward');
    reluBackward(dy, dy, y, count);
    expect(Array.from(dy.subarray(0, count))).toEqual(want);
    expectTailUntouched(dy, count, 'reluBackward in place');
  });
});

describe('softmaxCrossEntropy', () => {
  it('matches the float64 definition in loss and gradient at every combination of sizes', () => {
    const rng = new Rng(55);
    for (const rows of SIZES) {
      for (const classes of SIZES) {
        const logits = randomArray(rng, rows * classes, -8, 8);
        const labels = randomLabels(rng, rows, classes);
        const want = refSoftmaxXent(logits, labels, rows, classes);
        const grad = withTrailingSentinels(new Float32Array(rows * classes).fill(NaN), 6);
        const loss = softmaxCrossEntropy(grad, logits, labels, rows, classes);
        // The loss is a float64 result of float64 arithmetic on the same inputs: only summation order differs.
        expect(Math.abs(loss - want.loss)).toBeLessThanOrEqual(1e-13 * Math.max(1, want.loss));
        // One float32 rounding of a float64 probability; atol for entries that are a tiny difference p - 1.
        expectClose(
          grad.subarray(0, rows * classes),
          want.grad,
          { atol: 1e-15, rtol: F32_ROUND * 1.01 },
          `grad ${rows}x${classes}`,
        );
        expectTailUntouched(grad, rows * classes, 'softmaxCrossEntropy gradient');
        // Without a gradient buffer it returns the same loss.
        expect(softmaxCrossEntropy(null, logits, labels, rows, classes)).toBe(loss);
      }
    }
  });

  it('gives gradient rows that sum to zero', () => {
    const rng = new Rng(56);
    const rows = 33;
    const classes = 130;
    const logits = randomArray(rng, rows * classes, -20, 20);
    const labels = randomLabels(rng, rows, classes);
    const grad = new Float32Array(rows * classes);
    softmaxCrossEntropy(grad, logits, labels, rows, classes);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += grad[r * classes + c];
      // Σ softmax = 1 exactly in real numbers; each stored entry is off by at most 2^-24 of itself, and the entries'
      // magnitudes sum to at most 2/rows.
      expect(Math.abs(sum)).toBeLessThanOrEqual((2 / rows) * F32_ROUND * 1.01);
    }
  });

  it('stays finite and exact for logits of ±1e4', () => {
    const logits = Float32Array.from([1e4, -1e4, 0, -1e4, 1e4, 1e4, 5, -1e4, 5]);
    const labels = Uint32Array.from([1, 0, 2]);
    const grad = new Float32Array(9);
    const loss = softmaxCrossEntropy(grad, logits, labels, 3, 3);
    expect(Number.isFinite(loss)).toBe(true);
    for (const g of grad) expect(Number.isFinite(g)).toBe(true);
    // Row 0: softmax is one-hot at class 0 and the label is 1, losing 2e4. Row 1: classes 1 and 2 tie, label 0 is
    // 2e4 below them, losing 2e4 + ln 2. Row 2: classes 0 and 2 tie, label 2, losing ln 2.
    const want = refSoftmaxXent(logits, labels, 3, 3);
    expect(loss).toBeCloseTo((2e4 + 2e4 + Math.LN2 + Math.LN2) / 3, 9);
    expect(Math.abs(loss - want.loss)).toBeLessThan(1e-12 * want.loss);
    expectClose(
      grad,
      [1 / 3, -1 / 3, 0, -1 / 3, 1 / 6, 1 / 6, 1 / 6, 0, -1 / 6],
      { atol: 1e-15, rtol: F32_ROUND },
      'grad',
    );
  });
});

describe('columnSum', () => {
  it.each(SIZES)('sums the columns of %i rows at every width', (rows) => {
    const rng = new Rng(300 + rows);
    for (const n of SIZES) {
      const x = randomArray(rng, rows * n + 13); // extra rows must not be summed
      const out = withTrailingSentinels(new Float32Array(n).fill(NaN), 5);
      columnSum(out, x, rows, n);
      const want = new Float64Array(n);
      for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) want[j] += x[r * n + j];
      // Summed in float64, rounded once; atol for sums that cancel (rows · 2^-53 · rows, |x| < 1).
      expectClose(out.subarray(0, n), want, { atol: 1e-12, rtol: F32_ROUND * 1.01 }, `columnSum ${rows}x${n}`);
      expectTailUntouched(out, n, 'columnSum');
    }
  });
});

describe('sgdUpdate', () => {
  it.each(SIZES)('subtracts lr times the gradient from %i parameters and no others', (count) => {
    const rng = new Rng(400 + count);
    const p0 = randomArray(rng, count);
    const grads = randomArray(rng, count + 3);
    const params = withTrailingSentinels(p0, 3);
    const lr = 0.037;
    sgdUpdate(params, grads, lr, count);
    // float64 p - lr·g rounded once to float32 is exactly what Math.fround gives.
    expect(Array.from(params.subarray(0, count))).toEqual(Array.from(p0, (p, i) => Math.fround(p - lr * grads[i])));
    expectTailUntouched(params, count, 'sgdUpdate');
  });
});

describe('argmaxCount', () => {
  it('counts rows whose first largest logit is the label, at every combination of sizes', () => {
    const rng = new Rng(500);
    for (const rows of SIZES) {
      for (const classes of SIZES) {
        // Few distinct values, so ties are common.
        const logits = Float32Array.from({ length: rows * classes }, () => rng.below(4));
        const labels = randomLabels(rng, rows, classes);
        let want = 0;
        for (let r = 0; r < rows; r++) {
          const row = Array.from(logits.subarray(r * classes, (r + 1) * classes));
          if (row.indexOf(Math.max(...row)) === labels[r]) want++;
        }
        expect(argmaxCount(logits, labels, rows, classes), `${rows}x${classes}`).toBe(want);
      }
    }
  });

  it('lets the first maximum win a tie', () => {
    const logits = Float32Array.from([1, 3, 3, 0, 2, 2, 2, 2, -5, -1, -1, -9]);
    expect(argmaxCount(logits, Uint32Array.from([1, 0, 1]), 3, 4)).toBe(3);
    expect(argmaxCount(logits, Uint32Array.from([2, 3, 2]), 3, 4)).toBe(0);
    expect(argmaxCount(logits, Uint32Array.from([1, 1, 1]), 2, 4)).toBe(1); // only `rows` rows count
  });
});

describe('gather', () => {
  it.each(SIZES)('normalises the rows order[start..start+batch) of %i features and copies their labels', (features) => {
    const rng = new Rng(600 + features);
    const samples = 50;
    const pixels = Uint8Array.from({ length: samples * features }, () => rng.below(256));
    pixels[0] = 0;
    pixels[1] = 255;
    const labels = Uint8Array.from({ length: samples }, () => rng.below(10));
    const order = rng.shuffle(Uint32Array.from({ length: samples }, (_, i) => i));
    const mean = 0.1307;
    const std = 0.3081;
    for (const [start, batch] of [
      [0, 1],
      [0, 7],
      [13, 33],
      [17, 33],
      [49, 1],
    ]) {
      const x = withTrailingSentinels(new Float32Array(batch * features).fill(NaN), 7);
      const labelsOut = new Uint32Array(batch + 2).fill(77);
      gather(x, labelsOut, pixels, labels, order, start, batch, features, mean, std);
      const want = new Float64Array(batch * features);
      for (let r = 0; r < batch; r++) {
        const sample = order[start + r];
        for (let f = 0; f < features; f++) want[r * features + f] = (pixels[sample * features + f] / 255 - mean) / std;
        expect(labelsOut[r], `label of row ${r}`).toBe(labels[sample]);
      }
      // One float32 rounding; atol for values near zero where scale·byte − shift cancels (float64 error ~1e-16).
      expectClose(
        x.subarray(0, batch * features),
        want,
        { atol: 1e-12, rtol: F32_ROUND * 1.01 },
        `gather ${start}+${batch}`,
      );
      expectTailUntouched(x, batch * features, 'gather');
      expect(Array.from(labelsOut.subarray(batch))).toEqual([77, 77]);
    }
  });
});
