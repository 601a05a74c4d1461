/**
 * The MLP's options in its own words, and how they become the trainer's ModelSpec and TrainOptions: the defaults are
 * the CLI's for a table (src/train/defaults.ts), and every problem is a UserError naming the option.
 */
import type { Progress } from '../train/trainer.js';
import type { BackendNote } from './engine.js';
import { UserError } from '../errors.js';
import type { Gpu } from '../gpu/device.js';
import type { ShaderLoader } from '../gpu/shaders.js';
import { defaultLearningRate, makeOptimizer, type OptimizerConfig, type OptimizerName } from '../model/optimizer.js';
import type { ScheduleName, ScheduleOptions } from '../model/schedule.js';
import { makeSpec, MNIST_MEAN, MNIST_STD, type Activation, type Loss, type ModelSpec, type Task } from '../model/spec.js';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from '../train/run.js';
import {
  checkApplies, DEFAULT_GAMMA, DEFAULT_HIDDEN, DEFAULT_MIN_LR, defaultOptimizerName, TABLE_EPOCHS, tableBatch,
} from '../train/defaults.js';
import type { Inputs, Labels } from './arrays.js';
import type { FitRecord } from './records.js';
import { checkOptionNames } from './wording.js';

/** Where a model computes: the CPU reference, WebGPU, or WebGPU where an adapter exists and else the CPU. */
export type BackendChoice = 'auto' | 'cpu' | 'webgpu';

/** What MLP.create makes: the network's shape, its task, and where it runs. */
export interface ModelOptions {
  /** Features per sample: the columns of `x`. */
  inputs: number;
  /** Classes (a classifier) or targets (a regression): one output each. */
  outputs: number;
  /** Hidden-layer widths, input side first; `[]` for none. Default `[100]`, as scikit-learn's MLPClassifier. */
  hidden?: number[];
  /** Default `'classification'`. */
  task?: Task;
  /** The hidden layers' activation (default `'relu'`). */
  activation?: Activation;
  /** Default `'softmax-cross-entropy'` for a classifier; a regression learns with `'mse'` only. */
  loss?: Loss;
  /** Seeds the initial weights, and fit's shuffling and dropout unless fit is given its own (default 1). */
  seed?: number;
  /** Default `'auto'`: WebGPU where an adapter exists, else the CPU (`model.backend` says which). */
  backend?: BackendChoice;
  /** Told what `auto` chose: WebGPU, or the CPU for want of an adapter or for a model beyond the GPU's limits. */
  onBackend?: (note: BackendNote) => void;
  /** A device to share (requestGpu from `webgpu-mlp/lower`): WebGPU models on it leave it open when disposed. */
  gpu?: Gpu;
  /** The kernels' WGSL (default: the shaders built into the package). */
  shaders?: ShaderLoader;
  /** Names of the features, for the model file (default `x0`, `x1`, ...): the CLI's eval and predict read CSV columns by them. */
  features?: string[];
  /** Names of the targets (default `y`, or `y0`, `y1`, ... for several); a classifier has one. */
  targets?: string[];
  /** A classifier's class names in output order (default: `y`'s distinct values at the first fit, sorted as the CSV path sorts them). */
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
  /** Called with each checkpoint's bytes and where the run stands; awaited (write it atomically: saveCheckpoint of `webgpu-mlp/node`). */
  save: (bytes: Uint8Array, at: { epoch: number; step: number }) => void | Promise<void>;
}

/**
 * How fit trains. Left out, each option takes the CLI's default for a table: Adam at 0.001, a batch of min(200, rows),
 * and 200 epochs. The optimiser's and schedule's settings follow PyTorch.
 */
