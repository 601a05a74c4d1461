/**
 * Every training setting, once: the API's options, the CLI's flags and --help, the page's fields and the resume rule
 * all come from here (src/train/resolve.ts reads values against it).
 */
import { defaultLearningRate, makeOptimizer, OPTIMIZERS, type OptimizerName } from '../model/optimizer.js';
import { SCHEDULES, type ScheduleName } from '../model/schedule.js';
import { ACTIVATIONS, LOSSES, type Loss } from '../model/spec.js';
import { TABLE_BATCH, TABLE_EPOCHS, tableBatch } from './defaults.js';
import { SETTING_NAMES, type SettingName } from './setting-names.js';

export type Value = number | boolean | string;

/** What a default depends on: the data (images or a table, its rows, its task), the optimiser and schedule chosen. */
export interface Context {
  table: boolean;
  trainRows: number;
  regression: boolean;
  optimizer: OptimizerName;
  schedule: ScheduleName;
}

/** What decides whether a setting applies: the optimiser, the schedule and the loss chosen. */
export interface Chosen {
  optimizer: OptimizerName;
  schedule: ScheduleName;
  loss: Loss;
}

/** A range's ends: `open` ends exclude their bound. */
export interface Range {
  min: number;
  max: number;
  minOpen?: boolean;
  maxOpen?: boolean;
}

export interface Setting {
  kind: 'integer' | 'number' | 'boolean' | 'choice';
  choices?: readonly string[];
  range?: Range;
  /** Its value where none is given; undefined where a run goes without (or, stepSize, must be given). */
  default: (c: Context) => Value | undefined;
  /** The optimisers, schedules or losses it applies to (any, where absent); giving it with another is refused. */
  appliesTo?: { optimizer?: readonly OptimizerName[]; schedule?: readonly ScheduleName[]; loss?: readonly Loss[] };
  /** A resumed run may change it; every other setting must agree with the saved run's. */
  resumable?: boolean;
  help: string;
  /** The default in words, for --help and the page, where a value per data and optimiser would not say it. */
  defaultHelp?: string;
  label: string;
  group: 'model' | 'training' | 'optimizer' | 'schedule';
  /** Where a run keeps it (by key): the model's spec, the TrainOptions, their optimizer or schedule, or its data. */
  at: ['spec' | 'options' | 'optimizer' | 'schedule' | 'data', string];
}

/** The optimiser's own default for `key` (PyTorch's, src/model/optimizer.ts). */
const optimizerDefault = (key: string) => (c: Context) =>
  (makeOptimizer(c.optimizer) as unknown as Record<string, Value>)[key];
const FRACTION: Range = { min: 0, max: 1, maxOpen: true };
const POSITIVE_INTEGER: Range = { min: 1, max: Number.MAX_SAFE_INTEGER };
const NON_NEGATIVE: Range = { min: 0, max: Infinity, maxOpen: true };
const ADAM = ['adam', 'adamw'] as const;

