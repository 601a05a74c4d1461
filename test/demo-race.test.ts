/** The page's race: its fields' checks and defaults, the sweep its options ask for, and the curves it draws. */
import { describe, expect, it } from 'vitest';
import {
  defaultValues,
  formValue,
  modelOf,
  parseRace,
  raceSettings,
  sweepOptionsOf,
  withValue,
} from '../demo/src/race-plan.js';
import { accuracyCurves, curveKey, lossCurves, RunList, type Trace } from '../demo/src/runs.js';
import { type DataContext, parseSettings, type Settings } from '../demo/src/settings.js';
import { MLP } from '../src/index.js';
import { OPTIMIZERS } from '../src/model/optimizer.js';
import { SCHEDULES } from '../src/model/schedule.js';
import { resolveSettings, trainOptionsFrom } from '../src/train/resolve.js';
import { colours } from './api-fixtures.js';

const basic = { hidden: '12', batch: '16', learningRate: '0.1', epochs: '3', seed: '4', backend: 'cpu' };
const parse = (text: Record<string, string> = {}): Settings => {
  const parsed = parseSettings({ ...basic, ...text }, 1000, 'mnist');
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
const chosenOf = (s: Settings) => ({ optimizer: s.optimizer.name, schedule: s.schedule.name, loss: s.loss });
const text = { setting: 'learningRate', values: '0.3, 0.03', seeds: '1', validation: '0.1' };

describe('a race of the page', () => {
  it("offers the settings the form's choices allow, with values around the form's rate", () => {
    const sgd = parse();
    expect(raceSettings(chosenOf(sgd)).map((s) => s.name)).toEqual([
      'learningRate',
      'batchSize',
      'weightDecay',
      'dropout',
      'labelSmoothing',
    ]);
    expect(defaultValues('learningRate', sgd, 1000)).toEqual([0.3, 0.1, 0.03, 0.01]);
    const adam = parse({ optimizer: 'adam', learningRate: '0.001', loss: 'mse' });
    const offered = raceSettings(chosenOf(adam)).map((s) => s.name);
    expect(offered).toEqual(['learningRate', 'batchSize', 'weightDecay', 'dropout', 'beta1', 'beta2', 'eps']);
    expect(defaultValues('learningRate', adam, 1000)).toEqual([0.003, 0.001, 0.0003, 0.0001]);
    expect(defaultValues('batchSize', adam, 60)).toEqual([16, 32]); // no batch beyond the rows it trains on
    const momentum = parse({ optimizer: 'momentum', learningRate: '0.01', schedule: 'step', 'step-size': '1' });
    expect(raceSettings(chosenOf(momentum)).map((s) => s.name)).toContain('momentum');
    expect(raceSettings(chosenOf(momentum)).map((s) => s.name)).toContain('gamma');
    // Each offered setting is set where the form keeps it, and read back from there.
    for (const s of [sgd, adam, momentum]) {
      for (const { name } of raceSettings(chosenOf(s))) {
        const value = defaultValues(name, s, 1000)[1];
        expect(formValue(withValue(s, name, value), name), name).toBe(value);
      }
    }
  });

  it("offers values the library accepts, for every optimiser's and schedule's settings", () => {
    const data = { table: false, trainRows: 1000, regression: false };
    for (const optimizer of OPTIMIZERS) {
      for (const schedule of SCHEDULES) {
        const settings = parse({ optimizer, schedule, 'step-size': '1', 'min-lr': '0' });
        for (const { name } of raceSettings(chosenOf(settings))) {
          for (const value of defaultValues(name, settings, 1000)) {
            const given = { optimizer, schedule, ...(schedule === 'step' ? { stepSize: 1 } : {}), [name]: value };
            expect(() => trainOptionsFrom(resolveSettings(given, data)), `${optimizer} ${name} ${value}`).not.toThrow();
          }
        }
      }
    }
  });

  it('checks its fields, each problem one sentence naming the field', () => {
    const chosen = chosenOf(parse());
    const plan = parseRace({ ...text, values: '0.3, 0.03, 0.3', seeds: '3' }, chosen, 4);
    expect(plan).toEqual({
      ok: true,
      value: { setting: 'learningRate', values: [0.3, 0.03], seeds: [4, 5, 6], validationSplit: 0.1 },
    });
    if (!plan.ok) throw new Error(plan.error);
    // The form's batch, but no more than the rows left to train on (a table's default is all its training rows).
    const options = sweepOptionsOf(parse({ batch: '100' }), plan.value, 5, 100);
    expect(options).toMatchObject({ batchSize: 90, chunkSteps: 5, validationSplit: 0.1, seeds: [4, 5, 6] });
    expect(options.grid).toEqual({ learningRate: [0.3, 0.03] });
    expect('seed' in options).toBe(false);
    expect('folds' in options).toBe(false);
    expect(sweepOptionsOf(parse(), plan.value, 5, 100).batchSize).toBe(16);
    const error = (change: Partial<typeof text>) => {
      const parsed = parseRace({ ...text, ...change }, chosen, 4);
      return parsed.ok ? 'accepted' : parsed.error;
    };
    expect(error({ values: '0.1, fast' })).toBe('Race values: "fast" is not a number of learning rate.');
    expect(error({ values: '0.1' })).toBe(
      'Race values: give 2 to 8 different values of learning rate, separated by commas.',
    );
    expect(error({ seeds: '0' })).toBe('Seeds per value: "0" is not a whole number from 1 to 5.');
    expect(error({ validation: '0.9' })).toBe(
      'Validation: "0.9" is neither a share of the rows above 0 and at most 0.5 (0.1 holds out a tenth) ' +
        'nor a number of folds from 2 to 10.',
    );
    expect(error({ validation: '11' })).toMatch(/^Validation: "11" is neither/);
    // A whole number of 2 or more: k folds instead of a split, and no batch beyond the rows of k - 1 folds.
    const folds = parseRace({ ...text, validation: '4' }, chosen, 4);
    expect(folds).toEqual({ ok: true, value: { setting: 'learningRate', values: [0.3, 0.03], seeds: [4], folds: 4 } });
    if (!folds.ok) throw new Error(folds.error);
    const foldOptions = sweepOptionsOf(parse({ batch: '100' }), folds.value, 5, 100);
    expect(foldOptions).toMatchObject({ batchSize: 75, folds: 4 });
    expect('validationSplit' in foldOptions).toBe(false);
    expect(error({ setting: 'beta1' })).toBe('Race: "beta1" is not a setting to vary with these choices.');
  });

  it("trains the form's settings with each value and seed in one sweep, its models in the race's order", async () => {
    const settings = parse({ optimizer: 'momentum', learningRate: '0.03', activation: 'tanh', dropout: '0.1' });
    const parsed = parseRace(
      { ...text, setting: 'momentum', values: '0.5, 0.9', seeds: '2', validation: '0.2' },
      chosenOf(settings),
      4,
    );
    if (!parsed.ok) throw new Error(parsed.error);
    const train = colours(120, 1);
    const records: string[] = [];
    const sweep = await MLP.sweep(train.x, train.y, {
      ...sweepOptionsOf(settings, parsed.value, 5, train.x.length),
      model: { hidden: settings.hidden, activation: settings.activation, backend: 'cpu' },
      onEpoch: (epoch) => records.push(epoch.map((r) => `${r.model}:${r.setting}:${r.seed}`).join(' ')),
    });
    expect(records).toEqual(Array.from({ length: 3 }, () => '0:0:4 1:0:5 2:1:4 3:1:5'));
    expect(sweep.table).toHaveLength(2);
    sweep.models.forEach((m, i) => {
      const { setting, seed } = modelOf(i, 2);
      expect([m.setting, m.seed], `model ${i}`).toEqual([setting, parsed.value.seeds[seed]]);
      // The form's settings, with the race's value: rate, dropout, epochs, batch.
      expect(m.settings).toMatchObject({ learningRate: 0.03, momentum: [0.5, 0.9][setting], dropout: 0.1, epochs: 3 });
      expect(m.settings).toMatchObject({ batchSize: 16, activation: 'tanh', validationSplit: 0.2 });
      expect(m.history).toHaveLength(3);
    });
    sweep.best.model.dispose();
  });

  it('ranks on k folds where asked: each value, seed and fold a model of its own, in the order modelOf gives', async () => {
    const settings = parse({ epochs: '2', learningRate: '0.05' });
    const parsed = parseRace({ ...text, values: '0.05, 0.001', seeds: '2', validation: '3' }, chosenOf(settings), 4);
    if (!parsed.ok) throw new Error(parsed.error);
    const train = colours(90, 2);
    const sweep = await MLP.sweep(train.x, train.y, {
      ...sweepOptionsOf(settings, parsed.value, 5, train.x.length),
      model: { hidden: settings.hidden, backend: 'cpu' },
    });
    expect(sweep.models).toHaveLength(2 * 2 * 3);
    sweep.models.forEach((m, i) => {
      const { setting, seed, fold } = modelOf(i, 2, 3);
      expect([m.setting, m.seed, m.fold], `model ${i}`).toEqual([setting, [4, 5][seed], fold]);
    });
    expect(sweep.table.map((row) => row.models)).toEqual([6, 6]);
    sweep.best.model.dispose();
  });

  it("draws each model's curves in its setting's colour, ending where it diverged; places settings best first", () => {
    const list = new RunList();
    const data: DataContext = { kind: 'mnist', trainCount: 1000, fullTrain: 1000, testCount: 100, fullTest: 100 };
    const trace = (seed: number): Trace => ({ seed, losses: [], history: [] });
    const settings = parse();
    const [fast, slow] = [0.3, 0.03].map((value, i) =>
      list.add(withValue(settings, 'learningRate', value), data, [784, 12, 10], '?', {
        race: 1,
        setting: 'Learning rate',
        value,
        models: i === 0 ? [trace(4), trace(5)] : [trace(4)],
      }),
    );
    expect(fast.label).toBe('Learning rate 0.3 · race 1');
    const [a, b] = fast.race!.models;
    a.losses.push({ epochs: 0.5, loss: 2 }, { epochs: 1, loss: 1 });
    a.history.push({ epoch: 1, steps: 5, trainLoss: 1.5, valLoss: 1.2, valAccuracy: 0.7, seconds: 1 });
    b.losses.push({ epochs: 0.5, loss: 40 });
    b.diverged = { epochs: 0.75 };
    slow.race!.models[0].losses.push({ epochs: 0.5, loss: 2.2 });
    const shape = (curves: ReturnType<typeof lossCurves>) => curves.map((c) => `${curveKey(c)}:${c.points.length}`);
    expect(shape(lossCurves(list.visible))).toEqual([
      '1s4:training loss:2',
      '1s4:validation loss:1',
      '1s5:training loss:1',
      '1s5:validation loss:0',
      '1s5:diverged:1',
      '2:training loss:1',
      '2:validation loss:0',
    ]);
    expect(lossCurves(list.visible).find((c) => c.kind === 'diverged')!.points).toEqual([[0.75, 40]]);
    expect(accuracyCurves(list.visible).map((c) => [curveKey(c), c.points])).toEqual([
      ['1s4:validation accuracy', [[1, 70]]],
      ['1s5:validation accuracy', []],
      ['2:validation accuracy', []],
    ]);
    expect(lossCurves(list.visible).every((c) => c.run.colour === (c.run === fast ? fast.colour : slow.colour))).toBe(
      true,
    );
    expect(fast.colour).not.toBe(slow.colour);
    list.place([slow, fast]);
    expect(list.runs.map((r) => r.id)).toEqual([2, 1]);
  });
});
