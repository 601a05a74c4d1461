/**
 * A model training on one GPU device: its set-up (by its plan, inside error scopes) and its calls. Read
 * src/gpu/graph.ts first (the dispatches of one step), then plan.ts (sizes, limits, the step table), buffers.ts,
 * record.ts (dispatches recorded, submitted and read back), then this file.
 */
import {
  type Dataset,
  type EvalSet,
  type Metrics,
  refuseTraining,
  SET_NAMES,
  type SessionOptions,
  type SessionSettings,
  type TrainingSession,
} from '../backend.js';
import { startingState } from '../check.js';
import { allocateBuffers, uploadSet } from './buffers.js';
import type { Gpu } from './device.js';
import { type NetBuffers, NetGraph, updateRule } from './graph.js';
import type { Kernels } from './kernels.js';
import type { MatmulChoice } from './matmul-variants.js';
import {
  DEFAULT_EVAL_ROWS,
  encodeStepTable,
  evalEntries,
  evalSlots,
  makePlan,
  type Plan,
  PREDICTION_FIX,
  predictionPlan,
  runDependent,
  SESSION_FIX,
  sessionEntries,
  trainingEntries,
} from './plan.js';
import {
  type BatchLists,
  buildBatchLists,
  buildDispatches,
  createStepTable,
  type Dispatch,
  type GpuStats,
  type RecordedChunk,
  Recorder,
  Resources,
  scoped,
} from './record.js';

/** What a session is made of, all made once at set-up. */
interface SessionParts {
  res: Resources;
  plan: Plan;
  buffers: NetBuffers;
  stepTable: GPUBuffer;
  /** The dispatches of one training step (none for an evaluate-only session). */
  step: Dispatch[];
  /** The dispatches of each set's evaluation batches. */
  evals: Partial<Record<EvalSet, BatchLists>>;
  recorder: Recorder;
  /** What a prediction builds its own dispatches with. */
  kernels: Kernels;
  graph: NetGraph;
}

export interface SessionTuning {
  /** Rows per evaluation batch (default DEFAULT_EVAL_ROWS); the last batch takes whatever is left. */
  evalRows?: number;
  /** One matmul tile or mode for every matmul instead of the one picked by shape (the benchmark's comparisons). */
  matmul?: MatmulChoice;
  /** Called once when the session is disposed. */
  onDispose?: () => void;
  /** Record the next chunk while the GPU runs this one (default true; off only to measure what it saves). */
  prerecord?: boolean;
}

/**
 * A model training on one GPU device, its parameters, data and objects made once at set-up. A chunk of steps is one
 * compute pass, one submit and one read back of its losses. Calls are serialised: they need not await each other.
 */
export class WebGpuSession implements TrainingSession {
  /** Counts of dispatches, passes, submits, read backs and objects made after set-up. */
  readonly stats: GpuStats;
  readonly stepsPerEpoch: number;
  readonly evalRows: number;
  /** Dispatches recorded per training step (see NetGraph.trainStep); none when evaluateOnly. */
  readonly dispatchesPerStep: number;
  private readonly device: GPUDevice;
  private orderSteps = 0;
  /** The run step that the step table's training entries start at. */
  private tableFirstStep = 0;
  /** The chunk recorded ahead of its call, and the size of the chunk that began the current epoch. */
  private ahead: RecordedChunk | null = null;
  private epochChunk = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private disposed = false;

  private constructor(
    private readonly parts: SessionParts,
    private readonly options: SessionSettings,
    private readonly onDispose: () => void,
    private readonly prerecord: boolean,
  ) {
    this.stats = parts.res.stats;
    this.device = parts.res.device;
    this.stepsPerEpoch = parts.plan.stepsPerEpoch;
    this.evalRows = parts.plan.evalRows;
    this.dispatchesPerStep = parts.step.length;
  }

