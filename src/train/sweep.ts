/**
 * A sweep: every setting of a grid, each with several seeds and on several folds, trained and ranked on held-out rows.
 * Models that can share a session (one spec, batch, epochs and optimiser kind) train together in it; the API's
 * MLP.sweep, the CLI's sweep and the page stand on this.
 */
import type { Backend } from '../backend.js';
import { kFolds, SPLIT_SEED } from '../data/split.js';
import { UserError } from '../errors.js';
import { optimizerSlots } from '../model/optimizer.js';
import type { ModelSpec } from '../model/spec.js';
import { type ModelOutcome, type ModelRun, type ModelsProgress, trainModels } from './models.js';
import { type DataContext, resolveSettings, trainOptionsFrom, type Values } from './resolve.js';
import type { TrainData } from './run.js';
import { SETTING_NAMES, type SettingName } from './setting-names.js';
import type { EpochRecord } from './trainer.js';

/** The settings a grid may vary: every training setting but those that say where data and validation come from. */
const FIXED: readonly SettingName[] = ['validationSplit', 'seed', 'chunkSteps', 'maxSteps'];
export const SWEEP_SETTINGS = SETTING_NAMES.filter((name) => !FIXED.includes(name));

/** A grid: values per setting, every combination tried; or a list of settings, each tried as it is. */
export type Grid = Partial<Record<SettingName, readonly (number | boolean | string)[]>> | Values[];

/** The settings a grid names, every combination of its values (the last setting's values varying fastest). */
export function expandGrid(grid: Grid = {}): Values[] {
  const settings = Array.isArray(grid) ? grid : combinations(grid);
  for (const values of settings) {
    const wrong = Object.keys(values).find((name) => !SWEEP_SETTINGS.includes(name as SettingName));
    if (wrong) {
      throw new UserError(
        `a sweep cannot vary ${wrong}: vary ${SWEEP_SETTINGS.filter((n) => n !== 'activation').join(', ')}`,
        'grid',
      );
    }
  }
  return settings.length > 0 ? settings : [{}];
}

function combinations(grid: Partial<Record<string, readonly (number | boolean | string)[]>>): Values[] {
  let settings: Values[] = [{}];
  for (const [name, values] of Object.entries(grid)) {
    if (!Array.isArray(values) || values.length === 0) {
      throw new UserError(`the grid's ${name} must be a list of one or more values`, 'grid');
    }
    settings = settings.flatMap((partial) => values.map((value) => ({ ...partial, [name]: value })));
  }
  return settings;
}

/** What a sweep trains: a grid's settings over a base, each with these seeds and, with `folds`, on every fold. */
export interface SweepPlan {
  settings: Values[];
  /** Shared by every setting unless it sets its own. */
  base: Values;
  seeds: number[];
  /** k-fold cross-validation over the training rows, instead of the data's validation set. */
  folds?: number;
  data: DataContext;
}

/** One model of a sweep and what became of it. */
export interface SweepModel {
  /** Its setting's index in SweepPlan.settings. */
  setting: number;
  seed: number;
  fold?: number;
  /** Its settings, resolved (defaults filled in). */
  values: Values;
  spec: ModelSpec;
  outcome: ModelOutcome;
  /** Its score on its held-out rows, the kept epoch's: validation accuracy, or R² for a regression; NaN if diverged. */
  score: number;
  /** Its share of the wall time of the session it trained in. */
  seconds: number;
}

export interface SweepProgress extends ModelsProgress {
  /** Which of the sweep's sessions is training, of how many: models that differ in kind train apart. */
  session: number;
  sessions: number;
  /** Models of this session, and their first index among the sweep's models. */
  models: number;
  firstModel: number;
}

export interface SweepCallbacks {
  onProgress?: (progress: SweepProgress) => void;
  /** After every epoch of a session: its models' records by their index among all the sweep's models. */
  onEpoch?: (records: Map<number, EpochRecord>) => void;
  yieldPoint?: () => Promise<void>;
}

/** The score of a kept epoch: the task's held-out figure (higher is better). */
export const scoreOf = (record: EpochRecord | undefined, regression: boolean): number =>
  (regression ? record?.valR2 : record?.valAccuracy) ?? NaN;

/**
 * Trains every model of the plan, grouped into as few sessions as their kinds allow (same spec, batch, epochs,
 * shuffling, early stopping and optimiser state), in the order of their first model.
 */
