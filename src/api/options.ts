/** The MLP's options, and how they become the trainer's ModelSpec and TrainOptions (the CLI's defaults for a table). */
import { UserError } from '../errors.js';
import type { Gpu } from '../gpu/device.js';
import type { ShaderLoader } from '../gpu/shaders.js';
import { MNIST_MEAN, MNIST_STD, type ModelSpec, makeSpec, type Task } from '../model/spec.js';
import { DEFAULT_HIDDEN } from '../train/defaults.js';
import {
  checkSetting,
  resolveSettings,
  settingsOf,
  trainOptionsFrom,
  type Values,
  withoutStop,
} from '../train/resolve.js';
import type { TrainOptions } from '../train/run.js';
import {
  FIT_SETTINGS,
  type FitSettingName,
  MODEL_SETTINGS,
  type ModelSettingName,
  type SettingValue,
} from '../train/settings.js';
import type { Progress } from '../train/trainer.js';
import type { Inputs, Labels } from './arrays.js';
import type { BackendChoice, BackendNote } from './engine.js';
import type { FitRecord } from './records.js';
import { checkOptionNames } from './wording.js';

export type { BackendChoice };

/** What MLP.create makes: the network's shape, its task, where it runs, and the settings the model keeps. */
export type ModelOptions = { [K in ModelSettingName]?: SettingValue<K> } & ModelShape;

/** MLP.create's options beside the settings. */
export interface ModelShape {
  /** Features per sample: the columns of `x`. */
  inputs: number;
  /** Classes (a classifier) or targets (a regression): one output each. */
  outputs: number;
  /** Hidden-layer widths, input side first; `[]` for none. Default `[100]`, as scikit-learn's MLPClassifier. */
  hidden?: number[];
  /** Default `'classification'`. */
  task?: Task;
  /** Seeds the initial weights, and fit's shuffling and dropout unless fit is given its own (default 1). */
  seed?: number;
  /**
   * Default `'auto'`: WebGPU where an adapter exists and the GPU trains the model faster (by fit's cost model), else
   * the CPU (`model.backend` says which).
   */
  backend?: BackendChoice;
  /**
   * Told what `auto` chose: WebGPU, or the CPU for want of an adapter, for a model beyond the GPU's limits, or for a
   * training run the CPU does faster.
   */
  onBackend?: (note: BackendNote) => void;
  /** A device to share (requestGpu from `webgpu-mlp/lower`): WebGPU models on it leave it open when disposed. */
  gpu?: Gpu;
  /** The kernels' WGSL (default: the shaders built into the package). */
  shaders?: ShaderLoader;
  /**
   * The most bytes of data a WebGPU model keeps on the GPU (default: no limit). Training, validation and test sets
   * larger than that together stay in memory and are streamed: before each run of steps, the rows they read are
   * copied into a window of this size on the GPU. The same results, bit for bit, at the cost of the copies.
   */
  gpuDataBytes?: number;
  /** Names of the features, for the model file (default `x0`, `x1`, ...): the CLI reads CSV columns by them. */
  features?: string[];
  /** Names of the targets (default `y`, or `y0`, `y1`, ... for several); a classifier has one. */
  targets?: string[];
  /** A classifier's class names in output order (default: `y`'s distinct values at the first fit, sorted). */
  classes?: string[];
  /**
   * A classifier of byte images: `x` is then a Uint8Array [rows, inputs] of pixels 0..255, scaled to [0, 1] and
   * normalised with `mean` and `std` (default MNIST's 0.1307 and 0.3081), and `y` the class indices 0..outputs-1.
   */
  images?: { mean?: number; std?: number };
}

/** A run in progress, as onChunk and onEpoch see it. */
export interface Training {
  /** The weights so far, laid out as the model file's tensors end to end (each layer's weight, then its bias). */
  weights(): Promise<Float32Array>;
  /** The model file of the weights so far, as toBytes() gives it once fit is done. */
  toBytes(): Promise<Uint8Array>;
}

/** Labelled rows: inputs and their labels or targets. */
export interface LabelledData {
  x: Inputs;
  y: Labels;
}

/** A checkpoint's destination: fit hands it the bytes of the run so far (safetensors, as train --checkpoint writes). */
export interface CheckpointOptions {
  /** Steps between checkpoints; one is saved at the end of the run too. */
  every?: number;
  /** Called with each checkpoint's bytes and where the run stands; awaited (write it atomically: saveCheckpoint). */
  save: (bytes: Uint8Array, at: { epoch: number; step: number }) => void | Promise<void>;
  /** How the caller chose its rows, kept in the checkpoint for a resume to read back (decodeCheckpoint's data). */
  data?: { trainLimit?: number; testSplit?: number };
}

