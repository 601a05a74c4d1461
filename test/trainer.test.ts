import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu/backend.js';
import { UserError } from '../src/errors.js';
import { makeSpec } from '../src/model/spec.js';
import { DEFAULT_TRAIN_OPTIONS, train } from '../src/train/trainer.js';
import { toyDataset } from './toy.js';

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
    expect(result.test.accuracy).toBe(history[3].testAccuracy);
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

  it('refuses bad options and mismatched data with one-line errors before training', async () => {
    const run = (overrides: object, s = spec) => train(new CpuBackend(), s, data, { ...options, ...overrides });
    await expect(run({ batch: 1001 })).rejects.toThrow(/--batch 1001 is larger than the training set \(1000/);
    await expect(run({ learningRate: -1 })).rejects.toThrow(UserError);
    await expect(run({ learningRate: NaN })).rejects.toThrow(/--lr/);
    await expect(run({ epochs: 0 })).rejects.toThrow(/--epochs/);
    await expect(run({}, makeSpec([15, 4]))).rejects.toThrow(/input size 15 does not match the training images \(16 pixels\)/);
    await expect(run({}, makeSpec([16, 3]))).rejects.toThrow(/3 outputs but the data has label 3/);
  });
});