export interface FitOptions {
  /** Passes over the training rows (default 200). */
  epochs?: number;
  /** Rows per step (default min(200, training rows)). */
  batchSize?: number;
  /** Default `'adam'`. */
  optimizer?: OptimizerName;
  /** The rate at step 0 (default 0.1 for sgd, 0.01 for momentum and nesterov, 0.001 for adam and adamw). */
  learningRate?: number;
  /** momentum and nesterov: the momentum factor (default 0.9); rmsprop: its momentum (default 0). */
  momentum?: number;
  /** momentum: dampening of the momentum buffer (default 0). */
  dampening?: number;
  /** L2 penalty added to the gradient; decoupled for adamw (default 0, and 0.01 for adamw). */
  weightDecay?: number;
  /** adam and adamw: the moments' decays (default 0.9, 0.999); adam, adamw and rmsprop: epsilon (default 1e-8). */
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** rmsprop: the smoothing constant of its square average (default 0.99). */
  alpha?: number;
  /** rmsprop: normalise by the gradient's estimated variance, torch's centered form (default false). */
  centered?: boolean;
  /** The learning-rate schedule (default `'constant'`): `'step'` needs stepSize; `'cosine'` ends at minLr. */
  schedule?: ScheduleName;
  /** step: epochs between decays. */
  stepSize?: number;
  /** step: the factor per decay (default 0.1). */
  gamma?: number;
  /** cosine: the rate at the last step (default 0). */
  minLr?: number;
  /** Dropout rate on the hidden layers' outputs while training, 0 <= p < 1 (default 0). */
  dropout?: number;
  /** Evaluate the training rows after every epoch, without dropout, for the records' trainAccuracy (default true). */
  trainMetrics?: boolean;
  /** Shuffle the training rows every epoch (default true). */
  shuffle?: boolean;
  /** Seeds shuffling and dropout (default: the model's seed). */
  seed?: number;
  /** Steps per chunk: between loss read backs and onChunk calls (default 100). */
  chunkSteps?: number;
  /** Stop after this many steps in all (schedules still span `epochs`). */
  maxSteps?: number;
  /** Hold this fraction of the rows (the last ones) out as a validation set, evaluated after every epoch. */
  validationSplit?: number;
  /** A validation set of its own instead of validationSplit. */
  validationData?: LabelledData;
  /** A test set, evaluated after every epoch (the records' test fields). */
  testData?: LabelledData;
  /** Stop once the validation loss has not improved for this many epochs, keeping the best epoch's weights. */
  earlyStopping?: number;
  /** Aborting stops training after the chunk in progress: fit rejects with the signal's reason, and the model keeps the weights of the steps done. */
  signal?: AbortSignal;
  /** Called after every epoch with its record; training waits for a promise it returns (a pause). */
  onEpoch?: (record: FitRecord, training: Training) => unknown;
  /** Called after every chunk of steps (chunkSteps) with the mean loss of its steps; training waits for a promise it returns. */
  onChunk?: (progress: Progress, training: Training) => unknown;
  /** Save checkpoints of the run. */
  checkpoint?: CheckpointOptions;
  /** Continue the run saved in this checkpoint (bytes a checkpoint's save was given), with its settings. */
  resume?: Uint8Array;
}

const MODEL_OPTIONS = [
  'inputs', 'outputs', 'hidden', 'task', 'activation', 'loss', 'seed', 'backend', 'onBackend', 'gpu', 'shaders', 'features', 'targets', 'classes',
  'images',
] as const satisfies readonly (keyof ModelOptions)[];

export const FIT_OPTIONS = [
  'epochs', 'batchSize', 'optimizer', 'learningRate', 'momentum', 'dampening', 'weightDecay', 'beta1', 'beta2', 'eps',
  'alpha', 'centered', 'schedule', 'stepSize', 'gamma', 'minLr', 'dropout', 'trainMetrics', 'shuffle', 'seed', 'chunkSteps', 'maxSteps', 'validationSplit',
  'validationData', 'testData', 'earlyStopping', 'signal', 'onEpoch', 'onChunk', 'checkpoint', 'resume',
] as const satisfies readonly (keyof FitOptions)[];

const isWidth = (value: unknown) => Number.isInteger(value) && (value as number) >= 1;

