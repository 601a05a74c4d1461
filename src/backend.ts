import type { ModelSpec } from './model/spec.js';

/** A labelled image set as it is stored: raw bytes, normalised only when a batch is gathered. */
export interface Dataset {
  /** [count, features] pixel bytes 0..255, row-major. */
  pixels: Uint8Array;
  /** [count] class indices. */
  labels: Uint8Array;
  count: number;
  features: number;
}

export interface Metrics {
  /** Mean softmax-cross-entropy over the set. */
  loss: number;
  /** Fraction classified correctly, 0..1. */
  accuracy: number;
}

export interface SessionOptions {
  spec: ModelSpec;
  /** Initial parameters, laid out by paramTable(spec). The session keeps its own copy. */
  params: Float32Array;
  batch: number;
  learningRate: number;
  train: Dataset;
  test: Dataset;
}

/**
 * A model being trained on one backend. Everything the run needs (parameters, gradients, activations, both data sets)
 * is held by the session for its whole life; the trainer hands it whole chunks of steps, so a GPU backend can record
 * them into one submission and read back only the chunk's loss.
 */
export interface TrainingSession {
  /**
   * Sets the sample order for the coming epoch: indices into the training set, at least steps × batch of them.
   * Step s of the epoch trains on order[s·batch .. (s+1)·batch).
   */
  setEpochOrder(order: Uint32Array): void;
  /** Runs SGD steps first .. first+count-1 of the epoch; resolves to their mean training loss. */
  trainSteps(first: number, count: number): Promise<number>;
  /** Loss and accuracy on the test set with the current parameters. */
  evaluate(): Promise<Metrics>;
  /** A copy of the current parameters. */
  readParams(): Promise<Float32Array>;
  /** Frees everything the session holds. */
  dispose(): void;
}

export interface Backend {
  readonly kind: 'cpu' | 'webgpu';
  /** What the work runs on, for people: "CPU (Node 20, x64)", or the GPU adapter's vendor and name. */
  readonly device: string;
  createSession(options: SessionOptions): Promise<TrainingSession>;
  dispose(): void;
}
