/** MLP.sweep's options and result: a grid's settings trained together with seeds and folds, ranked on held-out rows. */
import type { Backend } from '../backend.js';
import { UserError } from '../errors.js';
import type { ModelSpec, Task } from '../model/spec.js';
import { resolveSettings, settingsOf, type Values } from '../train/resolve.js';
import type { TrainData } from '../train/run.js';
import type { SettingName } from '../train/setting-names.js';
import type { Value } from '../train/settings.js';
import { FIT_SETTINGS, type FitSettingName, type SettingValue } from '../train/settings.js';
import {
  expandGrid,
  type Grid,
  rankedModels,
  runSweep,
  type SweepModel,
  type SweepProgress,
  type SweepRow,
  sweepTable,
} from '../train/sweep.js';
import type { LabelledData, ModelOptions } from './options.js';
import type { FitRecord } from './records.js';

export type { Grid, SweepProgress, SweepRow };

/**
 * How MLP.sweep trains: the model's shape, a grid of settings, seeds and folds, and fit's settings as the base that
 * each setting of the grid changes (left out, a table's defaults: Adam at 0.001, 200 epochs...).
 */
export type SweepOptions<T extends Task = Task> = { [K in FitSettingName]?: SettingValue<K> } & SweepExtras<T>;

export interface SweepExtras<T extends Task = Task> {
  /** MLP.create's options (backend included); inputs and outputs default to x's columns and y's classes or targets. */
  model?: Partial<ModelOptions> & { task?: T };
  /**
   * The settings to try: values per setting, every combination (`{ learningRate: [0.01, 0.001], dropout: [0, 0.2] }`),
   * or a list of settings objects. Default: the base settings alone.
   */
  grid?: Grid;
  /** Each setting is trained once per seed (initialisation, shuffling, dropout); default `[1]`. */
  seeds?: number[];
  /**
   * k-fold cross-validation (stratified for a classifier): each setting and seed is trained k times, on all folds but
   * one, and scored on that one. Default 5 where neither validationSplit nor validationData is given.
   */
  folds?: number;
  validationData?: LabelledData;
  /** Evaluated after every epoch (the records' test fields), never used to rank. */
  testData?: LabelledData;
  /** Stops the sweep after the chunk in progress: sweep rejects with its reason. */
  signal?: AbortSignal;
  /** After every epoch of the models training together: their records; the sweep waits for a promise it returns. */
  onEpoch?: (records: SweepRecord[]) => unknown;
  /** After every chunk of steps of the models training together; the sweep waits for a promise it returns. */
  onProgress?: (progress: SweepProgress) => unknown;
}

export const SWEEP_OPTIONS = [
  ...FIT_SETTINGS,
  'model',
  'grid',
  'seeds',
  'folds',
  'validationData',
  'testData',
  'signal',
  'onEpoch',
  'onProgress',
] as const;

/** One epoch of one model of a sweep. */
export type SweepRecord = FitRecord & { model: number; setting: number; seed: number; fold?: number };

/** One model of a sweep. */
export interface SweepModelResult {
  /** Its setting's index in `settings`, and the setting. */
  setting: number;
  settings: Values;
  seed: number;
  /** The fold it was scored on (k-fold only). */
  fold?: number;
  /** Validation accuracy, or R² for a regression, at its kept epoch (the best with earlyStopping); NaN: diverged. */
  score: number;
  history: FitRecord[];
  /** Why it stopped, where its loss or weights stopped being finite numbers (a learning rate too high). */
  diverged?: string;
  earlyStopping?: { bestEpoch: number; stopped: boolean };
  /** Its share of the wall time of the models it trained with. */
  seconds: number;
}

/** The best setting, and a model trained with it. */
export interface SweepBest<M> {
  /** The grid's setting, and every setting it trained with (defaults filled in). */
  setting: Values;
  settings: Values;
  mean: number;
  std: number;
  /** With folds: trained again with these settings on all the training rows; else the setting's best model. */
  model: M;
}

/** What a sweep did: its table, its models, the best setting, and ensembles of its best models. */
export interface Sweep<M> {
  /** One row per setting, best first. */
  table: SweepRow[];
  models: SweepModelResult[];
  best: SweepBest<M>;
  /** The settings tried, as the grid gave them, in the grid's order. */
  settings: Values[];
  seconds: number;
}

