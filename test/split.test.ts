/** The one split rule: seeded, stratified by class; fit's validationSplit, holdOut and trainTestSplit follow it. */
import { describe, expect, it } from 'vitest';
import { holdOut, splitRows } from '../src/data/split.js';
import { heldOutRows } from '../src/data/table.js';
import { MLP, trainTestSplit } from '../src/index.js';
import { Rng } from '../src/model/rng.js';
import { colours } from './api-fixtures.js';
import { expectUserError } from './user-error.js';

/** Iris-like rows: three clusters of 50, sorted by class as iris's file is. */
function sortedFlowers(): { x: number[][]; y: string[] } {
  const { x, y } = colours(150, 7);
  const order = y.map((_, r) => r).sort((a, b) => y[a].localeCompare(y[b]) || a - b);
  return { x: order.map((r) => x[r]), y: order.map((r) => y[r]) };
}

const count = (labels: ArrayLike<number | string>, label: number | string) =>
  Array.from(labels).filter((l) => l === label).length;

describe('splitRows', () => {
  it("without classes, holds out the seeded shuffle: a regression's CLI test rows", () => {
    const { kept, held } = splitRows(50, 10);
    expect(Array.from(held)).toEqual(Array.from(heldOutRows('f.csv', 50, 0.2)));
    expect([...kept, ...held].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(splitRows(50, 10, 2).held)).not.toEqual(Array.from(held));
  });

  it('with classes, holds out each class in its share, and rounds the shares to the rows asked for', () => {
    const rng = new Rng(3);
    const labels = Uint32Array.from({ length: 97 }, () => (rng.below(10) < 6 ? 0 : rng.below(10) < 7 ? 1 : 2));
    const name = String;
    const { kept, held } = splitRows(97, 20, 11, { labels, name, what: () => 'validationSplit 0.2' });
    expect(held.length).toBe(20);
    expect(kept.length + held.length).toBe(97);
    for (const c of [0, 1, 2]) {
      const share = (count(labels, c) * 20) / 97;
      const got = count(
        Array.from(held, (r) => labels[r]),
        c,
      );
      expect(Math.abs(got - share)).toBeLessThan(1);
    }
    expect(new Set([...kept, ...held]).size).toBe(97);
  });

  it('keeps a training row of every class, and refuses a split that cannot, naming the class', async () => {
    const labels = Uint32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
    const name = (i: number) => ['a', 'b', 'c'][i];
    const { kept } = splitRows(10, 5, 1, { labels, name, what: () => 'validationSplit 0.5' });
    expect(new Set(Array.from(kept, (r) => labels[r]))).toEqual(new Set([0, 1, 2]));
    await expectUserError(
      () => splitRows(10, 8, 1, { labels, name, what: () => 'validationSplit 0.8' }),
      /^validationSplit 0\.8 holds out 8 of 10 rows, which leaves class "b" \(1 rows\) none to train on: use a smaller fraction, or more rows of "b"$/,
      undefined,
    );
  });

  it('holdOut stratifies class indices and copies the rows it picks', () => {
    const labels = Uint8Array.from({ length: 40 }, (_, i) => (i < 20 ? 0 : 1));
    const inputs = Uint8Array.from({ length: 80 }, (_, i) => i >> 1);
    const { train, val } = holdOut({ inputs, labels, count: 40, features: 2 }, 0.25);
    expect([train.count, val.count]).toEqual([30, 10]);
    expect([count(val.labels, 0), count(val.labels, 1)]).toEqual([5, 5]);
    expect(val.inputs).toBeInstanceOf(Uint8Array);
    for (let i = 0; i < val.count; i++) {
      expect(val.inputs[2 * i + 1]).toBe(val.inputs[2 * i]);
      expect(val.labels[i]).toBe(labels[val.inputs[2 * i]]);
    }
  });
});