const DECLARED = {
  activation: {
    kind: 'choice',
    choices: ACTIVATIONS,
    default: () => 'relu',
    label: 'Activation',
    group: 'model',
    at: ['spec', 'activation'],
    help: `hidden-layer activation: ${ACTIVATIONS.join(', ')}`,
  },
  loss: {
    kind: 'choice',
    choices: LOSSES,
    default: (c) => (c.regression ? 'mse' : 'softmax-cross-entropy'),
    label: 'Loss',
    group: 'model',
    at: ['spec', 'loss'],
    help: `${LOSSES.join(' or ')} (against one-hot labels); a regression learns with mse`,
  },
  labelSmoothing: {
    kind: 'number',
    range: { min: 0, max: 1 },
    default: () => 0,
    appliesTo: { loss: ['softmax-cross-entropy'] },
    label: 'Label smoothing',
    group: 'model',
    at: ['spec', 'labelSmoothing'],
    help: "share of each label spread evenly over all classes (nn.CrossEntropyLoss's label_smoothing)",
  },
  epochs: {
    kind: 'integer',
    range: POSITIVE_INTEGER,
    default: (c) => (c.table ? TABLE_EPOCHS : 1),
    label: 'Epochs',
    group: 'training',
    at: ['options', 'epochs'],
    help: 'passes over the training set',
  },
  maxSteps: {
    kind: 'integer',
    range: POSITIVE_INTEGER,
    default: () => undefined,
    resumable: true,
    label: 'Stop at step',
    group: 'training',
    at: ['options', 'maxSteps'],
    help: 'stop after N steps in all (the schedule still spans the epochs)',
  },
  batchSize: {
    kind: 'integer',
    range: POSITIVE_INTEGER,
    default: (c) => (c.table ? tableBatch(c.trainRows) : 64),
    label: 'Batch size',
    group: 'training',
    at: ['options', 'batch'],
    help: 'samples per step',
    defaultHelp: `64; for a table, min(${TABLE_BATCH}, training rows)`,
  },
  optimizer: {
    kind: 'choice',
    choices: OPTIMIZERS,
    default: (c) => (c.table ? 'adam' : 'sgd'),
    label: 'Optimiser',
    group: 'optimizer',
    at: ['optimizer', 'name'],
    help: `${OPTIMIZERS.join(', ')} (PyTorch's update rules)`,
  },
  learningRate: {
    kind: 'number',
    range: { min: 0, max: Infinity, minOpen: true, maxOpen: true },
    default: (c) => defaultLearningRate(c.optimizer),
    label: 'Learning rate',
    group: 'optimizer',
    at: ['options', 'learningRate'],
    help: 'the rate at step 0',
  },
  momentum: {
    kind: 'number',
    range: FRACTION,
    default: optimizerDefault('momentum'),
    appliesTo: { optimizer: ['momentum', 'nesterov', 'rmsprop'] },
    label: 'Momentum',
    group: 'optimizer',
    at: ['optimizer', 'momentum'],
    help: 'share of the last step kept in the next',
  },
  dampening: {
    kind: 'number',
    range: { min: 0, max: 1 },
    default: optimizerDefault('dampening'),
    appliesTo: { optimizer: ['momentum'] },
    label: 'Dampening',
    group: 'optimizer',
    at: ['optimizer', 'dampening'],
    help: 'how much of the new gradient the momentum buffer does not take',
  },
  weightDecay: {
    kind: 'number',
    range: NON_NEGATIVE,
    default: optimizerDefault('weightDecay'),
    label: 'Weight decay',
    group: 'optimizer',
    at: ['optimizer', 'weightDecay'],
    help: 'L2 penalty added to the gradient; decoupled for adamw',
  },
  beta1: {
    kind: 'number',
    range: FRACTION,
    default: optimizerDefault('beta1'),
    appliesTo: { optimizer: ADAM },
    label: 'Beta 1',
    group: 'optimizer',
    at: ['optimizer', 'beta1'],
    help: "decay of Adam's running mean of the gradient",
  },
  beta2: {
    kind: 'number',
    range: FRACTION,
    default: optimizerDefault('beta2'),
    appliesTo: { optimizer: ADAM },
    label: 'Beta 2',
    group: 'optimizer',
    at: ['optimizer', 'beta2'],
    help: "decay of Adam's running mean of the squared gradient",
  },
  eps: {
    kind: 'number',
    range: { min: 0, max: Infinity, minOpen: true, maxOpen: true },
    default: optimizerDefault('eps'),
    appliesTo: { optimizer: [...ADAM, 'rmsprop'] },
    label: 'Epsilon',
    group: 'optimizer',
    at: ['optimizer', 'eps'],
    help: 'added outside the square root, against division by zero',
  },
  alpha: {
    kind: 'number',
    range: { min: 0, max: 1 },
    default: optimizerDefault('alpha'),
    appliesTo: { optimizer: ['rmsprop'] },
    label: 'Alpha',
    group: 'optimizer',
    at: ['optimizer', 'alpha'],
    help: "decay of RMSprop's running mean of the squared gradient",
  },
  centered: {
    kind: 'boolean',
    default: optimizerDefault('centered'),
    appliesTo: { optimizer: ['rmsprop'] },
    label: 'Centred',
    group: 'optimizer',
    at: ['optimizer', 'centered'],
    help: 'RMSprop: divide by the variance of the gradient, not its mean square',
  },
  schedule: {
    kind: 'choice',
    choices: SCHEDULES,
    default: () => 'constant',
    label: 'Schedule',
    group: 'schedule',
    at: ['schedule', 'name'],
    help: `how the learning rate changes: ${SCHEDULES.join(', ')}`,
  },
  stepSize: {
    kind: 'integer',
    range: POSITIVE_INTEGER,
    default: () => undefined,
    appliesTo: { schedule: ['step'] },
    label: 'Step size',
    group: 'schedule',
    at: ['schedule', 'stepSize'],
    help: 'step schedule: epochs between decays (required)',
  },
  gamma: {
    kind: 'number',
    range: { min: 0, max: Infinity, minOpen: true, maxOpen: true },
    default: () => 0.1,
    appliesTo: { schedule: ['step'] },
    label: 'Gamma',
    group: 'schedule',
    at: ['schedule', 'gamma'],
    help: 'step schedule: the rate is multiplied by this at each decay',
  },
  minLr: {
    kind: 'number',
    range: NON_NEGATIVE,
    default: () => 0,
    appliesTo: { schedule: ['cosine'] },
    label: 'Minimum rate',
    group: 'schedule',
    at: ['schedule', 'minLr'],
    help: 'cosine schedule: the rate at the last step',
  },
  dropout: {
    kind: 'number',
    range: FRACTION,
    default: () => 0,
    label: 'Dropout',
    group: 'model',
    at: ['options', 'dropout'],
    help: "share of the hidden layers' outputs zeroed while training",
  },
  validationSplit: {
    kind: 'number',
    range: { min: 0, max: 1, minOpen: true, maxOpen: true },
    default: () => undefined,
    label: 'Validation split',
    group: 'training',
    at: ['data', 'validationSplit'],
    help: 'hold this fraction of the training rows out as a validation set (seeded, stratified by class)',
  },
  earlyStopping: {
    kind: 'integer',
    range: POSITIVE_INTEGER,
    default: () => undefined,
    label: 'Early stopping',
    group: 'training',
    at: ['options', 'earlyStop'],
    help:
      "stop once the validation loss has not improved for N epochs, keeping the best epoch's weights " +
      '(needs a validation split)',
  },
  shuffle: {
    kind: 'boolean',
    default: () => true,
    label: 'Shuffle',
    group: 'training',
    at: ['options', 'shuffle'],
    help: 'shuffle the training set every epoch (false keeps its order)',
  },
  trainMetrics: {
    kind: 'boolean',
    default: () => true,
    resumable: true,
    label: 'Training metrics',
    group: 'training',
    at: ['options', 'trainMetrics'],
    help: "evaluate the whole training set after every epoch too (its accuracy beside the test set's)",
  },
  seed: {
    kind: 'integer',
    range: { min: 0, max: 0xffffffff },
    default: () => 1,
    label: 'Seed',
    group: 'training',
    at: ['options', 'seed'],
    help: 'seed for initialisation, shuffling and dropout',
  },
  chunkSteps: {
    kind: 'integer',
    range: POSITIVE_INTEGER,
    default: () => 100,
    resumable: true,
    label: 'Steps per chunk',
    group: 'training',
    at: ['options', 'logEvery'],
    help: 'steps between loss read backs and progress updates',
  },
} satisfies Record<SettingName, Setting>;

