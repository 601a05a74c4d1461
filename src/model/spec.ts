import { UserError } from '../errors.js';

/** Hidden-layer activations, named as the --activation flag and the model file's metadata name them. */
export const ACTIVATIONS = ['relu', 'leaky-relu', 'sigmoid', 'tanh', 'gelu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** The PyTorch module each activation is, for the nn.Sequential that loads a model file. */
export const TORCH_ACTIVATION: Record<Activation, string> = {
  relu: 'nn.ReLU()',
  'leaky-relu': 'nn.LeakyReLU(0.01)',
  sigmoid: 'nn.Sigmoid()',
  tanh: 'nn.Tanh()',
  gelu: 'nn.GELU()',
};

/** nn.LeakyReLU's default negative_slope, as the float32 that its kernels, and activation.wgsl, multiply by. */
export const LEAKY_SLOPE = Math.fround(0.01);

/**
 * Losses on the last layer's outputs against the label: softmax-cross-entropy (nn.CrossEntropyLoss on the logits)
 * or mse (nn.MSELoss between the outputs and the one-hot label, mean over every element).
 */
export const LOSSES = ['softmax-cross-entropy', 'mse'] as const;
export type Loss = (typeof LOSSES)[number];

/**
 * What a model is: layer sizes, the hidden activation, the loss, and the input normalisation that maps raw pixels
 * (bytes 0..255) to the network's input: x = (byte / 255 - mean) / std. The normalisation is part of the model:
 * a model file carries it, and every backend applies it when it gathers a batch.
 */
export interface ModelSpec {
  /** Layer widths from input to output, e.g. [784, 128, 10]. */
  layers: number[];
  activation: Activation;
  loss: Loss;
  inputMean: number;
  inputStd: number;
}

/** MNIST's training-set pixel mean and standard deviation on the [0, 1] scale. */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

export function makeSpec(layers: number[], overrides: Partial<Omit<ModelSpec, 'layers'>> = {}): ModelSpec {
  const spec: ModelSpec = {
    layers,
    activation: 'relu',
    loss: 'softmax-cross-entropy',
    inputMean: MNIST_MEAN,
    inputStd: MNIST_STD,
    ...overrides,
  };
  validateSpec(spec);
  return spec;
}

export function validateSpec(spec: ModelSpec): void {
  const { layers } = spec;
  if (layers.length < 2) {
    throw new UserError(`a model needs at least an input and an output size, got [${layers.join(',')}]: use e.g. 784,128,10`);
  }
  for (const size of layers) {
    if (!Number.isInteger(size) || size < 1) {
      throw new UserError(`layer size ${size} is not a positive integer: use e.g. 784,128,10`);
    }
  }
  if (!(ACTIVATIONS as readonly string[]).includes(spec.activation)) {
    throw new UserError(`activation "${spec.activation}" is not one of ${ACTIVATIONS.join(', ')}`);
  }
  if (!(LOSSES as readonly string[]).includes(spec.loss)) {
    throw new UserError(`loss "${spec.loss}" is not one of ${LOSSES.join(', ')}`);
  }
  if (!(spec.inputStd > 0) || !Number.isFinite(spec.inputMean)) {
    throw new UserError(`input normalisation mean ${spec.inputMean}, std ${spec.inputStd} is invalid: std must be positive`);
  }
}

/** Parses "784,128,10". */
export function parseLayers(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const sizes = parts.map(Number);
  if (parts.some((p) => !/^\d+$/.test(p)) || sizes.length < 2) {
    throw new UserError(`--layers "${text}" is not a list of sizes: use e.g. --layers 784,128,10`);
  }
  return sizes;
}

export const inputSize = (spec: ModelSpec): number => spec.layers[0];
export const outputSize = (spec: ModelSpec): number => spec.layers[spec.layers.length - 1];
export const layerCount = (spec: ModelSpec): number => spec.layers.length - 1;
