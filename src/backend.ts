import type { OptimizerConfig } from './model/optimizer.js';
import type { Schedule } from './model/schedule.js';
import { labelWidth, type ModelSpec } from './model/spec.js';

/** A labelled set as it is stored: [count, features] row-major inputs and their labels. */
export interface Dataset {
  /** Bytes 0..255 (images, normalised by the spec's inputMean and inputStd when gathered), or float32 as is. */
  inputs: Uint8Array | Float32Array;
  /** Classification: [count] class indices. Regression: [count, outputs] float32 targets, already standardised. */
  labels: Uint8Array | Uint32Array | Float32Array;
  count: number;
  features: number;
}

/** A set of byte images with byte labels, as MNIST's files hold them. */
export interface ImageDataset extends Dataset {
  inputs: Uint8Array;
  labels: Uint8Array;
}

export interface Metrics {
  /** Mean loss over the set, by the model's loss (softmax-cross-entropy or MSE). */
  loss: number;
  /** Fraction classified correctly (the first largest output at the label), 0..1; NaN for a regression model. */
  accuracy: number;
}

/** Dropout on the hidden layers' outputs at training time (inverted: kept values are scaled by 1 / (1 − rate)). */
export interface DropoutConfig {
  /** Probability of dropping each element, 0 <= rate < 1. */
  rate: number;
  /** Key of the counter-based hash that draws the masks (src/model/counter-hash.ts). */
  seed: number;
}

/** Everything a session needs for its whole life; left out, it trains with plain SGD at a constant rate. */
export interface SessionOptions {
  spec: ModelSpec;
  /** Initial parameters, laid out by paramTable(spec) (copied), or the seed initParams takes once the model fits. */
  params: Float32Array | { seed: number };
  batch: number;
  /** The base learning rate: the schedule's rate at step 0. */
  learningRate: number;
  train: Dataset;
  /** The test set, evaluated by evaluate('test'), which a session without one refuses. */
  test?: Dataset;
  /** A held-out validation set, evaluated by evaluate('val'). */
  val?: Dataset;
  /** The optimiser (default: plain SGD, no weight decay). */
  optimizer?: OptimizerConfig;
  /** Initial optimiser state, one array per slot of optimizerSlots(optimizer) (copied; default: zeros). */
  optimizerState?: Float32Array[];
  /** The schedule resolved into steps (default constant): learningRateAt(learningRate, schedule, step). */
  schedule?: Schedule;
  /** Dropout on hidden layers during training steps (default none). */
  dropout?: DropoutConfig;
  /** A session for eval and predict that never trains: a GPU backend compiles no backward kernels for it. */
  evaluateOnly?: boolean;
}

/** What a session is before it has parameters: its options without them and without the optimiser state. */
export type SessionSettings = Omit<SessionOptions, 'params' | 'optimizerState'>;

/** Which of a session's labelled sets to evaluate: the training set too, to set its accuracy against the test set's. */
export type EvalSet = 'test' | 'val' | 'train';

/** Each EvalSet for people, as an error names a set a session was not given. */
export const SET_NAMES: Record<EvalSet, string> = {
  test: 'a test set',
  val: 'a validation set',
  train: 'a training set',
};

/**
 * A model being trained on one backend, which holds everything the run needs for its whole life; the trainer hands it
 * whole chunks of steps, so a GPU backend records them into one submission and reads back only the chunk's loss.
 */
export interface TrainingSession {
  /**
   * Sets the sample order for the coming epoch: step s trains on order[s·batch .. (s+1)·batch), and is step
   * firstStep + s of the run, which picks its learning rate, Adam's bias correction and its dropout masks.
   */
  setEpochOrder(order: Uint32Array, firstStep?: number): void;
  /** Runs training steps first .. first+count-1 of the epoch; resolves to their mean training loss. */
  trainSteps(first: number, count: number): Promise<number>;
  /** Loss and accuracy on the test set (or another the session was given), without dropout. */
  evaluate(set?: EvalSet): Promise<Metrics>;
  /** A copy of the current parameters. */
  readParams(): Promise<Float32Array>;
  /** Copies of the optimiser state, one array per slot of optimizerSlots(optimizer) (none for plain SGD). */
  readOptimizerState(): Promise<Float32Array[]>;
  /** The last layer's outputs (logits, or standardised targets) for every sample of `set`, without dropout. */
  predict(set: Dataset): Promise<Float32Array>;
  /** Frees everything the session holds. */
  dispose(): void;
}

