/**
 * The CPU activations and the MSE loss against float64 definitions (test/reference64.ts), their backward
 * forms against central differences of those definitions, and the whole network with every activation, loss and
 * dropout against finite differences.
 */
import { describe, expect, it } from 'vitest';
import * as act from '../src/cpu/activations.js';
import { modelLoss, mseOneHot } from '../src/cpu/losses.js';
import { CpuNetwork } from '../src/cpu/network.js';
import { initParams } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { ACTIVATIONS, LOSSES, makeSpec } from '../src/model/spec.js';
import { expectClose, randomArray, randomLabels } from './helpers.js';
import { activation64, centralDifferences, erf64, loss64, maxAbs, network64 } from './reference64.js';

const F32_ROUND = 2 ** -24;

describe('erf', () => {
  it('the float64 reference erf is right at known values', () => {
    // Values from tables of erf (Abramowitz and Stegun, table 7.1, and more digits from any arbitrary-precision tool).
    expect(Math.abs(erf64(0.5) - 0.5204998778130465)).toBeLessThan(1e-15);
    expect(Math.abs(erf64(1) - 0.8427007929497149)).toBeLessThan(1e-15);
    expect(Math.abs(erf64(2) - 0.9953222650189527)).toBeLessThan(1e-15);
    expect(Math.abs(erf64(-3.5) + 0.9999992569016276)).toBeLessThan(1e-15);
    expect(erf64(0)).toBe(0);
  });

  it('the CPU (and WGSL) erf is within 1.5e-7 everywhere, as documented', () => {
    let worst = 0;
    for (let x = -8; x <= 8; x += 1 / 1024) worst = Math.max(worst, Math.abs(act.erf(x) - erf64(x)));
    expect(worst).toBeLessThan(1.5e-7);
    expect(worst).toBeGreaterThan(1e-7); // the bound is tight: a different formula would show here
    expect(act.erf(-2)).toBe(-act.erf(2));
  });
});

describe.each(ACTIVATIONS)('%s', (kind) => {
  const forward = (y: Float32Array, x: Float32Array, n: number) => act.activationForward(kind, y, x, n);
  const backward = (dx: Float32Array, dy: Float32Array, x: Float32Array, n: number) =>
    act.activationBackward(kind, dx, dy, x, n);
  const count = 301;
  const rng = new Rng(kind.length * 17 + 5);
  // |x| >= 0.05 keeps the finite differences (h = 1e-5) off the kinks of relu and leaky relu; range ±4 covers the
  // curved parts of sigmoid, tanh and GELU and their saturation.
  const x = Float32Array.from({ length: count }, () => (rng.below(2) ? 1 : -1) * rng.uniform(0.05, 4));
  const g = randomArray(rng, count);

  it('forward matches the float64 definition', () => {
    const y = new Float32Array(count + 3).fill(12345.5);
    forward(y, x, count);
    const want = Float64Array.from(x, (v) => activation64(kind, v));
    // One float32 rounding, except GELU, whose erf (within 1.5e-7) costs at most 0.75e-7·|x| <= 3e-7 at |x| <= 4.
    const tol = kind === 'gelu' ? { atol: 3e-7, rtol: F32_ROUND } : { atol: 1e-30, rtol: F32_ROUND * 1.01 };
    expectClose(y.subarray(0, count), want, tol, `${kind} forward`);
    expect(Array.from(y.subarray(count))).toEqual([12345.5, 12345.5, 12345.5]);
    const inPlace = x.slice();
    forward(inPlace, inPlace, count);
    expect(inPlace).toEqual(y.subarray(0, count));
  });

  it('backward gives the finite-difference gradient of the float64 definition', () => {
    const dx = new Float32Array(count);
    backward(dx, g, x, count);
    const x64 = Float64Array.from(x);
    const fd = centralDifferences(
      x64,
      () => {
        let sum = 0;
        for (let i = 0; i < count; i++) sum += g[i] * activation64(kind, x64[i]);
        return sum;
      },
      1e-5,
    );
    // Each element's difference sees only its own term: truncation h²·|f'''| ≈ 1e-10, rounding 2^-53·Σ|terms| / h
    // ≈ 1e-9 at most. The analytic side is float64 rounded once (rtol 1e-6 leaves room); GELU's erf adds up to
    // 0.75e-7·|g| to Φ.
    expectClose(dx, fd, { atol: kind === 'gelu' ? 2e-7 : 5e-9, rtol: 1e-6 }, `${kind} backward`);
  });

  it('stays finite where exp would overflow', () => {
    const big = Float32Array.from([-1e4, -100, 100, 1e4]);
    const y = new Float32Array(4);
    const dx = new Float32Array(4);
    forward(y, big, 4);
    backward(dx, Float32Array.from([1, 1, 1, 1]), big, 4);
    for (const v of [...y, ...dx]) expect(Number.isFinite(v)).toBe(true);
  });
});