/** The table, each entry as a Setting. */
export const SETTINGS: Record<SettingName, Setting> = DECLARED;

/** The type of a setting's value: a number, true or false, or one of its choices. */
export type SettingValue<K extends SettingName> = (typeof DECLARED)[K] extends { kind: 'boolean' }
  ? boolean
  : (typeof DECLARED)[K] extends { choices: readonly (infer C)[] }
    ? C
    : number;

/** A setting's CLI flag, without its dashes: the name in kebab-case. */
export const flagOf = (name: SettingName): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Whether a setting applies with the optimiser, schedule and loss chosen (the loss left out: any). */
export function applies(name: SettingName, chosen: Omit<Chosen, 'loss'> & { loss?: Loss }): boolean {
  const to = SETTINGS[name].appliesTo;
  return (
    (!to?.optimizer || to.optimizer.includes(chosen.optimizer)) &&
    (!to?.schedule || to.schedule.includes(chosen.schedule)) &&
    (!to?.loss || chosen.loss === undefined || to.loss.includes(chosen.loss))
  );
}

/** The settings that the model's spec keeps (MLP.create's, and a model file's): the rest are fit's. */
export type ModelSettingName = {
  [K in SettingName]: (typeof DECLARED)[K]['at'][0] extends 'spec' ? K : never;
}[SettingName];
export const MODEL_SETTINGS = SETTING_NAMES.filter((name): name is ModelSettingName => SETTINGS[name].at[0] === 'spec');
export type FitSettingName = Exclude<SettingName, ModelSettingName>;
export const FIT_SETTINGS = SETTING_NAMES.filter((name): name is FitSettingName => SETTINGS[name].at[0] !== 'spec');

/** A setting's default in words for help: "0.1 for sgd; 0.01 for momentum, nesterov" or "1; 200 for a table". */
export function defaultText(name: SettingName): string | undefined {
  const s = SETTINGS[name];
  if (s.defaultHelp) return s.defaultHelp;
  const schedule = s.appliesTo?.schedule?.[0] ?? 'constant';
  const at = (table: boolean, optimizer: OptimizerName) =>
    s.default({ table, trainRows: 1000, regression: false, optimizer, schedule });
  const users = OPTIMIZERS.filter((optimizer) => applies(name, { optimizer, schedule }));
  const byValue = new Map<string, string[]>();
  for (const optimizer of users) {
    const value = at(false, optimizer);
    if (value !== undefined) byValue.set(String(value), [...(byValue.get(String(value)) ?? []), optimizer]);
  }
  if (byValue.size === 0) return undefined;
  if (byValue.size > 1) return [...byValue].map(([value, names]) => `${value} for ${names.join(', ')}`).join('; ');
  const [images] = byValue.keys();
  const table = String(at(true, users[0]));
  return table === images ? images : `${images}; ${table} for a table`;
}