/** One model of a ModelsSession: what may differ between the models trained together. */
export interface ModelVariant {
  /** Initial parameters (copied), or the seed initParams takes once the session fits. */
  params: Float32Array | { seed: number };
  learningRate: number;
  /** The optimiser (default plain SGD): one name in every model of a session, its settings each model's own. */
  optimizer?: OptimizerConfig;
  schedule?: Schedule;
  dropout?: DropoutConfig;
  /** The rows of the session's training set this model trains on, ascending (default all): k-fold's complement. */
  trainRows?: Uint32Array;
  /** Rows of the session's training set that evaluate('val') scores this model on, instead of the validation set. */
  valRows?: Uint32Array;
}

/** Models of one spec and batch trained together on shared data: on a GPU, every step of all of them in one pass. */
export interface ModelsOptions {
  spec: ModelSpec;
  batch: number;
  train: Dataset;
  test?: Dataset;
  val?: Dataset;
  models: ModelVariant[];
}

/**
 * Several models trained together, each exactly as it would train alone (modelAlone): the same steps, losses and
 * parameters. Model i runs floor(its training rows / batch) steps an epoch; a stopped model runs none.
 */
export interface ModelsSession {
  readonly count: number;
  /** Each model's steps per epoch. */
  readonly stepsPerEpoch: readonly number[];
  /**
   * Sets each model's order for the coming epoch, over its own training rows (0 .. rows-1, as modelAlone numbers
   * them), and the run step its epoch starts at.
   */
  setEpochOrders(orders: readonly Uint32Array[], firstSteps: readonly number[]): void;
  /** Runs steps first .. first+count-1 of the epoch for each running model that has them: its mean loss, else NaN. */
  trainSteps(first: number, count: number): Promise<Float64Array>;
  /** Model `model` takes no more steps; its parameters and optimiser state stay as they are. */
  stop(model: number): void;
  /** Each model's loss and accuracy on a set: 'val' on its valRows where it has them, 'train' on its trainRows. */
  evaluate(set?: EvalSet): Promise<Metrics[]>;
  /** Each model's last-layer outputs on its rows of a set (as evaluate scores them), without dropout. */
  outputs(set: EvalSet): Promise<Float32Array[]>;
  readParams(): Promise<Float32Array[]>;
  readOptimizerState(): Promise<Float32Array[][]>;
  dispose(): void;
}

export interface Backend {
  readonly kind: 'cpu' | 'wasm' | 'webgpu';
  /** What the work runs on, for people: "CPU (Node 20, x64)", or the GPU adapter's vendor and name. */
  readonly device: string;
  /** Checks the options (checkSession) and the device's limits before it takes or initialises any parameters. */
  createSession(options: SessionOptions): Promise<TrainingSession>;
  /** Models trained together; the options of each are checked as modelAlone's, and all must fit at once. */
  createModels(options: ModelsOptions): Promise<ModelsSession>;
  dispose(): void;
}

/** Rows `rows` of a set whose samples have `labelWidth` labels, copied: a model's own rows as it sees them alone. */
export function selectRows(set: Dataset, rows: Uint32Array, labelWidth: number): Dataset {
  const take = <A extends Dataset['inputs'] | Dataset['labels']>(values: A, per: number): A => {
    const out = new (values.constructor as new (n: number) => A)(rows.length * per);
    rows.forEach((row, i) => out.set(values.subarray(row * per, (row + 1) * per), i * per));
    return out;
  };
  return {
    inputs: take(set.inputs, set.features),
    labels: take(set.labels, labelWidth),
    count: rows.length,
    features: set.features,
  };
}

/** Model i of a ModelsSession as a session of its own: what it must equal, step for step. */
export function modelAlone(options: ModelsOptions, i: number): SessionOptions {
  const { models, train, val, ...shared } = options;
  const { trainRows, valRows, ...own } = models[i];
  const width = labelWidth(options.spec);
  return {
    ...shared,
    ...own,
    train: trainRows ? selectRows(train, trainRows, width) : train,
    ...(valRows ? { val: selectRows(train, valRows, width) } : val ? { val } : {}),
  };
}

/** Both backends' guard of setEpochOrder and trainSteps: a programming error, not a user's. */
export function refuseTraining(options: Pick<SessionOptions, 'evaluateOnly'>): void {
  if (options.evaluateOnly) throw new Error('this session was opened with evaluateOnly: it cannot train');
}
