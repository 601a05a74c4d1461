import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { initParams, paramTable, view } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { makeSpec, parseLayers } from '../src/model/spec.js';
import { expectUserError } from './user-error.js';

describe('Rng', () => {
  it('repeats for a seed and differs between seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 100 }, () => a.nextU32());
    expect(Array.from({ length: 100 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c.nextU32())).not.toEqual(xs);
  });

  it('draws uniform floats with the right mean and variance', () => {
    const rng = new Rng(7);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.next();
      min = Math.min(min, x);
      max = Math.max(max, x);
      sum += x;
      sumSq += x * x;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    const mean = sum / n;
    // Standard error of the mean is sqrt(1/12 / n) ≈ 6.5e-4: 5 of those.
    expect(Math.abs(mean - 0.5)).toBeLessThan(3.3e-3);
    expect(Math.abs(sumSq / n - mean * mean - 1 / 12)).toBeLessThan(2e-3);
  });

  it('shuffles into a permutation, and restores its state', () => {
    const rng = new Rng(3);
    const order = rng.shuffle(Uint32Array.from({ length: 1000 }, (_, i) => i));
    expect([...order].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...order.subarray(0, 20)]).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    const saved = rng.state;
    const next = rng.nextU32();
    const copy = new Rng(0);
    copy.state = saved;
    expect(copy.nextU32()).toBe(next);
    for (let i = 0; i < 1000; i++) expect(rng.below(7)).toBeLessThan(7);
  });
});

describe('model spec and parameter table', () => {
  it('lays out weights [out, in] and biases with PyTorch nn.Sequential names', () => {
    const table = paramTable(makeSpec([784, 128, 10]));
    expect(table.entries.map((e) => [e.name, e.shape, e.offset])).toEqual([
      ['0.weight', [128, 784], 0],
      ['0.bias', [128], 128 * 784],
      ['2.weight', [10, 128], 128 * 785],
      ['2.bias', [10], 128 * 785 + 1280],
    ]);
    expect(table.total).toBe(128 * 785 + 10 * 129);
  });

  it('initialises like nn.Linear: U(-1/sqrt(in), 1/sqrt(in)), repeatably from the seed', () => {
    const table = paramTable(makeSpec([400, 300, 10]));
    const params = initParams(table, 5);
    expect(initParams(table, 5)).toEqual(params);
    expect(initParams(table, 6)).not.toEqual(params);
    for (const layer of table.layers) {
      const bound = 1 / Math.sqrt(layer.inSize);
      const w = view(params, layer.weight);
      let max = 0;
      let sumSq = 0;
      for (const x of w) {
        max = Math.max(max, Math.abs(x));
        sumSq += x * x;
      }
      expect(max).toBeLessThanOrEqual(bound);
      expect(max).toBeGreaterThan(0.99 * bound);
      // The variance of U(-b, b) is b²/3; with thousands of weights the estimate is within a few percent.
      expect(sumSq / w.length / ((bound * bound) / 3)).toBeCloseTo(1, 1);
      for (const x of view(params, layer.bias)) expect(Math.abs(x)).toBeLessThanOrEqual(bound);
    }
  });

  it('rejects bad layer lists with one-line errors naming the setting', async () => {
    expect(parseLayers('784, 128,10')).toEqual([784, 128, 10]);
    for (const text of ['784', '784,,10', '784,-1,10', '784,12.5,10', 'abc']) {
      expect(() => parseLayers(text)).toThrow(UserError);
    }
    await expectUserError(
      () => parseLayers('784,abc'),
      /^layers "784,abc" is not a list of sizes: use e\.g\. layers 784,128,10$/,
      'layers',
    );
    await expectUserError(() => makeSpec([784, 0, 10]), /positive integer/, 'layers');
  });

  it('is a classifier unless it says otherwise, and a regression model learns with mse', async () => {
    expect(makeSpec([4, 3]).task).toBe('classification');
    expect(makeSpec([4, 2], { task: 'regression', loss: 'mse' }).task).toBe('regression');
    await expectUserError(
      () => makeSpec([4, 2], { task: 'regression' }),
      /^a regression model learns with loss mse, not softmax-cross-entropy$/,
      'loss',
    );
    await expectUserError(
      () => makeSpec([4, 2], { task: 'ranking' as 'regression' }),
      /^task "ranking" is not one of classification, regression$/,
      'task',
    );
  });
});