  /**
   * Plans a session: checks its settings, works out its sizes and checks them against the device's limits, and only
   * then takes its starting parameters (initialising them where it is given a seed), so a model too large for the
   * device is refused before any work; then makes its parts, inside error scopes.
   */
  static async create(
    gpu: Gpu,
    kernels: Kernels,
    options: SessionOptions,
    tuning: SessionTuning = {},
  ): Promise<WebGpuSession> {
    const { matmul = {}, onDispose = () => {}, prerecord = true, evalRows = DEFAULT_EVAL_ROWS } = tuning;
    gpu.check();
    const plan = makePlan(options, evalRows, gpu.device);
    const start = startingState(options, plan);
    const { table, stepsPerEpoch } = plan;
    const res = new Resources(gpu);
    try {
      const parts = await scoped(gpu.device, 'the model', SESSION_FIX, async (): Promise<SessionParts> => {
        const update = updateRule(plan.optimizer, plan.schedule, options.learningRate);
        const net = { ...options.spec, dropout: options.dropout };
        const buffers = allocateBuffers(res, plan, options, start.params, start.optimizerState, net, update);
        const graph = new NetGraph(table, net, buffers, matmul);
        const stepTable = createStepTable(res, sessionEntries(options, plan));
        const step = options.evaluateOnly
          ? []
          : await buildDispatches(res, kernels, graph.trainStep(options.batch, update), stepTable, 'train step');
        const evals: SessionParts['evals'] = {};
        for (const which of ['test', 'val', 'train'] as const) {
          const set = buffers[which];
          const setPlan = plan[which];
          if (!set || !setPlan) continue;
          const batch = (rows: number) => graph.evalBatch(set, rows);
          evals[which] = await buildBatchLists(res, kernels, stepTable, setPlan, batch, `${which} eval batch`);
        }
        const stagingBytes = Math.max(stepsPerEpoch * 4, evalSlots(plan) * 8, table.total * 4);
        const staging = res.buffer('read back', stagingBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
        const recorder = new Recorder(gpu, res.stats, staging);
        return { res, plan, buffers, stepTable, step, evals, recorder, kernels, graph };
      });
      res.endSetup();
      return new WebGpuSession(parts, options, onDispose, prerecord);
    } catch (error) {
      res.destroy();
      throw error;
    }
  }

  setEpochOrder(order: Uint32Array, firstStep = 0): void {
    this.live();
    refuseTraining(this.options);
    const { batch, train } = this.options;
    if (order.length > train.count) {
      throw new Error(`the epoch order has ${order.length} entries, more than the ${train.count} training samples`);
    }
    for (const index of order) {
      if (index >= train.count)
        throw new Error(`epoch order entry ${index} is outside the ${train.count} training samples`);
    }
    // After any call still pending, so the order changes between chunks exactly where the caller said.
    const copy = order.slice();
    // The run-dependent fields of the step table follow the epoch's first step, when a kernel reads them.
    const table =
      runDependent(this.options) && firstStep !== this.tableFirstStep
        ? encodeStepTable(trainingEntries(this.options, this.parts.plan, firstStep), this.parts.recorder.stride)
        : null;
    this.tableFirstStep = firstStep;
    void this.serial(async () => {
      this.device.queue.writeBuffer(this.parts.buffers.order, 0, copy);
      this.stats.writes++;
      if (table) {
        this.device.queue.writeBuffer(this.parts.stepTable, 0, table);
        this.stats.writes++;
      }
    });
    this.orderSteps = Math.min(this.parts.plan.stepsPerEpoch, Math.floor(order.length / batch));
  }

  async trainSteps(first: number, count: number): Promise<number> {
    this.live();
    refuseTraining(this.options);
    if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 1) {
      throw new Error(`trainSteps(${first}, ${count}): need integers, first >= 0, count >= 1`);
    }
    if (first + count > this.orderSteps) {
      throw new Error(
        `steps ${first}..${first + count - 1} need an epoch order ` +
          `of at least ${(first + count) * this.options.batch} samples; ` +
          `the current one covers ${this.orderSteps} steps (call setEpochOrder first)`,
      );
    }
    return this.serial(async () => {
      let chunk = this.ahead;
      this.ahead = null;
      if (!chunk || chunk.first !== first || chunk.count !== count) {
        const start = performance.now();
        chunk = this.parts.recorder.chunk(this.parts.step, first, count);
        this.stats.recordMs += performance.now() - start;
      }
      this.stats.computePasses++;
      this.stats.dispatches += chunk.dispatches;
      if (first === 0) this.epochChunk = count;
      const raw = await this.parts.recorder.readBack(this.parts.buffers.losses, first * 4, count * 4, {
        commands: [chunk.commands],
        afterSubmit: () => this.recordAhead(first, count),
      });
      let sum = 0;
      for (const loss of new Float32Array(raw)) sum += loss;
      return sum / count;
    });
  }

  /**
   * Right after a submit, records the chunk the trainer will ask for next (the following one of the same size, or the
   * first of the next epoch) while the GPU runs, taking recording (microseconds per dispatch) off the critical path.
   * A wrong guess is recorded again when asked for; no chunk depends on the order or the parameters' values.
   */
  private recordAhead(first: number, count: number): void {
    if (!this.prerecord || this.disposed) return;
    const steps = this.parts.plan.stepsPerEpoch;
    const next = first + count;
    const start = performance.now();
    this.ahead =
      next < steps
        ? this.parts.recorder.chunk(this.parts.step, next, Math.min(count, steps - next))
        : this.parts.recorder.chunk(this.parts.step, 0, Math.min(this.epochChunk || count, steps));
    this.stats.prerecordMs += performance.now() - start;
  }

