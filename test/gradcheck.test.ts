/**
 * Finite-difference checks: every analytic gradient the CPU reference computes (each op's backward form, and the
 * whole CpuNetwork backward pass) against central differences (L(θ+h) − L(θ−h)) / 2h of a scalar loss.
 *
 * The losses are evaluated by small float64 helpers (here and in test/reference64.ts), independent of the code under
 * test, at the same (float32-representable) inputs. In float64 the differences are accurate to ~1e-10 absolute (truncation h²·L'''
 * and rounding 2^-53·|L|/h are both tiny), so the tolerances below measure the code under test: its float32 stores
 * (2^-24 ≈ 6e-8 relative each), not the finite differences.
 */
import { describe, expect, it } from 'vitest';
import { relu, reluBackward } from '../src/cpu/activations.js';
import { biasAdd, columnSum } from '../src/cpu/bias.js';
import { modelLoss, mseTargets, softmaxCrossEntropy } from '../src/cpu/losses.js';
import { matmulNN, matmulNT, matmulTN } from '../src/cpu/matmul.js';
import { CpuNetwork } from '../src/cpu/network.js';
import { initParams } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { makeSpec } from '../src/model/spec.js';
import { expectClose, randomArray, randomLabels } from './helpers.js';
import { centralDifferences, loss64, maxAbs, network64 } from './reference64.js';

// ---- float64 forward helpers ------------------------------------------------------------------------------------

/** y = x·Wᵀ: x [rows, inSize], w [outSize, inSize]. */
function linear64(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  rows: number,
  inSize: number,
  outSize: number,
): Float64Array {
  const y = new Float64Array(rows * outSize);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outSize; o++) {
      let sum = 0;
      for (let i = 0; i < inSize; i++) sum += x[r * inSize + i] * w[o * inSize + i];
      y[r * outSize + o] = sum;
    }
  }
  return y;
}

/** Σ g ⊙ y: turns any op's output into a scalar whose gradient with respect to that output is g. */
function dot64(g: ArrayLike<number>, y: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < g.length; i++) sum += g[i] * y[i];
  return sum;
}

// ---- ops --------------------------------------------------------------------------------------------------------

/**
 * For the linear ops the loss is linear in each element, so a central difference has no truncation error at all;
 * h = 1e-3 keeps its rounding error (2^-53·Σ|terms| / h ≈ 1e-13 here) far below the analytic side's. The analytic
 * gradients are float64 sums rounded once to float32: 2^-24 relative, allowed as rtol 1e-7 with atol 1e-10 for
 * finite-difference noise on elements that are (nearly) zero.
 */
const LINEAR_TOL = { atol: 1e-10, rtol: 1e-7 };

describe.each([
  { rows: 6, inSize: 9, outSize: 5 },
  { rows: 1, inSize: 13, outSize: 4 },
  { rows: 33, inSize: 7, outSize: 1 },
])('layer of $rows rows, $inSize → $outSize', ({ rows, inSize, outSize }) => {
  const rng = new Rng(rows * 100 + inSize * 10 + outSize);
  const x = randomArray(rng, rows * inSize);
  const w = randomArray(rng, outSize * inSize);
  const b = randomArray(rng, outSize);
  const g = randomArray(rng, rows * outSize); // dL/dy for L = Σ g ⊙ y

  it('matmulNT computes the forward pass the finite differences differentiate', () => {
    const y = new Float32Array(rows * outSize);
    matmulNT(y, x, w, rows, outSize, inSize);
    expectClose(y, linear64(x, w, rows, inSize, outSize), { atol: 1e-12, rtol: 1e-7 }, 'y');
  });

  it('matmulTN gives the weight gradient dW = gᵀ·x', () => {
    const dw = new Float32Array(outSize * inSize);
    matmulTN(dw, g, x, outSize, inSize, rows);
    const w64 = Float64Array.from(w);
    const fd = centralDifferences(w64, () => dot64(g, linear64(x, w64, rows, inSize, outSize)), 1e-3);
    expectClose(dw, fd, LINEAR_TOL, 'dW');
  });

  it('matmulNN gives the input gradient dx = g·W', () => {
    const dx = new Float32Array(rows * inSize);
    matmulNN(dx, g, w, rows, inSize, outSize);
    const x64 = Float64Array.from(x);
    const fd = centralDifferences(x64, () => dot64(g, linear64(x64, w, rows, inSize, outSize)), 1e-3);
    expectClose(dx, fd, LINEAR_TOL, 'dx');
  });

  it('columnSum gives the gradient of biasAdd with respect to the bias', () => {
    const y = Float32Array.from(g, (_, i) => x[i % x.length]); // any values: L is linear in b
    biasAdd(y, b, rows, outSize);
    const db = new Float32Array(outSize);
    columnSum(db, g, rows, outSize);
    const b64 = Float64Array.from(b);
    const plain = Float64Array.from(g, (_, i) => x[i % x.length]);
    const fd = centralDifferences(
      b64,
      () =>
        dot64(
          g,
          plain.map((v, i) => v + b64[i % outSize]),
        ),
      1e-3,
    );
    expectClose(db, fd, LINEAR_TOL, 'db');
  });
});