/** The model options' network, before any data: layers, task, activation and loss, checked. */
export function specOf(options: ModelOptions): ModelSpec {
  checkOptionNames('MLP.create', options, MODEL_OPTIONS);
  for (const name of ['inputs', 'outputs'] as const) {
    if (!isWidth(options[name])) throw new UserError(`${name} must be a positive integer, got ${String(options[name])}`, 'layers');
  }
  const hidden = options.hidden ?? [DEFAULT_HIDDEN.table];
  if (!Array.isArray(hidden) || !hidden.every(isWidth)) {
    throw new UserError(`hidden must be a list of positive integer widths, e.g. [64, 32] ([] for none), got ${JSON.stringify(hidden)}`, 'hidden');
  }
  const task = options.task ?? 'classification';
  if (task === 'classification' && options.outputs < 2) {
    throw new UserError(`a classifier needs outputs of 2 or more (one per class), got ${options.outputs}`, 'layers');
  }
  const seed = options.seed ?? DEFAULT_TRAIN_OPTIONS.seed;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UserError(`seed must be an integer in 0..4294967295, got ${seed}`, 'seed');
  const images = options.images;
  if (images && task !== 'classification') throw new UserError('a model of images classifies them: leave task out', 'task');
  return makeSpec([options.inputs, ...hidden, options.outputs], {
    task, activation: options.activation ?? 'relu', loss: options.loss ?? (task === 'regression' ? 'mse' : 'softmax-cross-entropy'),
    ...(images ? { inputMean: images.mean ?? MNIST_MEAN, inputStd: images.std ?? MNIST_STD } : {}),
  });
}

/** fit's options as the trainer's, for `trainRows` training rows of a model seeded with `modelSeed`. */
export function trainOptionsOf(options: FitOptions, trainRows: number, modelSeed: number): TrainOptions {
  checkOptionNames('fit', options, FIT_OPTIONS);
  const optimizerName = options.optimizer ?? defaultOptimizerName(true);
  const scheduleName = options.schedule ?? 'constant';
  checkApplies((field) => options[field as keyof FitOptions] !== undefined, { optimizer: optimizerName, schedule: scheduleName });
  const settings: Partial<Omit<OptimizerConfig, 'name'>> = {};
  for (const key of ['momentum', 'dampening', 'weightDecay', 'beta1', 'beta2', 'eps', 'alpha'] as const) {
    if (options[key] !== undefined) settings[key] = options[key];
  }
  if (options.centered !== undefined) {
    if (typeof options.centered !== 'boolean') throw new UserError(`centered must be true or false, got ${String(options.centered)}`, 'centered');
    settings.centered = options.centered;
  }
  const schedule: ScheduleOptions = { name: scheduleName };
  if (scheduleName === 'step') {
    if (options.stepSize !== undefined) schedule.stepSize = options.stepSize;
    schedule.gamma = options.gamma ?? DEFAULT_GAMMA;
  }
  if (scheduleName === 'cosine') schedule.minLr = options.minLr ?? DEFAULT_MIN_LR;
  if (options.shuffle !== undefined && typeof options.shuffle !== 'boolean') {
    throw new UserError(`shuffle must be true or false, got ${String(options.shuffle)}`);
  }
  const batch = options.batchSize ?? tableBatch(trainRows);
  const trainOptions: TrainOptions = {
    epochs: options.epochs ?? TABLE_EPOCHS,
    batch,
    learningRate: options.learningRate ?? defaultLearningRate(optimizerName),
    seed: options.seed ?? modelSeed,
    logEvery: options.chunkSteps ?? DEFAULT_TRAIN_OPTIONS.logEvery,
    optimizer: makeOptimizer(optimizerName, settings),
    schedule,
    dropout: options.dropout ?? 0,
    shuffle: options.shuffle ?? true,
    trainMetrics: options.trainMetrics ?? true,
  };
  if (options.maxSteps !== undefined) trainOptions.maxSteps = options.maxSteps;
  if (options.checkpoint?.every !== undefined) trainOptions.checkpointEvery = options.checkpoint.every;
  if (options.earlyStopping !== undefined) trainOptions.earlyStop = options.earlyStopping;
  return trainOptions;
}
