import type { Backend, Metrics, TrainingSession } from '../backend.js';
import { checkRun } from '../check.js';
import { UserError } from '../errors.js';
import { optimizerSlots, PLAIN_SGD } from '../model/optimizer.js';
import { paramTable } from '../model/params.js';
import { Rng } from '../model/rng.js';
import type { ModelSpec } from '../model/spec.js';
import { type Convergence, convergence } from './convergence.js';
import {
  bestEpoch,
  type EpochMetrics,
  epochMetrics,
  evaluateParams,
  evaluateSets,
  type SetResults,
} from './evaluation.js';
import type { RegressionMetrics } from './metrics.js';
import type { TrainData, TrainOptions } from './run.js';

export { type CheckedRun, checkRun } from '../check.js';
export { DEFAULT_TRAIN_OPTIONS, type TrainData, type TrainOptions } from './run.js';

/** One epoch's results: its training loss and, by the task, EpochMetrics of the test and validation sets. */
export interface EpochRecord extends EpochMetrics {
  epoch: number;
  /** Training steps in this epoch: all of them, or fewer when the run stopped part-way (maxSteps). */
  steps: number;
  /** Mean training loss over the epoch's steps (with dropout, when training with it). */
  trainLoss: number;
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

/** Where a run stands between two steps: all a resumed run needs to give bitwise the result of one never stopped. */
export interface TrainState {
  params: Float32Array;
  /** The optimiser's state, one array per slot of optimizerSlots(optimizer), each laid out like params. */
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
  /** With early stopping: the parameters after the epoch of the lowest validation loss so far (bestEpoch(history)). */
  bestParams?: Float32Array;
}

export interface TrainCallbacks {
  onProgress?: (progress: Progress) => void;
  onEpoch?: (record: EpochRecord) => void;
  /** Called every checkpointEvery steps and at the end, with a state that { resume } continues from; awaited. */
  onCheckpoint?: (state: TrainState) => void | Promise<void>;
  /**
   * Awaited after every chunk of steps and every epoch: a page yields to the browser here, or pauses, or reads the
   * parameters. Throwing stops the run: train() disposes the session and rejects with that error.
   */
  yieldPoint?: (session: TrainingSession) => Promise<void>;
}

/** How a run starts: fresh from the seed (the default), from given parameters, or from a saved state. */
export interface TrainStart {
  /** Initial parameters, laid out by paramTable(spec), instead of the seeded initialisation. */
  params?: Float32Array;
  /** Continue a run from a TrainState given to onCheckpoint, with the same spec, data and options. */
  resume?: TrainState;
}

export interface TrainResult {
  /** The parameters at the end, or with early stopping those of the best epoch. */
  params: Float32Array;
  history: EpochRecord[];
  /** The results of `params`, with a test set. */
  test?: Metrics;
  /** With a validation set only. */
  val?: Metrics;
  /** Regression only: RMSE, MAE and R² of `params` in the targets' units. */
  testRegression?: RegressionMetrics;
  valRegression?: RegressionMetrics;
  /** With early stopping: the epoch `params` come from (the lowest validation loss), and whether it stopped early. */
  earlyStop?: { bestEpoch: number; stopped: boolean };
  /** Whether the training loss had settled by the end: a run of 2 epochs or more that early stopping did not end. */
  convergence?: Convergence;
  /** Steps done in all. */
  steps: number;
  seconds: number;
}

const allFinite = (values: Float32Array) => values.every(Number.isFinite);

/** The generator that shuffles, a separate stream from initialisation's so neither depends on the other. */
export const shuffleSeed = (seed: number) => (seed ^ 0x5bd1e995) >>> 0;

/** Checks that a saved state fits this run (a wrong file is a UserError, not a crash half-way). */
function checkResume(state: TrainState, total: number, slots: number, stepsPerEpoch: number, epochs: number): void {
  const fail = (what: string): never => {
    throw new UserError(`cannot resume: ${what}`);
  };
  const sized = (what: string, array?: Float32Array) =>
    array && array.length !== total && fail(`${what} have ${array.length} values, the model needs ${total}`);
  sized('the saved parameters', state.params);
  if (state.optimizer.length !== slots)
    fail(`the saved optimiser state has ${state.optimizer.length} arrays, the optimiser keeps ${slots}`);
  for (const slot of state.optimizer) sized('the saved optimiser arrays', slot);
  const { epoch, epochStep, step } = state;
  if (
    !Number.isInteger(epoch) ||
    epoch < 1 ||
    epoch > epochs + 1 ||
    !Number.isInteger(epochStep) ||
    epochStep < 0 ||
    epochStep > stepsPerEpoch ||
    step !== (epoch - 1) * stepsPerEpoch + epochStep ||
    (epoch > epochs && epochStep !== 0)
  ) {
    throw new UserError(
      (n) =>
        `cannot resume: the saved position (epoch ${epoch}, step ${epochStep} of it, ${step} in all) does not fit ` +
        `${epochs} epochs of ${stepsPerEpoch} steps: resume with the data and ${n('batchSize')} of the saved run`,
      'batchSize',
    );
  }
  if (state.history.length !== epoch - 1)
    fail(`the saved history has ${state.history.length} epochs, the position says ${epoch - 1}`);
  if (state.shuffleState.length !== 4) fail('the saved shuffling state is not 4 words');
  sized('the saved best parameters', state.bestParams);
}

/**
 * Mini-batch training: each epoch shuffles the training set with a seeded generator (or keeps its order), runs
 * floor(count / batch) full batches (reshuffling still shows every sample across epochs), then evaluates. The same
 * seed and data give the same result on the CPU backend, resumed from a checkpoint or not.
 */
export async function train(
  backend: Backend,
  spec: ModelSpec,
  data: TrainData,
  options: TrainOptions,
  callbacks: TrainCallbacks = {},
  start: TrainStart = {},
): Promise<TrainResult> {
  const { settings, stepsPerEpoch } = checkRun(spec, data, options);
  const { epochs, batch, seed, logEvery } = options;
  const total = paramTable(spec).total;
  const slots = optimizerSlots(options.optimizer ?? PLAIN_SGD);
  const stopAt = Math.min(epochs * stepsPerEpoch, options.maxSteps ?? Infinity);
  const every = options.checkpointEvery ?? Infinity;
  const shuffleRng = new Rng(shuffleSeed(seed));

  const { resume } = start;
  if (resume) checkResume(resume, total, slots.length, stepsPerEpoch, epochs);
  // Without parameters the session initialises them from the seed, once it knows the model fits the device.
  const params = resume?.params ?? start.params ?? { seed };
  if (resume) shuffleRng.state = resume.shuffleState;
  let epoch = resume?.epoch ?? 1;
  let epochStep = resume?.epochStep ?? 0;
  let step = resume?.step ?? 0;
  let lossSum = resume?.epochLossSum ?? 0;
  const history = resume ? resume.history.map((r) => ({ ...r })) : [];
  // Early stopping keeps the parameters of the epoch with the lowest validation loss, and stops `patience` epochs
  // after it: history says which, so a resumed run stops where the uninterrupted one did.
  const patience = options.earlyStop;
  let bestParams = resume?.bestParams;
  const exhausted = () => patience !== undefined && history.length - bestEpoch(history) >= patience;

  const session = await backend.createSession({ ...settings, params, optimizerState: resume?.optimizer });
  // A diverged run stops with the loss (or parameters) that show it, before anything non-finite is saved: the last
  // good checkpoint stays as it was.
  let at = { epoch, epochStep }; // the last step run, for people
  const diverged = (what: string): never => {
    throw new UserError(
      (n) =>
        `training diverged at epoch ${at.epoch}, step ${at.epochStep}: ${what}; ` +
        `lower ${n('learningRate')} (now ${options.learningRate})`,
      'learningRate',
    );
  };
  const finiteParams = async () => {
    const values = await session.readParams();
    if (!allFinite(values)) diverged('the parameters are no longer finite numbers');
    return values;
  };
  let lastSaved = -1;
  const checkpoint = async (shuffleState: number[]) => {
    if (!callbacks.onCheckpoint) return;
    const optimizerState = slots.length > 0 ? await session.readOptimizerState() : [];
    if (!optimizerState.every(allFinite)) diverged('the optimiser state is no longer finite numbers');
    await callbacks.onCheckpoint({
      params: await finiteParams(),
      optimizer: optimizerState,
      step,
      epoch,
      epochStep,
      shuffleState: shuffleState.slice(),
      epochLossSum: lossSum,
      history: history.map((r) => ({ ...r })),
      ...(bestParams ? { bestParams: bestParams.slice() } : {}),
    });
    lastSaved = step;
  };
  const trainSet = options.trainMetrics !== false ? data.train : undefined;
  const evaluate = () => evaluateSets(session, spec, { test: data.test, val: data.val, train: trainSet });

  try {
    const runStart = performance.now();
    let last: SetResults | null = null;
    let stoppedMidEpoch = false;
    let stoppedEarly = false;
    for (; epoch <= epochs; epoch++) {
      if (step >= stopAt && epochStep === 0) break;
      if (epochStep === 0 && exhausted()) {
        stoppedEarly = true; // a resumed run that had stopped early
        break;
      }
      const epochStart = performance.now();
      const shuffleState = shuffleRng.state;
      const order = Uint32Array.from({ length: data.train.count }, (_, i) => i);
      if (options.shuffle !== false) shuffleRng.shuffle(order);
      session.setEpochOrder(order, step - epochStep);
      while (epochStep < stepsPerEpoch && step < stopAt) {
        // Chunks end at multiples of logEvery within the epoch and of checkpointEvery within the run, so a resumed
        // run cuts the same chunks as one never stopped.
        const count = Math.min(
          logEvery - (epochStep % logEvery),
          stepsPerEpoch - epochStep,
          stopAt - step,
          every - (step % every),
        );
        const chunkStart = performance.now();
        const loss = await session.trainSteps(epochStep, count);
        lossSum += loss * count;
        epochStep += count;
        step += count;
        at = { epoch, epochStep };
        if (!Number.isFinite(loss)) {
          diverged(
            count === 1
              ? `the loss is ${loss}`
              : `the mean loss of steps ${epochStep - count + 1}-${epochStep} is ${loss}`,
          );
        }
        callbacks.onProgress?.({
          epoch,
          epochs,
          step: epochStep,
          stepsPerEpoch,
          loss,
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
        ...epochMetrics(last),
        seconds: (performance.now() - epochStart) / 1000,
      };
      history.push(record);
      if (patience !== undefined && bestEpoch(history) === epoch) bestParams = await finiteParams();
      callbacks.onEpoch?.(record);
      await callbacks.yieldPoint?.(session);
      if (stoppedMidEpoch) break;
      epochStep = 0;
      lossSum = 0;
      if (exhausted()) {
        // As if the epochs were all done: a checkpoint of this state resumes into the stop.
        stoppedEarly = true;
        epoch++;
        break;
      }
    }
    if (!stoppedMidEpoch) await checkpoint(shuffleRng.state);
    last ??= await evaluate(); // a resumed run that had nothing left to do
    let params = await finiteParams();
    const best = bestEpoch(history);
    const settled = stoppedEarly ? undefined : convergence(history);
    // The session holds the last epoch's parameters; the best epoch's, if earlier, are evaluated on their own.
    if (patience !== undefined && best !== history.length) {
      params = bestParams!;
      last = await evaluateParams(backend, spec, params, data);
    }
    return {
      params,
      history,
      ...(last.test ? { test: last.test.metrics } : {}),
      ...(last.val ? { val: last.val.metrics } : {}),
      ...(last.test?.regression ? { testRegression: last.test.regression } : {}),
      ...(last.val?.regression ? { valRegression: last.val.regression } : {}),
      ...(patience !== undefined ? { earlyStop: { bestEpoch: best, stopped: stoppedEarly } } : {}),
      ...(settled ? { convergence: settled } : {}),
      steps: step,
      seconds: (performance.now() - runStart) / 1000,
    };
  } finally {
    session.dispose();
  }
}