export async function runSweep(
  backend: Backend,
  spec: ModelSpec,
  data: TrainData,
  plan: SweepPlan,
  callbacks: SweepCallbacks = {},
): Promise<SweepModel[]> {
  const { train } = data;
  const regression = spec.task === 'regression';
  if (plan.seeds.length === 0) throw new UserError('seeds must list one seed or more', 'seeds');
  const folds =
    plan.folds === undefined
      ? [undefined]
      : kFolds(train.count, plan.folds, SPLIT_SEED, regression ? undefined : train.labels);
  if (plan.folds === undefined && !data.val) {
    throw new UserError(
      (n) => `a sweep ranks its models on held-out rows: give ${n('folds')} (e.g. 5) or ${n('validationSplit')}`,
      'folds',
    );
  }
  type Planned = Omit<SweepModel, 'outcome' | 'score' | 'seconds'> & { run: ModelRun; key: string };
  const planned: Planned[] = [];
  plan.settings.forEach((setting, s) => {
    for (const seed of plan.seeds) {
      folds.forEach((fold, f) => {
        const values = resolveSettings({ ...plan.base, ...setting, seed }, plan.data);
        const { model, options } = trainOptionsFrom(values);
        const own = { ...spec, ...model };
        const rows = fold ? { trainRows: fold.kept, valRows: fold.held } : {};
        const kind = [own.layers, own.activation, own.loss, own.labelSmoothing, optimizerSlots(options.optimizer!)];
        const shared = [options.batch, options.epochs, options.shuffle, options.trainMetrics, options.earlyStop];
        const key = JSON.stringify([...kind, options.optimizer!.name, ...shared]);
        planned.push({
          setting: s,
          seed,
          ...(fold ? { fold: f } : {}),
          values,
          spec: own,
          run: { options, ...rows },
          key,
        });
      });
    }
  });
  const keys = [...new Set(planned.map((p) => p.key))];
  const results: SweepModel[] = new Array(planned.length);
  for (const [g, key] of keys.entries()) {
    const members = planned.flatMap((p, i) => (p.key === key ? [i] : []));
    const start = performance.now();
    const outcomes = await trainModels(
      backend,
      planned[members[0]].spec,
      data,
      members.map((i) => planned[i].run),
      {
        onProgress: (progress) =>
          callbacks.onProgress?.({
            ...progress,
            session: g,
            sessions: keys.length,
            models: members.length,
            firstModel: members[0],
          }),
        onEpoch: (records) => {
          const byModel = new Map<number, EpochRecord>();
          records.forEach((record, j) => record && byModel.set(members[j], record));
          callbacks.onEpoch?.(byModel);
        },
        yieldPoint: callbacks.yieldPoint,
      },
    );
    const seconds = (performance.now() - start) / 1000 / members.length;
    members.forEach((i, j) => {
      const { run: _, key: __, ...model } = planned[i];
      const outcome = outcomes[j];
      results[i] = { ...model, outcome, score: outcome.diverged ? NaN : scoreOf(outcome.kept, regression), seconds };
    });
  }
  return results;
}

/** One setting's line of a sweep's table: its score's mean and spread over seeds and folds. */
export interface SweepRow {
  /** The setting as the grid gave it. */
  setting: Values;
  /** Its index in SweepPlan.settings. */
  index: number;
  /** Mean and population standard deviation (scikit-learn's std_test_score) of its models' scores. */
  mean: number;
  std: number;
  /** The mean of its models' held-out loss at their kept epoch. */
  loss: number;
  models: number;
  /** Models that diverged (their score counts as NaN, so the setting ranks last). */
  diverged: number;
  /** Epochs run, on average: fewer than asked where early stopping ended them. */
  epochs: number;
  /** Wall seconds its models took, their share of their sessions'. */
  seconds: number;
}

/** The table of a sweep: one row per setting, best first (highest mean score, then lowest loss). */
export function sweepTable(plan: SweepPlan, models: SweepModel[]): SweepRow[] {
  const rows = plan.settings.map((setting, index): SweepRow => {
    const mine = models.filter((m) => m.setting === index);
    const scores = mine.map((m) => m.score);
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const std = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / scores.length);
    const losses = mine.map((m) => m.outcome.kept?.valLoss ?? NaN);
    return {
      setting,
      index,
      mean,
      std,
      loss: losses.reduce((a, b) => a + b, 0) / losses.length,
      models: mine.length,
      diverged: mine.filter((m) => m.outcome.diverged).length,
      epochs: mine.reduce((a, m) => a + m.outcome.history.length, 0) / mine.length,
      seconds: mine.reduce((a, m) => a + m.seconds, 0),
    };
  });
  const order = (x: number) => (Number.isNaN(x) ? -Infinity : x);
  return rows.sort((a, b) => order(b.mean) - order(a.mean) || order(-b.loss) - order(-a.loss) || a.index - b.index);
}

/** The models of a sweep, best first by their own score (then loss): the ensemble's pick. */
export function rankedModels(models: SweepModel[]): SweepModel[] {
  const order = (x: number) => (Number.isNaN(x) ? -Infinity : x);
  const loss = (m: SweepModel) => order(-(m.outcome.kept?.valLoss ?? NaN));
  return [...models].sort((a, b) => order(b.score) - order(a.score) || loss(b) - loss(a));
}
