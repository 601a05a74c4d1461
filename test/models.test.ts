import { describe, expect, it } from 'vitest';
import { type Dataset, selectRows } from '../src/backend.js';
import { CpuBackend } from '../src/cpu/backend.js';
import { makeOptimizer } from '../src/model/optimizer.js';
import { Rng } from '../src/model/rng.js';
import { labelWidth, type ModelSpec, makeSpec } from '../src/model/spec.js';
import { type ModelRun, trainModels } from '../src/train/models.js';
import { type TrainData, type TrainOptions, train } from '../src/train/trainer.js';
import { randomArray } from './helpers.js';

/** Float rows whose class is the largest of three sums of features, with noise: learnable, not trivially. */
function floatSet(seed: number, count: number, features: number, regression = false): Dataset {
  const rng = new Rng(seed);
  const inputs = randomArray(rng, count * features);
  const labels = regression ? new Float32Array(count) : new Uint32Array(count);
  for (let r = 0; r < count; r++) {
    const row = inputs.subarray(r * features, (r + 1) * features);
    const sums = [0, 1, 2].map((c) => row[c] + row[c + 3] + 0.3 * (rng.below(100) / 100 - 0.5));
    labels[r] = regression ? sums[0] - sums[1] : sums.indexOf(Math.max(...sums));
  }
  return { inputs, labels, count, features };
}

const base: TrainOptions = { epochs: 3, batch: 8, learningRate: 0.05, seed: 1, logEvery: 2 };
const folds = (count: number, k: number) =>
  Array.from({ length: k }, (_, f) => {
    const all = Uint32Array.from({ length: count }, (_, r) => r);
    return { trainRows: all.filter((r) => r % k !== f), valRows: all.filter((r) => r % k === f) };
  });

/** Every model's outcome equals train() of that model alone on its own rows, bit for bit. */
async function expectEachAlone(spec: ModelSpec, data: TrainData, runs: ModelRun[]) {
  const backend = new CpuBackend();
  const outcomes = await trainModels(backend, spec, data, runs);
  for (const [i, run] of runs.entries()) {
    const width = labelWidth(spec);
    const own: TrainData = {
      train: run.trainRows ? selectRows(data.train, run.trainRows, width) : data.train,
      ...(data.test ? { test: data.test } : {}),
      ...(run.valRows ? { val: selectRows(data.train, run.valRows, width) } : data.val ? { val: data.val } : {}),
    };
    const alone = await train(backend, spec, own, run.options);
    expect(outcomes[i].params, `model ${i}`).toEqual(alone.params);
    const withoutTime = (records: { seconds: number }[]) => records.map(({ seconds: _, ...r }) => r);
    expect(withoutTime(outcomes[i].history)).toEqual(withoutTime(alone.history));
    expect(outcomes[i].earlyStop).toEqual(alone.earlyStop);
    expect(outcomes[i].steps).toBe(alone.steps);
  }
  return outcomes;
}

describe('models trained together on the CPU', () => {
  const spec = makeSpec([6, 8, 3]);
  const data = { train: floatSet(3, 61, 6), test: floatSet(4, 20, 6) };

  it('each equals the model alone: rates, optimiser settings, schedules, dropout and seeds differ', async () => {
    const adam = (beta1: number, weightDecay: number) => makeOptimizer('adam', { beta1, weightDecay });
    await expectEachAlone(spec, data, [
      { options: { ...base, optimizer: adam(0.9, 0) } },
      { options: { ...base, learningRate: 0.01, seed: 2, optimizer: adam(0.8, 1e-3), dropout: 0.2 } },
      { options: { ...base, seed: 3, optimizer: adam(0.9, 0), schedule: { name: 'cosine' } } },
    ]);
  });

  it('each equals the model alone on its folds, with early stopping on its own held-out fold', async () => {
    // 67 rows in 3 folds: 44, 45 and 45 training rows, 8 or 9 steps of 5.
    const options = { ...base, batch: 5, epochs: 10, earlyStop: 1, learningRate: 0.5 };
    const runs = folds(67, 3).map((rows, f) => ({ ...rows, options: { ...options, seed: f } }));
    const outcomes = await expectEachAlone(spec, { train: floatSet(7, 67, 6) }, runs);
    // The folds' training rows differ in number, and so do their steps per epoch.
    expect(new Set(outcomes.map((o) => o.history[0].steps)).size).toBeGreaterThan(1);
    expect(outcomes.map((o) => o.earlyStop?.stopped)).toContain(true);
  });

  it('a regression: each equals the model alone, figures in the targets units included', async () => {
    const regression = makeSpec([6, 8, 1], { task: 'regression', loss: 'mse' });
    const sets = { train: floatSet(5, 40, 6, true), val: floatSet(6, 12, 6, true) };
    const momentum = (m: number) => makeOptimizer('momentum', { momentum: m });
    const outcomes = await expectEachAlone(regression, sets, [
      { options: { ...base, optimizer: momentum(0.9) } },
      { options: { ...base, optimizer: momentum(0.5), learningRate: 0.02 } },
    ]);
    expect(outcomes[0].history[0].valR2).toEqual(expect.any(Number));
  });

  it('a diverging model stops with the reason while the others train on', async () => {
    const outcomes = await trainModels(new CpuBackend(), spec, data, [
      { options: base },
      { options: { ...base, learningRate: 1e30 } },
    ]);
    expect(outcomes[1].diverged).toMatch(/^the (loss became|parameters stopped)/);
    expect(outcomes[0].diverged).toBeUndefined();
    expect(outcomes[0].history).toHaveLength(3);
    expect(outcomes[1].history.length).toBeLessThan(3);
  });
});