/** The sweep's plan from its options: which settings, seeds and folds. */
export function sweepPlanOf(options: SweepExtras & Record<string, unknown>, spec: ModelSpec, trainRows: number) {
  if (options.folds !== undefined && (options.validationSplit !== undefined || options.validationData)) {
    throw new UserError(
      'folds and validationSplit (or validationData) both choose the held-out rows: use one',
      'folds',
    );
  }
  const seeds = options.seeds ?? [1];
  if (!Array.isArray(seeds) || seeds.length === 0 || !seeds.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new UserError(`seeds must be a list of integers >= 0, got ${JSON.stringify(seeds)}`, 'seeds');
  }
  const held = options.validationSplit !== undefined || options.validationData !== undefined;
  const folds = held ? undefined : (options.folds ?? 5);
  // With k folds each model trains on all folds but one: the defaults (a table's batch) must fit those rows.
  const modelRows = folds === undefined ? trainRows : Math.max(1, trainRows - Math.ceil(trainRows / folds));
  const data = { table: true, trainRows: modelRows, regression: spec.task === 'regression' };
  // The model's own settings (activation, loss, label smoothing) are the base's where they are not the defaults.
  const defaults = resolveSettings({}, data);
  const base: Values = {};
  for (const [name, value] of Object.entries(settingsOf(spec))) {
    if (value !== defaults[name as SettingName]) base[name as SettingName] = value;
  }
  for (const name of FIT_SETTINGS) if (options[name] !== undefined) base[name] = options[name] as Value;
  return { settings: expandGrid(options.grid), base, seeds, ...(folds === undefined ? {} : { folds }), data };
}

/** How a sweep turns weights into models: the API's MLP, or anything else that holds them. */
export interface ModelMaker<M> {
  /** A model of `spec` with these weights. */
  fromWeights(spec: ModelSpec, params: Float32Array): Promise<M>;
  /** A model trained with `settings` on all the training rows. */
  refit(settings: Values): Promise<M>;
}

/** Runs the sweep of `options` and makes its best model. */
export async function sweepOn<M>(
  backend: Backend,
  spec: ModelSpec,
  sets: TrainData,
  options: SweepExtras & Record<string, unknown>,
  maker: ModelMaker<M>,
): Promise<{ sweep: Sweep<M>; ranked: SweepModel[] }> {
  const start = performance.now();
  const plan = sweepPlanOf(options, spec, sets.train.count);
  // The callbacks run at the trainer's yield point, where a promise they return holds the sweep (a pause).
  let pending: (() => unknown)[] = [];
  const models = await runSweep(backend, spec, sets, plan, {
    onProgress: (progress) => options.onProgress && pending.push(() => options.onProgress!(progress)),
    onEpoch: (records) => {
      const list = [...records].map(([model, record]): SweepRecord => {
        const { setting, seed, fold } = planIndex(plan, model);
        return { ...record, model, setting, seed, ...(fold !== undefined ? { fold } : {}) };
      });
      if (options.onEpoch) pending.push(() => options.onEpoch!(list));
    },
    yieldPoint: async () => {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      const calls = pending;
      pending = [];
      for (const call of calls) await call();
      options.signal?.throwIfAborted();
    },
  });
  const table = sweepTable(plan, models);
  const top = table[0];
  if (!Number.isFinite(top.mean)) {
    throw new UserError(
      (n) => `every model of the sweep diverged: lower ${n('learningRate')} in the grid`,
      'learningRate',
    );
  }
  const mine = rankedModels(models.filter((m) => m.setting === top.index));
  // The refit takes the first seed: its settings are those, not the best fold model's.
  const settings = plan.folds !== undefined ? { ...mine[0].values, seed: plan.seeds[0] } : mine[0].values;
  const model =
    plan.folds !== undefined
      ? await maker.refit(settings)
      : await maker.fromWeights(mine[0].spec, mine[0].outcome.params);
  const sweep: Sweep<M> = {
    table,
    models: models.map(modelResult),
    best: { setting: top.setting, settings, mean: top.mean, std: top.std, model },
    settings: plan.settings,
    seconds: (performance.now() - start) / 1000,
  };
  return { sweep, ranked: rankedModels(models) };
}

/** Model `index`'s setting, seed and fold: models are planned setting by setting, seed by seed, fold by fold. */
function planIndex(plan: ReturnType<typeof sweepPlanOf>, index: number) {
  const folds = plan.folds ?? 1;
  const fold = index % folds;
  const seed = Math.floor(index / folds) % plan.seeds.length;
  return {
    setting: Math.floor(index / (folds * plan.seeds.length)),
    seed: plan.seeds[seed],
    ...(plan.folds !== undefined ? { fold } : {}),
  };
}

function modelResult(m: SweepModel): SweepModelResult {
  const { outcome } = m;
  return {
    setting: m.setting,
    settings: m.values,
    seed: m.seed,
    ...(m.fold !== undefined ? { fold: m.fold } : {}),
    score: m.score,
    history: outcome.history,
    ...(outcome.diverged ? { diverged: outcome.diverged } : {}),
    ...(outcome.earlyStop ? { earlyStopping: outcome.earlyStop } : {}),
    seconds: m.seconds,
  };
}