describe('relu', () => {
  it('reluBackward gives the gradient of relu, away from the kink', () => {
    const rng = new Rng(21);
    const count = 130;
    // |x| ≥ 0.1: a step of h = 1e-3 never crosses 0, where relu has no derivative.
    const x = Float32Array.from({ length: count }, () => (rng.below(2) ? 1 : -1) * rng.uniform(0.1, 2));
    const g = randomArray(rng, count);
    const y = new Float32Array(count);
    relu(y, x, count);
    const dx = new Float32Array(count);
    reluBackward(dx, g, y, count);
    const x64 = Float64Array.from(x);
    const fd = centralDifferences(
      x64,
      () =>
        dot64(
          g,
          x64.map((v) => Math.max(v, 0)),
        ),
      1e-3,
    );
    // Piecewise linear: the differences are exact but for rounding (~1e-13); the analytic side copies g exactly.
    expectClose(dx, fd, { atol: 1e-10, rtol: 1e-10 }, 'dx');
  });
});

describe.each([
  { rows: 5, classes: 3 },
  { rows: 1, classes: 10 },
  { rows: 33, classes: 7 },
])('softmaxCrossEntropy, $rows rows of $classes classes', ({ rows, classes }) => {
  it('returns the loss and its gradient', () => {
    const rng = new Rng(rows * 31 + classes);
    const logits = randomArray(rng, rows * classes, -4, 4);
    const labels = randomLabels(rng, rows, classes);
    const grad = new Float32Array(rows * classes);
    const loss = softmaxCrossEntropy(grad, logits, labels, rows, classes);
    expect(Math.abs(loss - loss64('softmax-cross-entropy', logits, labels, rows, classes))).toBeLessThan(1e-13);
    const z64 = Float64Array.from(logits);
    // Smooth: with h = 1e-5 truncation is ~h²·|L'''| ≈ 1e-10 and rounding 2^-53·|L|/h ≈ 1e-11. The gradient is stored
    // in float32 (2^-24 relative): rtol 1e-6 and atol 1e-9 leave a margin of about 10 over both.
    const fd = centralDifferences(z64, () => loss64('softmax-cross-entropy', z64, labels, rows, classes), 1e-5);
    expectClose(grad, fd, { atol: 1e-9, rtol: 1e-6 }, 'dLogits');
  });
});

describe.each([
  { rows: 1, outputs: 1 },
  { rows: 7, outputs: 3 },
  { rows: 33, outputs: 5 },
])('mseTargets, $rows rows of $outputs targets', ({ rows, outputs }) => {
  it('is nn.MSELoss against the targets, mean over every element, with its gradient', () => {
    const rng = new Rng(rows * 17 + outputs);
    const out = randomArray(rng, rows * outputs, -2, 2);
    const targets = randomArray(rng, rows * outputs, -2, 2);
    const grad = new Float32Array(rows * outputs);
    const loss = mseTargets(grad, out, targets, rows, outputs);
    expect(Math.abs(loss - loss64('mse-targets', out, targets, rows, outputs))).toBeLessThan(1e-15);
    const spec = makeSpec([4, outputs], { task: 'regression', loss: 'mse' });
    expect(modelLoss(spec, null, out, targets, rows, outputs)).toBe(loss);
    // By hand for the last element: d/d out = 2 (out − target) / (rows · outputs).
    const last = rows * outputs - 1;
    expect(grad[last]).toBe(Math.fround((2 * (out[last] - targets[last])) / (rows * outputs)));
    const o64 = Float64Array.from(out);
    // Quadratic: central differences are exact but for rounding (2^-53·|L| / h ≈ 1e-11 with h = 1e-5).
    const fd = centralDifferences(o64, () => loss64('mse-targets', o64, targets, rows, outputs), 1e-5);
    expectClose(grad, fd, { atol: 1e-10, rtol: 1e-6 }, 'dOut');
  });
});

