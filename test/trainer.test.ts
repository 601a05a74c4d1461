import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu/backend.js';
import { makeSpec } from '../src/model/spec.js';
import { DEFAULT_TRAIN_OPTIONS, train } from '../src/train/trainer.js';
import { toyDataset } from './toy.js';
import { expectUserError } from './user-error.js';

const spec = makeSpec([16, 24, 4], { inputMean: 0.5, inputStd: 0.3 });
const data = { train: toyDataset(1, 1000), test: toyDataset(2, 300) };
const options = { ...DEFAULT_TRAIN_OPTIONS, epochs: 4, batch: 16, learningRate: 0.1, logEvery: 20 };

describe('trainer on the CPU backend', () => {
  it('learns: the loss falls and the test accuracy rises well above chance', async () => {
    const progress: number[] = [];
    const result = await train(new CpuBackend(), spec, data, options, { onProgress: (p) => progress.push(p.loss) });
    const { history } = result;
    expect(history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
    expect(history[3].trainLoss).toBeLessThan(0.5 * history[0].trainLoss);
    expect(history[3].testAccuracy).toBeGreaterThan(0.85);
    expect(result.test!.accuracy).toBe(history[3].testAccuracy);
    // 1000 / 16 = 62 full steps per epoch, reported every 20 steps: 20, 40, 60, 62.
    expect(progress.length).toBe(4 * 4);
    for (const h of history) expect(h.seconds).toBeGreaterThan(0);
  });

  it('gives bitwise the same result for the same seed, and another for another seed', async () => {
    const backend = new CpuBackend();
    const a = await train(backend, spec, data, { ...options, epochs: 1 });
    const b = await train(backend, spec, data, { ...options, epochs: 1 });
    const c = await train(backend, spec, data, { ...options, epochs: 1, seed: 2 });
    expect(b.params).toEqual(a.params);
    expect(b.history[0].trainLoss).toBe(a.history[0].trainLoss);
    expect(c.params).not.toEqual(a.params);
  });

  it('without a test set evaluates none: no test figures, the same parameters as with one', async () => {
    const backend = new CpuBackend();
    const untested = await train(backend, spec, { train: data.train }, { ...options, epochs: 1 });
    const tested = await train(backend, spec, data, { ...options, epochs: 1 });
    expect(untested.test).toBeUndefined();
    expect(Object.keys(untested.history[0]).filter((key) => key.startsWith('test'))).toEqual([]);
    expect(untested.history[0].trainAccuracy).toBe(tested.history[0].trainAccuracy);
    expect(untested.params).toEqual(tested.params);
  });

  it('refuses bad options and mismatched data with one-line errors naming the setting, before training', async () => {
    const run =
      (overrides: object, s = spec) =>
      () =>
        train(new CpuBackend(), s, data, { ...options, ...overrides });
    await expectUserError(run({ batch: 1001 }), /^batchSize 1001 is larger than the training set \(1000/, 'batchSize');
    await expectUserError(run({ learningRate: -1 }), /./, 'learningRate');
    await expectUserError(run({ learningRate: NaN }), /learningRate/, 'learningRate');
    await expectUserError(run({ epochs: 0 }), /epochs/, 'epochs');
    await expectUserError(
      run({ dropout: 0.5 }, makeSpec([16, 4])),
      /^dropout acts on hidden layers, and this model has none: add one, e\.g\. layers 784,128,10$/,
      'dropout',
    );
    await expectUserError(
      run({}, makeSpec([15, 4])),
      /input size 15 does not match the training images \(16 pixels\): start layers with 16$/,
      'layers',
    );
    await expectUserError(
      run({}, makeSpec([16, 3])),
      /3 outputs but the data has label 3: end layers with at least 4$/,
      'layers',
    );
  });
});
