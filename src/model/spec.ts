import { type Field, UserError } from '../errors.js';
import { TASKS, type TableDescription, type Task, validateDescription } from './table.js';

/** Hidden-layer activations, named as the model file's metadata (and the CLI) name them. */
export const ACTIVATIONS = ['relu', 'leaky-relu', 'sigmoid', 'tanh', 'gelu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** nn.LeakyReLU's default negative_slope, as the float32 that its kernels, and activation.wgsl, multiply by. */
export const LEAKY_SLOPE = Math.fround(0.01);

/**
 * Losses on the last layer's outputs against the label: softmax-cross-entropy (nn.CrossEntropyLoss on the logits)
 * or mse (nn.MSELoss between the outputs and the one-hot label, mean over every element).
 */
export const LOSSES = ['softmax-cross-entropy', 'mse'] as const;
export type Loss = (typeof LOSSES)[number];

export { TASKS, type Task } from './table.js';

/**
 * What a model is: layer sizes, the hidden activation, the loss, and the input normalisation that maps raw pixels
 * (bytes 0..255) to the network's input: x = (byte / 255 - mean) / std. The normalisation is part of the model:
 * a model file carries it, and every backend applies it when it gathers a batch.
 */
export interface ModelSpec {
  /** Layer widths from input to output, e.g. [784, 128, 10]. */
  layers: number[];
  task: Task;
  activation: Activation;
  loss: Loss;
  /**
   * softmax-cross-entropy's label smoothing ε in [0, 1] (default 0): the target is (1 − ε)·onehot + ε / classes.
   */
  labelSmoothing?: number;
  inputMean: number;
  inputStd: number;
  /**
   * A model trained on a table: its columns, class names and standardisation (float32 inputs arrive standardised
   * with them, so inputMean and inputStd, which normalise bytes, do not apply). Absent for images.
   */
  data?: TableDescription;
}

/** MNIST's training-set pixel mean and standard deviation on the [0, 1] scale. */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

export function makeSpec(layers: number[], overrides: Partial<Omit<ModelSpec, 'layers'>> = {}): ModelSpec {
  const spec: ModelSpec = {
    layers,
    task: 'classification',
    activation: 'relu',
    loss: 'softmax-cross-entropy',
    inputMean: MNIST_MEAN,
    inputStd: MNIST_STD,
    ...overrides,
  };
  validateSpec(spec);
  return spec;
}

/** Refuses a setting whose value is not one of `names`, naming them. */
export function checkOneOf(field: Field, value: string, names: readonly string[]): void {
  if (!names.includes(value)) {
    throw new UserError((n) => `${n(field)} "${value}" is not one of ${names.join(', ')}`, field);
  }
}

export function validateSpec(spec: ModelSpec): void {
  const { layers } = spec;
  if (layers.length < 2) {
    throw new UserError(
      `a model needs at least an input and an output size, got [${layers.join(',')}]: use e.g. 784,128,10`,
      'layers',
    );
  }
  for (const size of layers) {
    if (!Number.isInteger(size) || size < 1) {
      throw new UserError(`layer size ${size} is not a positive integer: use e.g. 784,128,10`, 'layers');
    }
  }
  checkOneOf('activation', spec.activation, ACTIVATIONS);
  checkOneOf('loss', spec.loss, LOSSES);
  checkOneOf('task', spec.task, TASKS);
  if (spec.task === 'regression' && spec.loss !== 'mse') {
    throw new UserError((n) => `a regression model learns with ${n('loss')} mse, not ${spec.loss}`, 'loss');
  }
  if (!(spec.inputStd > 0) || !Number.isFinite(spec.inputMean)) {
    throw new UserError(
      `input normalisation mean ${spec.inputMean}, std ${spec.inputStd} is invalid: std must be positive`,
    );
  }
  if (spec.data) validateDescription(spec.data, spec.task, inputSize(spec), outputSize(spec));
}

/**
 * Hidden-layer widths from text: "64,32", or "64, 32" as the page writes them, "" for none. Each must be a whole
 * number from 1 to `max`: the widths, or the first part that is not one (each front end words that its own way).
 */
export function parseWidths(text: string, max = Number.MAX_SAFE_INTEGER): { widths: number[] } | { bad: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { widths: [] };
  const parts = trimmed.split(/[\s,]+/);
  const bad = parts.find((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > max);
  return bad === undefined ? { widths: parts.map(Number) } : { bad };
}

/** Parses "784,128,10". */
export function parseLayers(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const sizes = parts.map(Number);
  if (parts.some((p) => !/^\d+$/.test(p)) || sizes.length < 2) {
    throw new UserError(
      (n) => `${n('layers')} "${text}" is not a list of sizes: use e.g. ${n('layers')} 784,128,10`,
      'layers',
    );
  }
  return sizes;
}

export const inputSize = (spec: ModelSpec): number => spec.layers[0];
export const outputSize = (spec: ModelSpec): number => spec.layers[spec.layers.length - 1];
/** Label values per sample: one class index, or a regression's row of targets (one per output). */
export const labelWidth = (spec: ModelSpec): number => (spec.task === 'regression' ? outputSize(spec) : 1);
