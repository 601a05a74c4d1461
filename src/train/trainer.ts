import type { Backend, Dataset, Metrics, SessionSizes, TrainingSession } from '../backend.js';
import { UserError } from '../errors.js';
import { optimizerSlots, PLAIN_SGD, validateOptimizer, type OptimizerConfig } from '../model/optimizer.js';
import { initParams, paramTable } from '../model/params.js';
import { Rng } from '../model/rng.js';
import { CONSTANT, resolveSchedule, type ScheduleOptions } from '../model/schedule.js';
import { type ModelSpec, inputSize, outputSize } from '../model/spec.js';

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
}

export interface EpochRecord {
  epoch: number;
  /** Training steps in this epoch: all of them, or fewer when the run stopped part-way (maxSteps). */
  steps: number;
  /** Mean training loss over the epoch's steps (with dropout, when training with it). */
  trainLoss: number;
  testLoss: number;
  testAccuracy: number;
  /** With a validation set only. */
  valLoss?: number;
  valAccuracy?: number;
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

/**
 * Where a run stands between two steps: everything needed to continue it so that the CPU backend gives bitwise the
 * result of a run that never stopped.
 */
export interface TrainState {
  params: Float32Array;
  /** The optimiser's state, one array per slot of optimizerSlots(name), each laid out like params. */
  optimizer: Float32Array[];
  /** Steps done in all: the next step's index. */
  step: number;
  /** The epoch in progress (1-based; epochs + 1 once the run is complete), and the steps done in it. */
  epoch: number;
  epochStep: number;
  /** The shuffling generator's state at the start of the epoch in progress (before its shuffle). */
  shuffleState: number[];
  /** Sum of the losses of the epoch's steps so far (each chunk's mean times its steps), for the epoch's mean. */
  epochLossSum: number;
  /** The epochs finished so far. */
  history: EpochRecord[];
}

export interface TrainCallbacks {
  onProgress?: (progress: Progress) => void;
  onEpoch?: (record: EpochRecord) => void;
  /**
   * Called every checkpointEvery steps and at the end of the run (also when it stops at maxSteps), with a state
   * that train(..., { resume }) continues from. Awaited: an atomic write belongs here.
   */
  onCheckpoint?: (state: TrainState) => void | Promise<void>;
  /**
   * Awaited after every chunk of steps and after every epoch (after onProgress / onEpoch), with the session: a page
   * yields to the browser here so training never freezes it, holds the promise while paused, or reads the
   * parameters. Throwing stops the run: train() disposes the session and rejects with that error.
   */
  yieldPoint?: (session: TrainingSession) => Promise<void>;
}

/** How a run starts: fresh from the seed (the default), from given parameters, or from a saved state. */
export interface TrainStart {
  /** Initial parameters (--init), laid out by paramTable(spec), instead of the seeded initialisation. */
  params?: Float32Array;
  /** Continue a run from a TrainState given to onCheckpoint, with the same spec, data and options. */
  resume?: TrainState;
}

export interface TrainData {
  train: Dataset;
  test: Dataset;
  /** A validation set held out of the training data, evaluated after every epoch. */
  val?: Dataset;
}

export interface TrainResult {
  params: Float32Array;
  history: EpochRecord[];
  test: Metrics;
  /** With a validation set only. */
  val?: Metrics;
  /** Steps done in all. */
  steps: number;
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
export function validateTraining(spec: ModelSpec, options: TrainOptions, train: Dataset, test: Dataset, val?: Dataset): void {
  const positiveInt = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 1) throw new UserError(`${name} must be a positive integer, got ${value}`);
  };
  positiveInt('--epochs', options.epochs);
  positiveInt('--batch', options.batch);
  positiveInt('log interval', options.logEvery);
  if (options.maxSteps !== undefined) positiveInt('--steps', options.maxSteps);
  if (options.checkpointEvery !== undefined) positiveInt('--checkpoint-every', options.checkpointEvery);
  if (!(options.learningRate > 0) || !Number.isFinite(options.learningRate)) {
    throw new UserError(`--lr must be a positive number, got ${options.learningRate}`);
  }
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) {
    throw new UserError(`--seed must be an integer in 0..4294967295, got ${options.seed}`);
  }
  const dropout = options.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new UserError(`--dropout must be at least 0 and below 1, got ${dropout}`);
  if (dropout > 0 && spec.layers.length < 3) {
    throw new UserError('--dropout acts on hidden layers, and this model has none: add one, e.g. --layers 784,128,10');
  }
  validateOptimizer(options.optimizer ?? PLAIN_SGD);
  if (options.batch > train.count) {
    throw new UserError(`--batch ${options.batch} is larger than the training set (${train.count} samples): use a smaller batch`);
  }
  resolveSchedule(options.schedule ?? CONSTANT, options.learningRate, options.epochs, Math.floor(train.count / options.batch));
  const sets: [string, Dataset][] = [['training', train], ['test', test]];
  if (val) sets.push(['validation', val]);
  for (const [name, set] of sets) {
    if (set.features !== inputSize(spec)) {
      throw new UserError(`the model's input size ${inputSize(spec)} does not match the ${name} images (${set.features} pixels): start --layers with ${set.features}`);
    }
  }
  const classes = outputSize(spec);
  const maxLabel = Math.max(...sets.map(([, set]) => maxOf(set.labels)));
  if (maxLabel >= classes) {
    throw new UserError(`the model has ${classes} outputs but the data has label ${maxLabel}: end --layers with at least ${maxLabel + 1}`);
  }
}