describe('mseOneHot', () => {
  it.each([
    { rows: 1, classes: 10 },
    { rows: 7, classes: 3 },
    { rows: 33, classes: 10 },
  ])(
    'is nn.MSELoss against one-hot targets, mean over all $rows x $classes elements, with its gradient',
    ({ rows, classes }) => {
      const rng = new Rng(rows * 7 + classes);
      const out = randomArray(rng, rows * classes, -1.5, 1.5);
      const labels = randomLabels(rng, rows, classes);
      const grad = new Float32Array(rows * classes);
      const loss = mseOneHot(grad, out, labels, rows, classes);
      expect(Math.abs(loss - loss64('mse', out, labels, rows, classes))).toBeLessThan(1e-15);
      expect(modelLoss({ task: 'classification', loss: 'mse' }, null, out, labels, rows, classes)).toBe(loss);
      // By hand for one element: d/d out = 2 (out − target) / (rows · classes).
      const target0 = labels[0] === 0 ? 1 : 0;
      expect(grad[0]).toBe(Math.fround((2 * (out[0] - target0)) / (rows * classes)));
      const o64 = Float64Array.from(out);
      // Quadratic: central differences are exact but for rounding (2^-53·|L| / h ≈ 1e-11 with h = 1e-5).
      const fd = centralDifferences(o64, () => loss64('mse', o64, labels, rows, classes), 1e-5);
      expectClose(grad, fd, { atol: 1e-10, rtol: 1e-6 }, 'dOut');
    },
  );
});

// ---- the whole network with every activation, loss and dropout ----------------------------------------------------

const cases = ACTIVATIONS.flatMap((activation) => LOSSES.map((loss) => ({ activation, loss })));

describe.each(cases)('CpuNetwork with $activation and $loss', ({ activation, loss }) => {
  it.each([false, true])('backward() gives the finite-difference gradient (dropout %s)', (withDropout) => {
    const spec = makeSpec([11, 9, 7, 4], { activation, loss });
    const rows = 5;
    const net = new CpuNetwork(spec, rows + 2);
    const seed = 30 + ACTIVATIONS.indexOf(activation);
    const params = initParams(net.table, seed);
    const rng = new Rng(500 + seed);
    const x = randomArray(rng, rows * 11);
    const labels = randomLabels(rng, rows, 4);
    const drop = withDropout ? { rate: 0.3, seed: 77, step: 12 } : undefined;
    net.input.set(x);
    net.forward(params, rows, drop ?? null);
    const got = net.backward(params, labels, rows);

    const params64 = Float64Array.from(params);
    const at = network64(net.table, activation, loss, params64, x, labels, rows, drop);
    if (activation === 'relu' || activation === 'leaky-relu') {
      // h·Σ|inputs| stays far below this margin, so no step crosses a kink.
      expect(at.margin, 'smallest |pre-activation|: choose another seed').toBeGreaterThan(1e-3);
    }
    expect(Math.abs(got - at.loss)).toBeLessThan(2e-6 * at.loss);
    const fd = centralDifferences(
      params64,
      () => network64(net.table, activation, loss, params64, x, labels, rows, drop).loss,
      1e-6,
    );
    const scale = maxAbs(fd);
    expect(scale).toBeGreaterThan(0);
    // As in gradcheck.test.ts: a few float32 stores (rtol 1e-6) and cancelling sums over rows (atol relative to the
    // largest gradient); GELU's erf adds up to ~1e-7 relative to each unit's gradient.
    expectClose(
      net.grads,
      fd,
      { atol: (activation === 'gelu' ? 4e-7 : 1e-7) * scale, rtol: 1e-6 },
      `${activation} ${loss}`,
    );
  });
});