describe('validationSplit in fit', () => {
  it('on rows sorted by class, validates on every class and learns them all', async () => {
    const { x, y } = sortedFlowers();
    const model = await MLP.create({ inputs: 4, hidden: [16], outputs: 3, backend: 'cpu', seed: 2 });
    let rows: unknown;
    const result = await model.fit(x, y, {
      epochs: 30,
      batchSize: 16,
      learningRate: 0.01,
      validationSplit: 0.2,
      onStart: (start) => (rows = start),
    });
    expect(rows).toEqual({ trainRows: 120, validationRows: 30, testRows: 0 });
    expect(result.val!.accuracy).toBeGreaterThan(0.85);
    // Every class in both parts: the training part learned all three.
    const report = await model.evaluateInDetail(x, y);
    expect(report.perClassAccuracy.every((a) => a > 0.8)).toBe(true);
    model.dispose();
  });

  it("holds out trainTestSplit's test rows, whatever order the model's classes are in", async () => {
    const { x, y } = sortedFlowers();
    const model = await MLP.create({ inputs: 4, outputs: 3, backend: 'cpu', classes: ['red', 'green', 'blue'] });
    const result = await model.fit(x, y, { epochs: 2, validationSplit: 0.3 });
    const { test } = trainTestSplit(x, y, { testSize: 0.3 });
    expect(await model.evaluate(test.x, test.y)).toEqual(result.val);
    model.dispose();
  });

  it('refuses validationData holding a class the training rows lack, naming it', async () => {
    const model = await MLP.create({ inputs: 1, outputs: 3, backend: 'cpu', classes: ['a', 'b', 'c'] });
    await expectUserError(
      () =>
        model.fit([[0], [1], [2], [3]], ['a', 'b', 'a', 'b'], { epochs: 1, validationData: { x: [[4]], y: ['c'] } }),
      /^the validation rows hold the class "c" and the training rows none: nothing could learn it; /,
      undefined,
    );
    model.dispose();
  });
});

describe('trainTestSplit', () => {
  it('is seeded and stratified, and keeps the forms it was given', () => {
    const { x, y } = sortedFlowers();
    const { train, test } = trainTestSplit(x, y, { testSize: 0.2, seed: 4 });
    expect([train.x.length, test.x.length, train.y.length, test.y.length]).toEqual([120, 30, 120, 30]);
    for (const name of ['blue', 'green', 'red']) expect(count(test.y, name)).toBe(10);
    for (let i = 0; i < test.y.length; i++) expect(y[x.indexOf(test.x[i])]).toBe(test.y[i]);
    expect(trainTestSplit(x, y, { testSize: 0.2, seed: 4 }).test.y).toEqual(test.y);
    expect(trainTestSplit(x, y, { testSize: 0.2, seed: 5 }).test.x).not.toEqual(test.x);

    const flat = Float32Array.from({ length: 20 }, (_, i) => i);
    const labels = Uint8Array.from([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    const typed = trainTestSplit(flat, labels, { testSize: 0.4 });
    expect(typed.test.x).toBeInstanceOf(Float32Array);
    expect(typed.test.y).toBeInstanceOf(Uint8Array);
    expect([count(typed.test.y, 0), count(typed.test.y, 1)]).toEqual([2, 2]);
    for (let i = 0; i < 4; i++) expect(labels[typed.test.x[2 * i] / 2]).toBe(typed.test.y[i]);

    const targets = { data: Float32Array.from({ length: 10 }, (_, i) => i / 2), rows: 10 };
    const regression = trainTestSplit({ data: flat, rows: 10 }, targets, { testSize: 0.3 });
    expect(regression.test.y.rows).toBe(3);
    expect(Array.from(regression.test.y.data, (v) => v * 4)).toEqual(
      Array.from(regression.test.x.data).filter((_, i) => i % 2 === 0),
    );
  });

  it('refuses what it cannot split, in one line', async () => {
    const x = [[0], [1], [2], [3]];
    await expectUserError(
      () => trainTestSplit(x, [0, 1, 0]),
      /^trainTestSplit: x has 4 rows: give one row of x per label in y \(3\)$/,
      'data',
    );
    await expectUserError(
      () => trainTestSplit(x, [0.5, 1, 2, 3], { testSize: 0.1 }),
      /^trainTestSplit: testSize 0\.1 of 4 rows holds out 0 rows: use a fraction between 0 and 1 that leaves rows/,
      undefined,
    );
    await expectUserError(
      () => trainTestSplit(x, [0.5, 1, 2, 3], { testSize: 0.5, stratify: true }),
      /^trainTestSplit: stratify needs class labels, one per row \(strings or whole numbers\): give stratify: false for targets$/,
      undefined,
    );
    await expectUserError(
      () => trainTestSplit(x, ['a', 'a', 'a', 'b'], { testSize: 0.5, stratify: false, seed: 2 }),
      /^the test rows hold the class "b" and the training rows none: nothing could learn it; stratify the split/,
      undefined,
    );
  });
});
