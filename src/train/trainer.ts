import type { Backend, Dataset, Metrics, TrainingSession } from '../backend.js';
import { UserError } from '../errors.js';
import { initParams, paramTable } from '../model/params.js';
import { Rng } from '../model/rng.js';
import { type ModelSpec, inputSize, outputSize } from '../model/spec.js';

export interface TrainOptions {
  epochs: number;
  batch: number;
  learningRate: number;
  seed: number;
  /** Steps between loss read backs (and progress reports). The GPU records this many steps into one submission. */
  logEvery: number;
}

export interface EpochRecord {
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  /** Wall-clock seconds of the epoch's training and evaluation. */
  seconds: number;
}

export interface Progress {
  epoch: number;
  epochs: number;
  /** Steps done in this epoch. */
  step: number;
  stepsPerEpoch: number;
  /** Mean loss of the steps since the last report. */
  loss: number;
  samplesPerSecond: number;
}

export interface TrainCallbacks {
  onProgress?: (progress: Progress) => void;
  onEpoch?: (record: EpochRecord) => void;
  /**
   * Awaited after every chunk of steps and after every epoch (after onProgress / onEpoch), with the session: a page
   * yields to the browser here so training never freezes it, holds the promise while paused, or reads the
   * parameters. Throwing stops the run: train() disposes the session and rejects with that error.
   */
  yieldPoint?: (session: TrainingSession) => Promise<void>;
}

export interface TrainResult {
  params: Float32Array;
  history: EpochRecord[];
  test: Metrics;
  seconds: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  epochs: 1,
  batch: 64,
  learningRate: 0.1,
  seed: 1,
  logEvery: 100,
};

/** Checks options against the data before any work starts; every problem is a one-line UserError. */
export function validateTraining(spec: ModelSpec, options: TrainOptions, train: Dataset, test: Dataset): void {
  const positiveInt = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 1) throw new UserError(`${name} must be a positive integer, got ${value}`);
  };
  positiveInt('--epochs', options.epochs);
  positiveInt('--batch', options.batch);
  positiveInt('log interval', options.logEvery);
  if (!(options.learningRate > 0) || !Number.isFinite(options.learningRate)) {
    throw new UserError(`--lr must be a positive number, got ${options.learningRate}`);
  }
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) {
    throw new UserError(`--seed must be an integer in 0..4294967295, got ${options.seed}`);
  }
  if (options.batch > train.count) {
    throw new UserError(`--batch ${options.batch} is larger than the training set (${train.count} samples): use a smaller batch`);
  }
  for (const [name, set] of [['training', train], ['test', test]] as const) {
    if (set.features !== inputSize(spec)) {
      throw new UserError(`the model's input size ${inputSize(spec)} does not match the ${name} images (${set.features} pixels): start --layers with ${set.features}`);
    }
  }
  const classes = outputSize(spec);
  const maxLabel = Math.max(maxOf(train.labels), maxOf(test.labels));
  if (maxLabel >= classes) {
    throw new UserError(`the model has ${classes} outputs but the data has label ${maxLabel}: end --layers with at least ${maxLabel + 1}`);
  }
}

function maxOf(values: Uint8Array): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

/**
 * Mini-batch SGD: each epoch shuffles the training set with a seeded generator and runs floor(count / batch) full
 * batches (the incomplete last batch is dropped; reshuffling means every sample is still seen across epochs), then
 * evaluates on the test set. The same seed and data give the same result on the CPU backend.
 */
export async function train(
  backend: Backend, spec: ModelSpec, data: { train: Dataset; test: Dataset }, options: TrainOptions,
  callbacks: TrainCallbacks = {},
): Promise<TrainResult> {
  validateTraining(spec, options, data.train, data.test);
  const { epochs, batch, seed, logEvery } = options;
  const params = initParams(paramTable(spec), seed);
  // A separate stream for shuffling, so the initialisation does not depend on the number of epochs and vice versa.
  const shuffleRng = new Rng((seed ^ 0x5bd1e995) >>> 0);
  const stepsPerEpoch = Math.floor(data.train.count / batch);
  const order = Uint32Array.from({ length: data.train.count }, (_, i) => i);

  const session = await backend.createSession({
    spec, params, batch, learningRate: options.learningRate, train: data.train, test: data.test,
  });
  try {
    const history: EpochRecord[] = [];
    const runStart = performance.now();
    let test: Metrics = { loss: NaN, accuracy: NaN };
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const epochStart = performance.now();
      session.setEpochOrder(shuffleRng.shuffle(order));
      let lossSum = 0;
      for (let step = 0; step < stepsPerEpoch; step += logEvery) {
        const chunkStart = performance.now();
        const count = Math.min(logEvery, stepsPerEpoch - step);
        const loss = await session.trainSteps(step, count);
        lossSum += loss * count;
        callbacks.onProgress?.({
          epoch, epochs, step: step + count, stepsPerEpoch, loss,
          samplesPerSecond: (count * batch) / ((performance.now() - chunkStart) / 1000),
        });
        await callbacks.yieldPoint?.(session);
      }
      test = await session.evaluate();
      const record: EpochRecord = {
        epoch,
        trainLoss: lossSum / stepsPerEpoch,
        testLoss: test.loss,
        testAccuracy: test.accuracy,
        seconds: (performance.now() - epochStart) / 1000,
      };
      history.push(record);
      callbacks.onEpoch?.(record);
      await callbacks.yieldPoint?.(session);
    }
    return { params: await session.readParams(), history, test, seconds: (performance.now() - runStart) / 1000 };
  } finally {
    session.dispose();
  }
}
