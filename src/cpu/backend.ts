import {
  type Backend,
  type Dataset,
  type EvalSet,
  type Metrics,
  type ModelsOptions,
  type ModelsSession,
  refuseTraining,
  SET_NAMES,
  type SessionOptions,
  type TrainingSession,
} from '../backend.js';
import { type CheckedSession, checkSession, startingState } from '../check.js';
import { type OptimizerConfig, rmspropState } from '../model/optimizer.js';
import { learningRateAt } from '../model/schedule.js';
import { labelWidth, type ModelSpec, outputSize } from '../model/spec.js';
import { SequentialModels } from '../sequential-models.js';
import { gather, gatherFloats } from './gather.js';
import { argmaxCount, modelLoss } from './losses.js';
import { CpuNetwork, type LayeredNetwork } from './network.js';
import { TimeSlicer } from './time-slices.js';
import { adamUpdate, momentumUpdate, rmspropUpdate, sgdUpdate } from './updates.js';

/**
 * Rows per forward pass when evaluating: large enough to amortise the loop overhead, small enough to stay in cache.
 * meanLoss (src/train/metrics.ts) sums eval's loss in batches of as many.
 */
export const EVAL_ROWS = 256;

/** Rows of an evaluation batch between two looks at the clock: a few milliseconds of work for a large layer. */
const SLICE_ROWS = 32;

/**
 * The reference backend: plain TypeScript over Float32Array, one thread. Its sessions hand the thread back to the
 * event loop every SLICE_MS of work (between training steps, and between slices of an evaluation batch), so a page
 * that trains on its main thread keeps drawing; where the work stops never changes what it computes.
 */
export class CpuBackend implements Backend {
  readonly kind = 'cpu';

  constructor(readonly device = cpuDescription()) {}

  async createSession(options: SessionOptions): Promise<CpuSession> {
    return new CpuSession(options);
  }

  /** The reference trains models one after another, each as it would alone. */
  createModels(options: ModelsOptions): Promise<ModelsSession> {
    return SequentialModels.create(options, (alone) => this.createSession(alone));
  }

  dispose(): void {}
}

function cpuDescription(): string {
  // Also runs in the browser demo, where there is no process object.
  const node = globalThis.process?.versions?.node;
  return node ? `CPU reference (1 thread, Node ${node}, ${process.arch})` : 'CPU reference (1 thread, in the browser)';
}

/**
 * What a CPU session computes with: the reference's arrays and loops, or the same contract on other kernels (the
 * wasm backend's, in their own memory).
 */
export interface CpuKernels {
  /** A zeroed float32 array where the kernels read and write. */
  floats(length: number): Float32Array;
  network(spec: ModelSpec, maxRows: number): LayeredNetwork;
  /** Rows of an evaluation batch computed between two looks at the clock (at most EVAL_ROWS). */
  readonly sliceRows: number;
  /** One optimiser step with rate lr at 1-based step t over every parameter; `state` as optimizerSlots orders it. */
  update(
    params: Float32Array,
    grads: Float32Array,
    state: Float32Array[],
    o: OptimizerConfig,
    lr: number,
    t: number,
  ): void;
  dispose(): void;
}

/** The reference's kernels: plain arrays, CpuNetwork, the updates of src/cpu/updates.ts. */
export const REFERENCE_KERNELS: CpuKernels = {
  floats: (length) => new Float32Array(length),
  network: (spec, maxRows) => new CpuNetwork(spec, maxRows),
  sliceRows: SLICE_ROWS,
  update: referenceUpdate,
  dispose: () => {},
};

function referenceUpdate(
  params: Float32Array,
  grads: Float32Array,
  state: Float32Array[],
  o: OptimizerConfig,
  lr: number,
  t: number,
): void {
  const n = params.length;
  switch (o.name) {
    case 'sgd':
      return sgdUpdate(params, grads, lr, n, o.weightDecay);
    case 'momentum':
    case 'nesterov':
      return momentumUpdate(params, state[0], grads, { ...o, lr, nesterov: o.name === 'nesterov', step: t }, n);
    case 'adam':
    case 'adamw':
      return adamUpdate(params, state[0], state[1], grads, { ...o, lr, decoupled: o.name === 'adamw', step: t }, n);
    case 'rmsprop': {
      const { squareAvg, momentumBuffer, gradAvg } = rmspropState(state, o);
      return rmspropUpdate(params, squareAvg, momentumBuffer, gradAvg, grads, { ...o, lr }, n);
    }
  }
}

export class CpuSession implements TrainingSession {
  private readonly params: Float32Array;
  private readonly network: LayeredNetwork;
  /** The gathered batch's class indices [rows], or a regression's targets [rows, outputs]. */
  private readonly labels: Uint32Array | Float32Array;
  /** The settings' optimiser and schedule (with their defaults), and the optimiser's slots. */
  private readonly checked: CheckedSession;
  /** One array per slot of optimizerSlots(optimizer), laid out like the parameters. */
  private readonly state: Float32Array[];
  private order = new Uint32Array(0);
  private firstStep = 0;
  private readonly slicer = new TimeSlicer();