// ---- the whole network --------------------------------------------------------------------------------------------

describe.each([
  { layers: [7, 5, 4, 3], rows: 4, seed: 1 },
  { layers: [33, 17, 9, 6], rows: 13, seed: 2 },
  { layers: [130, 7, 2], rows: 1, seed: 3 },
])('CpuNetwork $layers, $rows rows', ({ layers, rows, seed }) => {
  it('backward() gives the finite-difference gradient of every parameter', () => {
    const spec = makeSpec(layers);
    // maxRows above rows: the network must only use the rows it is given.
    const net = new CpuNetwork(spec, rows + 3);
    const params = initParams(net.table, seed);
    const rng = new Rng(1000 + seed);
    const x = randomArray(rng, rows * layers[0]);
    const labels = randomLabels(rng, rows, layers[layers.length - 1]);

    net.input.fill(7); // garbage in the unused rows
    net.input.set(x);
    const logits = net.forward(params, rows);
    expect(logits.length).toBe(rows * layers[layers.length - 1]);
    const loss = net.backward(params, labels, rows);

    const params64 = Float64Array.from(params);
    const h = 1e-6;
    const at = network64(net.table, 'relu', 'softmax-cross-entropy', params64, x, labels, rows);
    // A step of h moves any pre-activation by at most h·Σ|inputs| < 1e-3·margin here, and the float32 forward pass
    // differs from this float64 one by ~1e-7: neither can cross a ReLU kink unless some unit is this close to it.
    expect(at.margin, 'smallest |pre-activation|: choose another seed').toBeGreaterThan(1e-3);
    // The network's loss: float32 activations between layers, so ~1e-7 relative.
    expect(Math.abs(loss - at.loss)).toBeLessThan(1e-6 * at.loss);

    const fd = centralDifferences(
      params64,
      () => network64(net.table, 'relu', 'softmax-cross-entropy', params64, x, labels, rows).loss,
      h,
    );
    const scale = maxAbs(fd);
    expect(scale).toBeGreaterThan(0);
    for (const entry of net.table.entries) {
      const want = fd.subarray(entry.offset, entry.offset + entry.size);
      const got = net.grads.subarray(entry.offset, entry.offset + entry.size);
      // The analytic gradient passes through a few float32 stores (activations, deltas, the gradient itself), each
      // 2^-24 relative, so rtol 1e-6. An element that is a cancelling sum over rows carries the rounding of its
      // terms rather than of itself, so its error scales with the gradient's size, not its own: atol is 1e-7 of the
      // largest gradient (measured worst: 1.5e-8 of it). The float64 differences add only ~1e-10 (h² truncation,
      // 2^-53·|L|/h rounding).
      expectClose(got, want, { atol: 1e-7 * scale, rtol: 1e-6 }, entry.name);
    }
  });
});

describe.each([
  { layers: [9, 6, 1], rows: 5, seed: 4 },
  { layers: [7, 11, 5, 3], rows: 13, seed: 5 },
])('CpuNetwork for regression $layers, $rows rows', ({ layers, rows, seed }) => {
  it('backward() against target rows gives the finite-difference gradient of every parameter', () => {
    const spec = makeSpec(layers, { task: 'regression', loss: 'mse' });
    const outputs = layers[layers.length - 1];
    const net = new CpuNetwork(spec, rows + 2);
    const params = initParams(net.table, seed);
    const rng = new Rng(2000 + seed);
    const x = randomArray(rng, rows * layers[0]);
    const targets = randomArray(rng, rows * outputs, -2, 2);
    net.input.set(x);
    net.forward(params, rows);
    const loss = net.backward(params, targets, rows);

    const params64 = Float64Array.from(params);
    const at = network64(net.table, 'relu', 'mse-targets', params64, x, targets, rows);
    expect(at.margin, 'smallest |pre-activation|: choose another seed').toBeGreaterThan(1e-3);
    expect(Math.abs(loss - at.loss)).toBeLessThan(1e-6 * at.loss);
    const fd = centralDifferences(
      params64,
      () => network64(net.table, 'relu', 'mse-targets', params64, x, targets, rows).loss,
      1e-6,
    );
    const scale = maxAbs(fd);
    expect(scale).toBeGreaterThan(0);
    // The tolerances of the classification networks above, for the same reasons.
    for (const entry of net.table.entries) {
      const want = fd.subarray(entry.offset, entry.offset + entry.size);
      expectClose(
        net.grads.subarray(entry.offset, entry.offset + entry.size),
        want,
        { atol: 1e-7 * scale, rtol: 1e-6 },
        entry.name,
      );
    }
  });
});

