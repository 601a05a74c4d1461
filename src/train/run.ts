/** What a training run is besides its model: the data and the options, and the options' defaults. */
import type { Dataset } from '../backend.js';
import type { OptimizerConfig } from '../model/optimizer.js';
import type { ScheduleOptions } from '../model/schedule.js';

export interface TrainOptions {
  epochs: number;
  batch: number;
  /** The base learning rate (the schedule's rate at step 0). */
  learningRate: number;
  seed: number;
  /** Steps between loss read backs and progress reports: the GPU records them into one submission. */
  logEvery: number;
  /** Default plain SGD. */
  optimizer?: OptimizerConfig;
  /** Default constant. */
  schedule?: ScheduleOptions;
  /** Dropout rate on the hidden layers' outputs while training, 0 <= p < 1 (default 0). */
  dropout?: number;
  /** Shuffle the training set every epoch (default true); false keeps the data's order. */
  shuffle?: boolean;
  /** Stop after this many steps in all, counted from the start of the run (a resumed run counts its earlier steps). */
  maxSteps?: number;
  /** Steps between calls of onCheckpoint (every multiple of it, counted from the start of the run). */
  checkpointEvery?: number;
  /** Stop once the validation loss has not fallen for this many epochs, keeping the best epoch's parameters. */
  earlyStop?: number;
  /** Evaluate the whole training set after every epoch too, without dropout (default true). */
  trainMetrics?: boolean;
}

export interface TrainData {
  train: Dataset;
  /** Evaluated after every epoch, where given. */
  test?: Dataset;
  /** A validation set held out of the training data, evaluated after every epoch. */
  val?: Dataset;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  epochs: 1,
  batch: 64,
  learningRate: 0.1,
  seed: 1,
  logEvery: 100,
};
