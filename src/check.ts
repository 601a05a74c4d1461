/**
 * The one check of a session, which each backend's createSession makes: its settings against each other and its data
 * against the model, before anything is allocated, and then its starting parameters and optimiser state. Every
 * problem a user can fix is a UserError that names the setting by its field (src/cli words it with the flag).
 */
import type { Dataset, SessionOptions, SessionSettings } from './backend.js';
import { DataFitError, UserError, type Wording } from './errors.js';
import { type OptimizerConfig, optimizerSlots, PLAIN_SGD, validateOptimizer } from './model/optimizer.js';
import { initParams, type ParamTable, paramTable } from './model/params.js';
import type { Schedule } from './model/schedule.js';
import { inputSize, labelWidth, type ModelSpec, outputSize } from './model/spec.js';

/** What checkSession works out of a session's settings, for the backend that checked them. */
export interface CheckedSession {
  readonly table: ParamTable;
  /** floor(train.count / batch): the incomplete last batch is dropped. */
  readonly stepsPerEpoch: number;
  /** settings.optimizer, or plain SGD. */
  readonly optimizer: OptimizerConfig;
  /** The optimiser's state slots (optimizerSlots), each an array laid out like the parameters. */
  readonly slots: readonly string[];
  /** settings.schedule, or constant. */
  readonly schedule: Schedule;
}

/** Checks a session's settings and data, and works out its sizes. */
export function checkSession(settings: SessionSettings): CheckedSession {
  const { spec, batch, learningRate, train } = settings;
  if (!Number.isInteger(batch) || batch < 1) {
    throw new UserError((n) => `${n('batchSize')} must be a positive integer, got ${batch}`, 'batchSize');
  }
  if (batch > train.count) {
    throw new UserError(
      (n) => `${n('batchSize')} ${batch} is larger than the training set (${train.count} samples): use a smaller batch`,
      'batchSize',
    );
  }
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
    throw new UserError((n) => `${n('learningRate')} must be a positive number, got ${learningRate}`, 'learningRate');
  }
  const rate = settings.dropout?.rate ?? 0;
  if (!(rate >= 0 && rate < 1))
    throw new UserError((n) => `${n('dropout')} must be at least 0 and below 1, got ${rate}`, 'dropout');
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

/** The parameters and optimiser state a session starts from. */
export interface StartingState {
  params: Float32Array;
  /** One array per slot, or none (zeros). */
  optimizerState: Float32Array[];
}

/**
 * A session's starting parameters: options.params, which must fit the model (and options.optimizerState, where given,
 * the optimiser), or initParams from options.params.seed. A backend calls it once its own limits are checked, so a
 * model too large for it is refused before the seconds its initialisation takes.
 */
export function startingState(options: SessionOptions, checked: CheckedSession): StartingState {
  const {
    table: { total },
    slots,
    optimizer,
  } = checked;
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
 * A set must have the model's input size and, for regression, one target per output (DataFitErrors, with `fix`
 * where there is one to give), the kind of labels the model's task learns from (a UserError naming the task), and
 * hold as many inputs and labels as its count says (a programming error where not).
 */
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

/**
 * A classifier learns from class indices; a regression model from float32 targets, [count, outputs], and float32
 * inputs (byte images are gathered with class labels only).
 */
function checkTask(spec: ModelSpec, set: Dataset, name: string): void {
  const targets = set.labels instanceof Float32Array;
  if (spec.task === 'classification') {
    if (targets) {
      throw new UserError(
        (n) =>
          `a classifier learns class labels, and the ${name} set holds target values: ` + `use ${n('task')} regression`,
        'task',
      );
    }
    return;
  }
  if (!targets) {
    throw new UserError(
      (n) =>
        `a regression model learns target values, and the ${name} set holds class labels: ` +
        `use ${n('task')} classification`,
      'task',
    );
  }
  if (set.inputs instanceof Uint8Array) {
    throw new UserError(
      (n) =>
        `a regression model takes float32 inputs, and the ${name} set holds byte images: ` +
        `use ${n('task')} classification`,
      'task',
    );
  }
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

/**
 * A session's sets, each once, named for people: a set passed as both training and test set (eval's) is its test set.
 */
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
