/** What a training run is (the model, the data and the options), its defaults, and the one check of a run. */
import type { Dataset, SessionSettings } from '../backend.js';
import { checkSession } from '../check.js';
import { type Field, UserError } from '../errors.js';
import type { OptimizerConfig } from '../model/optimizer.js';
import { CONSTANT, resolveSchedule, type ScheduleOptions } from '../model/schedule.js';
import type { ModelSpec } from '../model/spec.js';

export interface TrainOptions {
  epochs: number;
  batch: number;
  /** The base learning rate (the schedule's rate at step 0). */
  learningRate: number;
  seed: number;
  /** Steps between loss read backs (and progress reports). The GPU records this many steps into one submission. */
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
  /**
   * Early stopping: stop once the validation loss has not improved (fallen below its lowest) for this many epochs,
   * and return the parameters of the epoch with the lowest. Needs a validation set.
   */
  earlyStop?: number;
  /**
   * Evaluate the whole training set after every epoch too, without dropout, for its accuracy beside the test set's
   * (default true). It costs a forward pass over the training set per epoch.
   */
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

/** A run that checkRun has checked: the settings of the session that trains it, and the steps of an epoch. */
export interface CheckedRun {
  /** What createSession takes, but the parameters: the schedule resolved into steps, dropout's seed drawn. */
  readonly settings: SessionSettings;
  /** floor(train.count / batch): the incomplete last batch is dropped. */
  readonly stepsPerEpoch: number;
}

/** The key of the dropout masks' hash: a stream of its own, apart from initialisation's and shuffling's. */
const dropoutSeed = (seed: number) => (seed ^ 0x27d4eb2f) >>> 0;

/**
 * Checks a run before any work starts: the options, the model and the data together (checkSession, which the session
 * makes again with the device's limits). Every problem is a one-line UserError naming the setting by its field.
 */
export function checkRun(spec: ModelSpec, data: TrainData, options: TrainOptions): CheckedRun {
  const positiveInt = (field: Field, value: number) => {
    if (!Number.isInteger(value) || value < 1)
      throw new UserError((n) => `${n(field)} must be a positive integer, got ${value}`, field);
  };
  positiveInt('epochs', options.epochs);
  positiveInt('chunkSteps', options.logEvery);
  if (options.maxSteps !== undefined) positiveInt('maxSteps', options.maxSteps);
  if (options.checkpointEvery !== undefined) positiveInt('checkpointEvery', options.checkpointEvery);
  if (options.earlyStop !== undefined) {
    positiveInt('earlyStopping', options.earlyStop);
    if (!data.val) {
      throw new UserError(
        (n) =>
          `${n('earlyStopping')} watches the validation loss, and there is no validation set: ` +
          `add ${n('validationSplit')} (e.g. 0.1)`,
        'earlyStopping',
      );
    }
  }
  const { seed } = options;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new UserError((n) => `${n('seed')} must be an integer in 0..4294967295, got ${seed}`, 'seed');
  }
  const dropout = options.dropout ?? 0;
  const settings: SessionSettings = {
    spec,
    batch: options.batch,
    learningRate: options.learningRate,
    train: data.train,
    test: data.test,
    val: data.val,
    optimizer: options.optimizer,
    dropout: dropout !== 0 ? { rate: dropout, seed: dropoutSeed(seed) } : undefined,
  };
  const { stepsPerEpoch } = checkSession(settings);
  const schedule = resolveSchedule(options.schedule ?? CONSTANT, options.learningRate, options.epochs, stepsPerEpoch);
  return { settings: { ...settings, schedule }, stepsPerEpoch };
}
