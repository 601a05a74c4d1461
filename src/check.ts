/**
 * The one check of a run and of a session (each backend's createSession makes it before allocating anything): every
 * problem a user can fix is a UserError that names the setting by its field (src/cli words it with the flag).
 */
import { type Dataset, type ModelsOptions, modelAlone, type SessionOptions, type SessionSettings } from './backend.js';
import { DataFitError, UserError, type Wording } from './errors.js';
import { type OptimizerConfig, optimizerSlots, PLAIN_SGD, validateOptimizer } from './model/optimizer.js';
import { initParams, type ParamTable, paramTable } from './model/params.js';
import { CONSTANT, resolveSchedule, type Schedule } from './model/schedule.js';
import { inputSize, labelWidth, type ModelSpec, outputSize, type Task } from './model/spec.js';
import { checkSetting } from './train/resolve.js';
import type { TrainData, TrainOptions } from './train/run.js';

/** What checkSession works out of a session's settings, for the backend that checked them. */
export interface CheckedSession {
  readonly table: ParamTable;
  /** floor(train.count / batch): the incomplete last batch is dropped. */
  readonly stepsPerEpoch: number;
  /** The optimiser (default plain SGD) and its state slots, each an array laid out like the parameters. */
  readonly optimizer: OptimizerConfig;
  readonly slots: readonly string[];
  readonly schedule: Schedule;
}

/** Checks a session's settings and data, and works out its sizes. */
export function checkSession(settings: SessionSettings): CheckedSession {
  const { spec, batch, learningRate, train } = settings;
  checkSetting('batchSize', batch);
  if (batch > train.count) {
    throw new UserError(
      (n) => `${n('batchSize')} ${batch} is larger than the training set (${train.count} samples): use a smaller batch`,
      'batchSize',
    );
  }
  checkSetting('learningRate', learningRate);
  const rate = checkSetting('dropout', settings.dropout?.rate ?? 0) as number;
  if (rate > 0 && spec.layers.length < 3) {
    throw new UserError(
      (n) => `${n('dropout')} acts on hidden layers, and this model has none: add one, e.g. ${n('layers')} 784,128,10`,
      'dropout',
    );
  }
  const optimizer = settings.optimizer ?? PLAIN_SGD;
  validateOptimizer(optimizer);
  checkLabelledSets(spec, labelledSets(settings));
  return {
    table: paramTable(spec),
    stepsPerEpoch: Math.floor(train.count / batch),
    optimizer,
    slots: optimizerSlots(optimizer),
    schedule: settings.schedule ?? { name: 'constant' },
  };
}

/**
 * A session's starting parameters and optimiser state (one array per slot, or none: zeros), checked against the model,
 * or initParams of the seed: a backend calls it once its own limits are checked, so a model too large is refused
 * before its initialisation takes seconds.
 */
export function startingState(
  options: SessionOptions,
  checked: CheckedSession,
): { params: Float32Array; optimizerState: Float32Array[] } {
  const { slots, optimizer } = checked;
  const total = checked.table.total;
  const state = options.optimizerState ?? [];
  if (state.length !== 0 && state.length !== slots.length) {
    throw new UserError(`optimizer ${optimizer.name} keeps ${slots.length} state arrays, got ${state.length}`);
  }
  state.forEach((slot, i) => {
    if (slot.length !== total)
      throw new UserError(`optimizer state ${slots[i]} has ${slot.length} values, the model has ${total}`);
  });
  if (!(options.params instanceof Float32Array)) {
    return { params: initParams(checked.table, options.params.seed), optimizerState: state };
  }
  const { params } = options;
  if (params.length !== total) {
    const layers = options.spec.layers.join(',');
    throw new UserError(`the parameters have ${params.length} values, layers ${layers} need ${total}`);
  }
  return { params, optimizerState: state };
}

/**
 * Checks models to be trained together: at least one, one optimiser name among them, rows inside the training set
 * (ascending, each once), and each model as a session of its own (checkSession); returns each one's steps per epoch.
 */
export function checkModels(options: ModelsOptions): number[] {
  const { models, train } = options;
  if (models.length === 0) throw new Error('a models session needs at least one model');
  const names = new Set(models.map((model) => (model.optimizer ?? PLAIN_SGD).name));
  if (names.size > 1) {
    throw new UserError(
      (n) => `models trained together share one ${n('optimizer')}, got ${[...names].join(', ')}: train each apart`,
      'optimizer',
    );
  }
  for (const model of models) {
    for (const rows of [model.trainRows, model.valRows]) {
      if (rows?.some((row, i) => row >= train.count || (i > 0 && row <= rows[i - 1]))) {
        throw new Error(`a model's rows must ascend, each once, inside the ${train.count} training samples`);
      }
    }
  }
  return models.map((_, i) => checkSession(modelAlone(options, i)).stepsPerEpoch);
}

/** A set must have the model's input size (a DataFitError, with `fix` where given), its task's labels and its count. */
export function checkInputs(spec: ModelSpec, set: Dataset, name: string, fix?: Wording): void {
  const inputs = inputSize(spec);
  const images = set.inputs instanceof Uint8Array;
  if (set.features !== inputs) {
    const data = images ? `${name} images (${set.features} pixels)` : `${name} data (${set.features} features)`;
    throw new DataFitError(
      (n) => `the model's input size ${inputs} does not match the ${data}${fix ? `: ${fix(n)}` : ''}`,
      name,
      'inputs',
      inputs,
      set.features,
    );
  }
  checkTask(spec, set, name);
  if (set.inputs.length < set.count * inputs || set.labels.length < set.count * labelWidth(spec)) {
    throw new Error(`the ${name} set holds fewer inputs or labels than its count (${set.count}) says`);
  }
}