function allFinite(values: Float32Array): boolean {
  for (const v of values) if (!Number.isFinite(v)) return false;
  return true;
}

function maxOf(values: Uint8Array): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

/** The generator that shuffles, a separate stream from initialisation's so neither depends on the other. */
const shuffleSeed = (seed: number) => (seed ^ 0x5bd1e995) >>> 0;
/** The key of the dropout masks' hash, another stream. */
export const dropoutSeed = (seed: number) => (seed ^ 0x27d4eb2f) >>> 0;

/** Checks that a saved state fits this run (a wrong file is a UserError, not a crash half-way). */
function checkResume(state: TrainState, total: number, slots: number, stepsPerEpoch: number, epochs: number): void {
  const fail = (what: string): never => {
    throw new UserError(`cannot resume: ${what}`);
  };
  if (state.params.length !== total) fail(`the saved parameters have ${state.params.length} values, the model needs ${total}`);
  if (state.optimizer.length !== slots) fail(`the saved optimiser state has ${state.optimizer.length} arrays, the optimiser keeps ${slots}`);
  for (const slot of state.optimizer) if (slot.length !== total) fail(`a saved optimiser array has ${slot.length} values, the model needs ${total}`);
  const { epoch, epochStep, step } = state;
  if (!Number.isInteger(epoch) || epoch < 1 || epoch > epochs + 1 || !Number.isInteger(epochStep) || epochStep < 0 ||
      epochStep > stepsPerEpoch || step !== (epoch - 1) * stepsPerEpoch + epochStep || (epoch > epochs && epochStep !== 0)) {
    fail(`the saved position (epoch ${epoch}, step ${epochStep} of it, ${step} in all) does not fit ${epochs} epochs of ${stepsPerEpoch} steps: resume with the data and --batch of the saved run`);
  }
  if (state.history.length !== epoch - 1) fail(`the saved history has ${state.history.length} epochs, the position says ${epoch - 1}`);
  if (state.shuffleState.length !== 4) fail('the saved shuffling state is not 4 words');
}

/** The sizes of the session that trains this run (Backend.checkSession). */
export function trainingSizes(spec: ModelSpec, data: TrainData, options: TrainOptions): SessionSizes {
  return { spec, batch: options.batch, learningRate: options.learningRate, train: data.train, test: data.test, val: data.val };
}

/**
 * Mini-batch training: each epoch shuffles the training set with a seeded generator (or keeps its order) and runs
 * floor(count / batch) full batches (the incomplete last batch is dropped; reshuffling means every sample is still
 * seen across epochs), then evaluates on the test set (and the validation set). The same seed and data give the same
 * result on the CPU backend, and a run resumed from a checkpoint gives bitwise the result of one never stopped.
 */