/** What a fit is about to train on, once its data and settings are checked and its backend is settled. */
export interface FitStart {
  trainRows: number;
  validationRows: number;
  testRows: number;
}

/**
 * How fit trains: the settings of the CLI's train --help by name, each left out taking its default for a table (Adam
 * at 0.001, a batch of min(200, rows), 200 epochs; seed the model's), and other data, callbacks and checkpoints.
 */
export type FitOptions = { [K in FitSettingName]?: SettingValue<K> } & FitExtras;

/** fit's options beside the settings: other data sets, callbacks, checkpoints. */
export interface FitExtras {
  /** A validation set of its own instead of validationSplit. */
  validationData?: LabelledData;
  /** A test set, evaluated after every epoch (the records' test fields). */
  testData?: LabelledData;
  /** Stops training after the chunk in progress: fit rejects with its reason, the model keeps the steps' weights. */
  signal?: AbortSignal;
  /** Called once before the first step (after fit's checks, and the backend `auto` settles on); awaited. */
  onStart?: (start: FitStart) => unknown;
  /** Called after every epoch with its record; training waits for a promise it returns (a pause). */
  onEpoch?: (record: FitRecord, training: Training) => unknown;
  /** Called after every chunk of steps (chunkSteps) with their mean loss; training waits for a promise it returns. */
  onChunk?: (progress: Progress, training: Training) => unknown;
  /** Save checkpoints of the run. */
  checkpoint?: CheckpointOptions;
  /** Continue the run saved in this checkpoint (bytes a checkpoint's save was given), with its settings. */
  resume?: Uint8Array;
}

const MODEL_OPTIONS = [
  'inputs',
  'outputs',
  'hidden',
  'task',
  ...MODEL_SETTINGS,
  'seed',
  'backend',
  'onBackend',
  'gpu',
  'shaders',
  'gpuDataBytes',
  'features',
  'targets',
  'classes',
  'images',
] as const satisfies readonly (keyof ModelOptions)[];

export const FIT_OPTIONS = [
  ...FIT_SETTINGS,
  'validationData',
  'testData',
  'signal',
  'onStart',
  'onEpoch',
  'onChunk',
  'checkpoint',
  'resume',
] as const satisfies readonly (keyof FitOptions)[];

const isWidth = (value: unknown) => Number.isInteger(value) && (value as number) >= 1;

/** The model options' network, before any data: layers, task, activation and loss, checked. */
export function specOf(options: ModelOptions): ModelSpec {
  checkOptionNames('MLP.create', options, MODEL_OPTIONS);
  for (const name of ['inputs', 'outputs'] as const) {
    if (!isWidth(options[name]))
      throw new UserError(`${name} must be a positive integer, got ${String(options[name])}`, 'layers');
  }
  const hidden = options.hidden ?? [DEFAULT_HIDDEN.table];
  if (!Array.isArray(hidden) || !hidden.every(isWidth)) {
    throw new UserError(
      `hidden must be a list of positive integer widths, e.g. [64, 32] ([] for none), got ${JSON.stringify(hidden)}`,
      'hidden',
    );
  }
  const task = options.task ?? 'classification';
  if (task === 'classification' && options.outputs < 2) {
    throw new UserError(`a classifier needs outputs of 2 or more (one per class), got ${options.outputs}`, 'layers');
  }
  if (options.seed !== undefined) checkSetting('seed', options.seed);
  const images = options.images;
  if (images && task !== 'classification')
    throw new UserError('a model of images classifies them: leave task out', 'task');
  const given: Values = Object.fromEntries(MODEL_SETTINGS.map((name) => [name, options[name]]));
  const values = resolveSettings(given, { table: true, trainRows: 1, regression: task === 'regression' });
  return makeSpec([options.inputs, ...hidden, options.outputs], {
    task,
    ...trainOptionsFrom(values).model,
    ...(images ? { inputMean: images.mean ?? MNIST_MEAN, inputStd: images.std ?? MNIST_STD } : {}),
  });
}

/** fit's options as the trainer's, for `trainRows` rows of a model seeded `modelSeed`, else the `saved` run's. */
export function trainOptionsOf(
  options: FitOptions,
  trainRows: number,
  modelSeed: number,
  spec: ModelSpec,
  saved?: Values,
): TrainOptions {
  const given: Values = Object.fromEntries(FIT_SETTINGS.map((name) => [name, options[name]]));
  const data = { table: true, trainRows, regression: spec.task === 'regression' };
  const values = resolveSettings(given, data, saved ? withoutStop(saved) : { ...settingsOf(spec), seed: modelSeed });
  const trainOptions = trainOptionsFrom(values).options;
  if (options.checkpoint?.every !== undefined) trainOptions.checkpointEvery = options.checkpoint.every;
  return trainOptions;
}