/** Cross-entropy against the smoothed target (1 − ε)·onehot + ε / classes, in float64 from the softmax itself. */
function smoothed64(
  z: ArrayLike<number>,
  labels: ArrayLike<number>,
  rows: number,
  classes: number,
  eps: number,
): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: classes }, (_, c) => z[r * classes + c]);
    const exps = row.map((v) => Math.exp(v));
    const sum = exps.reduce((a, b) => a + b, 0);
    for (let c = 0; c < classes; c++)
      total -= ((1 - eps) * (c === labels[r] ? 1 : 0) + eps / classes) * Math.log(exps[c] / sum);
  }
  return total / rows;
}

describe('softmaxCrossEntropy with label smoothing (nn.CrossEntropyLoss(label_smoothing=ε))', () => {
  it('gives the values computed by hand in float64 (python3: −Σ target·log softmax, gradient softmax − target)', () => {
    // Computed apart from this code: math.log and math.exp in Python on the smoothed target's cross-entropy.
    const cases = [
      {
        logits: [1, 2, 3],
        label: 0,
        eps: 0.1,
        loss: 2.307605964444381,
        grad: [-0.8433027601629529, 0.21139513772146426, 0.6319076224414883],
      },
      {
        logits: [0.5, -1.25, 2, 0],
        label: 3,
        eps: 0.25,
        loss: 2.2563736126036624,
        grad: [0.09719355003210825, -0.03474942206731959, 0.6531968377823845, -0.715640965747173],
      },
    ];
    for (const { logits, label, eps, loss, grad } of cases) {
      const got = new Float32Array(logits.length);
      expect(
        softmaxCrossEntropy(got, Float32Array.from(logits), Uint32Array.of(label), 1, logits.length, eps),
      ).toBeCloseTo(loss, 13);
      // The gradient is stored in float32: 2^-24 relative.
      expectClose(got, grad, { atol: 1e-8, rtol: 2e-7 }, 'dLogits');
    }
  });

  it.each([
    [5, 3, 0.1],
    [33, 7, 0.3],
    [4, 10, 1],
  ])('%i rows of %i classes, ε %f: the loss and its finite-difference gradient', (rows, classes, eps) => {
    const rng = new Rng(rows * 37 + classes);
    const logits = randomArray(rng, rows * classes, -4, 4);
    const labels = randomLabels(rng, rows, classes);
    const grad = new Float32Array(rows * classes);
    const loss = softmaxCrossEntropy(grad, logits, labels, rows, classes, eps);
    expect(Math.abs(loss - smoothed64(logits, labels, rows, classes, eps))).toBeLessThan(1e-12);
    const z64 = Float64Array.from(logits);
    // As without smoothing: h = 1e-5, a float32 gradient, rtol 1e-6 and atol 1e-9.
    const fd = centralDifferences(z64, () => smoothed64(z64, labels, rows, classes, eps), 1e-5);
    expectClose(grad, fd, { atol: 1e-9, rtol: 1e-6 }, 'dLogits');
  });

  it('is the unsmoothed loss at ε 0, to the bit', () => {
    const rng = new Rng(5);
    const logits = randomArray(rng, 40, -4, 4);
    const labels = randomLabels(rng, 4, 10);
    const [plain, smooth] = [new Float32Array(40), new Float32Array(40)];
    expect(softmaxCrossEntropy(smooth, logits, labels, 4, 10, 0)).toBe(
      softmaxCrossEntropy(plain, logits, labels, 4, 10),
    );
    expect(smooth).toEqual(plain);
  });
});