  constructor(
    private readonly options: SessionOptions,
    private readonly kernels: CpuKernels = REFERENCE_KERNELS,
  ) {
    const checked = checkSession(options);
    const start = startingState(options, checked);
    this.checked = checked;
    this.params = kernels.floats(start.params.length);
    this.params.set(start.params);
    this.network = kernels.network(options.spec, Math.max(options.batch, EVAL_ROWS));
    const { spec } = options;
    const labels = this.network.maxRows * labelWidth(spec);
    this.labels = spec.task === 'regression' ? new Float32Array(labels) : new Uint32Array(labels);
    this.state = checked.slots.map((_, i) => {
      const slot = kernels.floats(this.params.length);
      if (start.optimizerState[i]) slot.set(start.optimizerState[i]);
      return slot;
    });
  }

  setEpochOrder(order: Uint32Array, firstStep = 0): void {
    refuseTraining(this.options);
    this.order = order.slice();
    this.firstStep = firstStep;
  }

  async trainSteps(first: number, count: number): Promise<number> {
    refuseTraining(this.options);
    const { batch, learningRate, train, dropout } = this.options;
    if ((first + count) * batch > this.order.length) {
      throw new Error(
        `steps ${first}..${first + count - 1} need ${(first + count) * batch} order entries, have ${this.order.length}`,
      );
    }
    let lossSum = 0;
    for (let s = first; s < first + count; s++) {
      await this.slicer.pause();
      const step = this.firstStep + s;
      this.gather(train, this.order, s * batch, batch);
      this.network.forward(this.params, batch, dropout ? { ...dropout, step } : null);
      lossSum += this.network.backward(this.params, this.labels, batch);
      const lr = learningRateAt(learningRate, this.checked.schedule, step);
      this.kernels.update(this.params, this.network.grads, this.state, this.checked.optimizer, lr, step + 1);
    }
    return lossSum / count;
  }

  async evaluate(which: EvalSet = 'test'): Promise<Metrics> {
    const set = this.options[which];
    if (!set) throw new Error(`evaluate("${which}") on a session without ${SET_NAMES[which]}`);
    const { spec } = this.options;
    const classes = outputSize(spec);
    let lossSum = 0;
    let correct = 0;
    for await (const [, rows, outputs] of this.forwardBatches(set)) {
      lossSum += modelLoss(spec, null, outputs, this.labels, rows, classes) * rows;
      if (this.labels instanceof Uint32Array) correct += argmaxCount(outputs, this.labels, rows, classes);
    }
    return { loss: lossSum / set.count, accuracy: spec.task === 'regression' ? NaN : correct / set.count };
  }

  async predict(set: Dataset): Promise<Float32Array> {
    const classes = outputSize(this.options.spec);
    const out = new Float32Array(set.count * classes);
    for await (const [start, , outputs] of this.forwardBatches(set)) out.set(outputs, start * classes);
    return out;
  }

  /**
   * The forward pass over `set` as stored, EVAL_ROWS rows at a time (each batch in slices of sliceRows, yielding the
   * thread between them when a slice of time is spent): each batch's first row, rows and outputs.
   */
  private async *forwardBatches(set: Dataset): AsyncGenerator<[start: number, rows: number, outputs: Float32Array]> {
    const identity = Uint32Array.from({ length: set.count }, (_, i) => i);
    for (let start = 0; start < set.count; start += EVAL_ROWS) {
      const rows = Math.min(EVAL_ROWS, set.count - start);
      this.gather(set, identity, start, rows);
      let outputs: Float32Array = new Float32Array(0);
      const slice = this.kernels.sliceRows;
      for (let first = 0; first < rows; first += slice) {
        await this.slicer.pause();
        outputs = this.network.forwardSlice(this.params, first, Math.min(slice, rows - first));
      }
      yield [start, rows, outputs];
    }
  }

  async readParams(): Promise<Float32Array> {
    return this.params.slice();
  }

  async readOptimizerState(): Promise<Float32Array[]> {
    return this.state.map((slot) => slot.slice());
  }

  dispose(): void {
    this.kernels.dispose();
  }

  /** Byte images are normalised by the spec, float32 inputs taken as they are. */
  private gather(set: Dataset, order: Uint32Array, start: number, rows: number): void {
    const { spec } = this.options;
    const { input } = this.network;
    const { inputs, labels } = set;
    if (inputs instanceof Float32Array) {
      gatherFloats(input, this.labels, inputs, labels, order, start, rows, set.features, labelWidth(spec));
    } else if (this.labels instanceof Uint32Array && !(labels instanceof Float32Array)) {
      gather(input, this.labels, inputs, labels, order, start, rows, set.features, spec.inputMean, spec.inputStd);
    } else {
      throw new Error('byte inputs with target values: checkSession refuses them');
    }
  }
}