/** A classifier learns from class indices; a regression model from float32 targets [count, outputs] and inputs. */
function checkTask(spec: ModelSpec, set: Dataset, name: string): void {
  const refuse = (learns: string, holds: string, use: Task): never => {
    throw new UserError((n) => `${learns}, and the ${name} set holds ${holds}: use ${n('task')} ${use}`, 'task');
  };
  const targets = set.labels instanceof Float32Array;
  if (spec.task === 'classification') {
    if (targets) refuse('a classifier learns class labels', 'target values', 'regression');
    return;
  }
  if (!targets) refuse('a regression model learns target values', 'class labels', 'classification');
  if (set.inputs instanceof Uint8Array)
    refuse('a regression model takes float32 inputs', 'byte images', 'classification');
  const outputs = outputSize(spec);
  const width = set.count > 0 ? set.labels.length / set.count : outputs;
  if (width !== outputs) {
    if (!Number.isInteger(width))
      throw new Error(`the ${name} set's ${set.labels.length} targets are no whole number per sample`);
    throw new DataFitError(
      (n) =>
        `the model has ${outputs} outputs but the ${name} data has ${width} targets: end ${n('layers')} with ${width}`,
      name,
      'targets',
      outputs,
      width,
    );
  }
}

/** A session's sets, each once, named for people: a set given as training and test set (eval's) is its test set. */
function labelledSets({ train, test, val }: SessionSettings): [string, Dataset][] {
  const named: [string, Dataset | undefined][] = [
    [train === test ? 'test' : 'training', train],
    ['test', test],
    ['validation', val],
  ];
  const sets: [string, Dataset][] = [];
  for (const [name, set] of named) if (set && !sets.some(([, seen]) => seen === set)) sets.push([name, set]);
  return sets;
}

/** Every set fits the model's input and its task, and no class label is beyond its outputs. */
export function checkLabelledSets(spec: ModelSpec, sets: [string, Dataset][]): void {
  for (const [name, set] of sets) checkInputs(spec, set, name, (n) => `start ${n('layers')} with ${set.features}`);
  if (spec.task === 'regression') return;
  let largest = 0;
  let holder = '';
  for (const [name, set] of sets) {
    for (const label of set.labels.subarray(0, set.count)) {
      if (label > largest) [largest, holder] = [label, name];
    }
  }
  const classes = outputSize(spec);
  if (largest >= classes) {
    throw new DataFitError(
      (n) =>
        `the model has ${classes} outputs but the data has label ${largest}: ` +
        `end ${n('layers')} with at least ${largest + 1}`,
      holder,
      'labels',
      classes,
      largest,
    );
  }
}

/** A run that checkRun has checked: the settings of the session that trains it, and the steps of an epoch. */
export interface CheckedRun {
  /** What createSession takes, but the parameters: the schedule resolved into steps, dropout's seed drawn. */
  readonly settings: SessionSettings;
  readonly stepsPerEpoch: number;
}

/** The key of the dropout masks' hash: a stream of its own, apart from initialisation's and shuffling's. */
const dropoutSeed = (seed: number) => (seed ^ 0x27d4eb2f) >>> 0;

/** Checks a run before any work starts: its options against the settings table, then the session (checkSession). */
export function checkRun(spec: ModelSpec, data: TrainData, options: TrainOptions): CheckedRun {
  const { seed, maxSteps, checkpointEvery, earlyStop } = options;
  checkSetting('epochs', options.epochs);
  checkSetting('chunkSteps', options.logEvery);
  checkSetting('seed', seed);
  if (maxSteps !== undefined) checkSetting('maxSteps', maxSteps);
  if (checkpointEvery !== undefined && !(Number.isInteger(checkpointEvery) && checkpointEvery >= 1)) {
    throw new UserError(
      (n) => `${n('checkpointEvery')} must be a positive integer, got ${checkpointEvery}`,
      'checkpointEvery',
    );
  }
  if (earlyStop !== undefined) {
    checkSetting('earlyStopping', earlyStop);
    if (!data.val) {
      throw new UserError(
        (n) =>
          `${n('earlyStopping')} watches the validation loss, and there is no validation set: ` +
          `add ${n('validationSplit')} (e.g. 0.1)`,
        'earlyStopping',
      );
    }
  }
  const dropout = options.dropout ?? 0;
  const settings: SessionSettings = {
    spec,
    batch: options.batch,
    learningRate: options.learningRate,
    train: data.train,
    test: data.test,
    val: data.val,
    optimizer: options.optimizer,
    dropout: dropout !== 0 ? { rate: dropout, seed: dropoutSeed(seed) } : undefined,
  };
  const { stepsPerEpoch } = checkSession(settings);
  const schedule = resolveSchedule(options.schedule ?? CONSTANT, options.learningRate, options.epochs, stepsPerEpoch);
  return { settings: { ...settings, schedule }, stepsPerEpoch };
}