export async function train(
  backend: Backend, spec: ModelSpec, data: TrainData, options: TrainOptions,
  callbacks: TrainCallbacks = {}, start: TrainStart = {},
): Promise<TrainResult> {
  validateTraining(spec, options, data.train, data.test, data.val);
  const { epochs, batch, seed, logEvery } = options;
  const optimizer = options.optimizer ?? PLAIN_SGD;
  const dropout = options.dropout ?? 0;
  // Before anything is allocated, the parameters included: a model too large for the GPU is refused at once.
  backend.checkSession?.(trainingSizes(spec, data, options));
  const table = paramTable(spec);
  const stepsPerEpoch = Math.floor(data.train.count / batch);
  const stopAt = Math.min(epochs * stepsPerEpoch, options.maxSteps ?? Infinity);
  const every = options.checkpointEvery ?? Infinity;
  const schedule = resolveSchedule(options.schedule ?? CONSTANT, options.learningRate, epochs, stepsPerEpoch);
  const shuffleRng = new Rng(shuffleSeed(seed));
  const slots = optimizerSlots(optimizer.name);

  const { resume } = start;
  if (resume) checkResume(resume, table.total, slots.length, stepsPerEpoch, epochs);
  if (start.params && start.params.length !== table.total) {
    throw new UserError(`the initial parameters have ${start.params.length} values, layers ${spec.layers.join(',')} need ${table.total}`);
  }
  const params = resume?.params ?? start.params ?? initParams(table, seed);
  if (resume) shuffleRng.state = resume.shuffleState;
  let epoch = resume?.epoch ?? 1;
  let epochStep = resume?.epochStep ?? 0;
  let step = resume?.step ?? 0;
  let lossSum = resume?.epochLossSum ?? 0;
  const history = resume ? resume.history.map((r) => ({ ...r })) : [];

  const session = await backend.createSession({
    spec, params, batch, learningRate: options.learningRate, train: data.train, test: data.test, val: data.val,
    optimizer, optimizerState: resume?.optimizer, schedule,
    dropout: dropout > 0 ? { rate: dropout, seed: dropoutSeed(seed) } : undefined,
  });
  // A diverged run stops with the loss (or parameters) that show it, before anything non-finite is saved: the last
  // good checkpoint stays as it was.
  let at = { epoch, epochStep }; // the last step run, for people
  const diverged = (what: string): never => {
    throw new UserError(`training diverged at epoch ${at.epoch}, step ${at.epochStep}: ${what}; lower --lr (now ${options.learningRate})`);
  };
  const finiteParams = async () => {
    const values = await session.readParams();
    if (!allFinite(values)) diverged('the parameters are no longer finite numbers');
    return values;
  };
  let lastSaved = -1;
  const checkpoint = async (shuffleState: number[]) => {
    if (!callbacks.onCheckpoint) return;
    let optimizerState: Float32Array[] = [];
    if (slots.length > 0) {
      optimizerState = await session.readOptimizerState();
      if (!optimizerState.every(allFinite)) diverged('the optimiser state is no longer finite numbers');
    }
    await callbacks.onCheckpoint({
      params: await finiteParams(), optimizer: optimizerState, step, epoch, epochStep, shuffleState: shuffleState.slice(),
      epochLossSum: lossSum, history: history.map((r) => ({ ...r })),
    });
    lastSaved = step;
  };
  const evaluate = async () => ({
    test: await session.evaluate('test'),
    val: data.val ? await session.evaluate('val') : undefined,
  });

  try {
    const runStart = performance.now();
    let last: { test: Metrics; val?: Metrics } | null = null;
    let stoppedMidEpoch = false;
    for (; epoch <= epochs; epoch++) {
      if (step >= stopAt && epochStep === 0) break;
      const epochStart = performance.now();
      const shuffleState = shuffleRng.state;
      const order = Uint32Array.from({ length: data.train.count }, (_, i) => i);
      if (options.shuffle !== false) shuffleRng.shuffle(order);
      session.setEpochOrder(order, step - epochStep);
      while (epochStep < stepsPerEpoch && step < stopAt) {
        // Chunks end at multiples of logEvery within the epoch and of checkpointEvery within the run, so a resumed
        // run cuts the same chunks as one never stopped.
        const count = Math.min(logEvery - (epochStep % logEvery), stepsPerEpoch - epochStep, stopAt - step, every - (step % every));
        const chunkStart = performance.now();
        const loss = await session.trainSteps(epochStep, count);
        lossSum += loss * count;
        epochStep += count;
        step += count;
        at = { epoch, epochStep };
        if (!Number.isFinite(loss)) {
          diverged(count === 1 ? `the loss is ${loss}` : `the mean loss of steps ${epochStep - count + 1}-${epochStep} is ${loss}`);
        }
        callbacks.onProgress?.({
          epoch, epochs, step: epochStep, stepsPerEpoch, loss,
          samplesPerSecond: (count * batch) / ((performance.now() - chunkStart) / 1000),
        });
        if (step % every === 0) await checkpoint(shuffleState);
        await callbacks.yieldPoint?.(session);
      }
      stoppedMidEpoch = epochStep < stepsPerEpoch;
      if (stoppedMidEpoch && lastSaved !== step) await checkpoint(shuffleState);
      last = await evaluate();
      const record: EpochRecord = {
        epoch,
        steps: epochStep,
        trainLoss: lossSum / epochStep,
        testLoss: last.test.loss,
        testAccuracy: last.test.accuracy,
        ...(last.val ? { valLoss: last.val.loss, valAccuracy: last.val.accuracy } : {}),
        seconds: (performance.now() - epochStart) / 1000,
      };
      history.push(record);
      callbacks.onEpoch?.(record);
      await callbacks.yieldPoint?.(session);
      if (stoppedMidEpoch) break;
      epochStep = 0;
      lossSum = 0;
    }
    if (!stoppedMidEpoch) await checkpoint(shuffleRng.state);
    last ??= await evaluate(); // a resumed run that had nothing left to do
    return {
      params: await finiteParams(), history, test: last.test, ...(last.val ? { val: last.val } : {}),
      steps: step, seconds: (performance.now() - runStart) / 1000,
    };
  } finally {
    session.dispose();
  }
}
