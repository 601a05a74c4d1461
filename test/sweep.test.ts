/** MLP.sweep on the CPU backend: the table, the best model, ensembles, folds, and the errors. */
import { describe, expect, it } from 'vitest';
import { MLP } from '../src/index.js';
import { colours, smooth } from './api-fixtures.js';
import { expectUserError } from './user-error.js';

const train = colours(180, 1);
const test = colours(90, 2);
const base = { epochs: 8, batchSize: 16, learningRate: 0.01 } as const;
const model = { hidden: [12], backend: 'cpu' as const };

describe('MLP.sweep on the CPU', () => {
  it('trains every setting, seed and fold, ranks the settings and refits the best on all rows', async () => {
    const epochs: number[] = [];
    const sweep = await MLP.sweep(train.x, train.y, {
      ...base,
      model,
      grid: { learningRate: [0.03, 1e-5], weightDecay: [0, 1e-3] },
      seeds: [1, 2],
      folds: 3,
      onEpoch: (records) => epochs.push(records.length),
    });
    expect(sweep.models).toHaveLength(4 * 2 * 3);
    expect(epochs).toEqual(Array.from({ length: 8 }, () => 24)); // one session: all 24 models every epoch
    expect(sweep.table.map((row) => row.models)).toEqual([6, 6, 6, 6]);
    // A rate of 1e-5 learns nothing in 8 epochs: both of its settings rank below both of 0.03's.
    expect(sweep.table.slice(0, 2).map((row) => row.setting.learningRate)).toEqual([0.03, 0.03]);
    expect(sweep.table[0].mean).toBeGreaterThan(sweep.table[3].mean + 0.2);
    // Best first: the highest mean score, and of equal ones the lowest held-out loss.
    for (const [i, row] of sweep.table.slice(1).entries()) {
      const above = sweep.table[i];
      expect(above.mean >= row.mean && (above.mean > row.mean || above.loss <= row.loss)).toBe(true);
    }
    for (const row of sweep.table) {
      const scores = sweep.models.filter((m) => m.setting === row.index).map((m) => m.score);
      expect(row.mean).toBeCloseTo(scores.reduce((a, b) => a + b, 0) / scores.length, 12);
    }
    expect(sweep.best.setting).toEqual(sweep.table[0].setting);
    expect(sweep.best.settings.learningRate).toBe(0.03);
    // best.settings are those the best model trained with: fit with them gives its weights.
    const { activation: _, loss: __, labelSmoothing: ___, ...fitSettings } = sweep.best.settings;
    const again = await MLP.create({ inputs: 4, outputs: 3, ...model, seed: sweep.best.settings.seed as number });
    await again.fit(train.x, train.y, fitSettings as never);
    expect(again.weights()).toEqual(sweep.best.model.weights());
    again.dispose();
    const accuracy = (await sweep.best.model.evaluate(test.x, test.y)).accuracy;
    expect(accuracy).toBeGreaterThan(0.9);
    const ensemble = await sweep.ensemble(3);
    expect(ensemble.members).toHaveLength(3);
    const voted = await ensemble.evaluate(test.x, test.y);
    expect(voted.accuracy).toBeGreaterThan(0.9);
    const p = await ensemble.predict(test.x);
    for (let r = 0; r < p.rows; r++) expect(p.row(r).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    ensemble.dispose();
    sweep.best.model.dispose();
  });

  it("each model is what fit gives the same settings alone; the best model has the best model's weights", async () => {
    const grid = [{ learningRate: 0.03 }, { learningRate: 0.003, optimizer: 'momentum', momentum: 0.9 }];
    const sweep = await MLP.sweep(train.x, train.y, { ...base, model, grid, validationSplit: 0.25 });
    for (const [i, setting] of grid.entries()) {
      const alone = await MLP.create({ inputs: 4, outputs: 3, ...model });
      const fit = await alone.fit(train.x, train.y, { ...base, ...setting, validationSplit: 0.25 } as never);
      const time = (records: { seconds: number }[]) => records.map(({ seconds: _, ...r }) => r);
      expect(time(sweep.models[i].history)).toEqual(time(fit.history));
      if (sweep.table[0].index === i) expect(sweep.best.model.weights()).toEqual(alone.weights());
      alone.dispose();
    }
  });

  it("keeps the model's own settings, and sizes a table's default batch to the rows a fold trains on", async () => {
    const small = colours(60, 4);
    // 60 rows in 3 folds: each model trains on 40, the default batch min(200, rows).
    const sweep = await MLP.sweep(small.x, small.y, {
      epochs: 2,
      model: { ...model, activation: 'tanh', loss: 'mse' },
      grid: { learningRate: [0.01, 0.001] },
      folds: 3,
    });
    for (const m of sweep.models) expect(m.settings).toMatchObject({ activation: 'tanh', loss: 'mse', batchSize: 40 });
    expect(sweep.best.model.spec).toMatchObject({ activation: 'tanh', loss: 'mse' });
    sweep.best.model.dispose();
  });

  it('waits for a promise its callbacks return, as fit does (a pause)', async () => {
    const events: string[] = [];
    await MLP.sweep(train.x, train.y, {
      ...base,
      epochs: 2,
      model,
      validationSplit: 0.25,
      onProgress: () => events.push('chunk'),
      onEpoch: async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        events.push('epoch done');
      },
    });
    expect(events).toEqual(['chunk', 'epoch done', 'chunk', 'epoch done']);
  });

  it('ranks a regression by R², and says what is wrong with its options', async () => {
    const data = smooth(120, 3);
    const sweep = await MLP.sweep(data.x, data.y, {
      ...base,
      model: { ...model, task: 'regression' },
      grid: { learningRate: [0.01, 1e-6] },
      folds: 2,
    });
    expect(sweep.table[0].setting.learningRate).toBe(0.01);
    expect(sweep.table[0].mean).toBeGreaterThan(0.5);
    // A table's default batch, min(200, rows), follows the rows of a fold's model: 120 of 180 with 3 folds.
    const defaults = await MLP.sweep(train.x, train.y, { model, epochs: 1, folds: 3 });
    expect(defaults.models.map((m) => m.history[0].steps)).toEqual([1, 1, 1]);
    expect(defaults.best.settings.batchSize).toBe(120);
    await expectUserError(
      () => MLP.sweep(train.x, train.y, { model, folds: 3, validationSplit: 0.2 }),
      /^folds and validationSplit \(or validationData\) both choose the held-out rows: use one$/,
      'folds',
    );
    await expectUserError(
      () => MLP.sweep(train.x, train.y, { model, grid: { seed: [1, 2] } }),
      /^a sweep cannot vary seed: vary /,
      'grid',
    );
    await expectUserError(
      () => MLP.sweep(train.x, train.y, { model, folds: 1 }),
      /^folds 1 does not fit 180 /,
      'folds',
    );
    await expectUserError(
      () => MLP.sweep(train.x, train.y, { ...base, model, grid: { learningRate: [1e30] }, folds: 2 }),
      /^every model of the sweep diverged: lower learningRate in the grid$/,
      'learningRate',
    );
  });
});