  async evaluate(which: EvalSet = 'test'): Promise<Metrics> {
    this.live();
    const plan = this.parts.plan[which];
    const lists = this.parts.evals[which];
    if (!plan || !lists) throw new Error(`evaluate("${which}") on a session without ${SET_NAMES[which]}`);
    const { count, batches, firstSlot } = plan;
    if (count === 0) return { loss: NaN, accuracy: NaN };
    return this.serial(async () => {
      const encoder = this.device.createCommandEncoder();
      this.parts.recorder.batches(encoder, lists, batches, this.parts.plan.stepsPerEpoch + firstSlot);
      const raw = await this.parts.recorder.readBack(this.parts.buffers.evalOut, firstSlot * 8, batches * 8, {
        encoder,
      });
      const lossSums = new Float32Array(raw);
      const corrects = new Uint32Array(raw);
      let loss = 0;
      let correct = 0;
      for (let b = 0; b < batches; b++) {
        loss += lossSums[2 * b];
        correct += corrects[2 * b + 1];
      }
      return { loss: loss / count, accuracy: this.options.spec.task === 'regression' ? NaN : correct / count };
    });
  }

  /**
   * The last layer's outputs for every sample of `set`, in batches of evalRows without dropout; one submit, one read
   * back. Its set, step table, dispatches and buffers are its own (checked against the device's limits first), all
   * destroyed before it returns.
   */
  async predict(set: Dataset): Promise<Float32Array> {
    this.live();
    const plan = predictionPlan(this.parts.plan, this.options.spec, set, this.device);
    if (!plan) return new Float32Array(0);
    const { table, evalRows } = this.parts.plan;
    const classes = table.layers[table.layers.length - 1].outSize;
    const bytes = set.count * classes * 4;
    const { kernels, graph, buffers } = this.parts;
    return this.serial(async () => {
      const res = new Resources(this.parts.res.gpu);
      try {
        const { lists, outputs, staging } = await scoped(this.device, 'the prediction', PREDICTION_FIX, async () => {
          // The session's own sets are on the GPU already (eval predicts its test set).
          const own = (['test', 'val', 'train'] as const).find((which) => this.options[which] === set);
          const data = (own && buffers[own]) || uploadSet(res, 'predict', set, this.options.spec);
          const stepTable = createStepTable(res, evalEntries(plan));
          const batch = (rows: number) => graph.predictBatch(data, rows);
          return {
            lists: await buildBatchLists(res, kernels, stepTable, plan, batch, 'predict batch'),
            outputs: res.buffer('predictions', bytes, GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC),
            staging: res.buffer('predictions read back', bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST),
          };
        });
        // Each batch's outputs lie in acts[last] only until the next batch: copied out between the passes.
        const logits = this.parts.buffers.acts[table.layers.length];
        const encoder = this.device.createCommandEncoder();
        this.parts.recorder.batches(encoder, lists, plan.batches, 0, (b) => {
          const rows = b === plan.batches - 1 ? plan.lastRows : evalRows;
          encoder.copyBufferToBuffer(logits, 0, outputs, b * evalRows * classes * 4, rows * classes * 4);
        });
        return new Float32Array(await this.parts.recorder.readBack(outputs, 0, bytes, { encoder, staging }));
      } finally {
        res.destroy();
      }
    });
  }

  async readParams(): Promise<Float32Array> {
    this.live();
    return this.serial(async () => {
      const raw = await this.parts.recorder.readBack(this.parts.buffers.params, 0, this.parts.plan.table.total * 4);
      return new Float32Array(raw);
    });
  }

  /** Copies of the optimiser's state (one per slot of optimizerSlots, none for plain SGD): one read back per slot. */
  async readOptimizerState(): Promise<Float32Array[]> {
    this.live();
    return this.serial(async () => {
      const slots: Float32Array[] = [];
      for (const buffer of this.parts.buffers.optState) {
        slots.push(new Float32Array(await this.parts.recorder.readBack(buffer, 0, this.parts.plan.table.total * 4)));
      }
      return slots;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ahead = null;
    this.parts.res.destroy();
    this.onDispose();
  }

  private live(): void {
    if (this.disposed) throw new Error('this training session has been disposed');
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => {});
    return run;
  }
}
