/**
 * Models training together on one GPU device, K of them in the same dispatches (K = 1 for a TrainingSession): their
 * set-up (by their plan, inside error scopes) and their calls. Read src/gpu/graph.ts first (the dispatches of one
 * step), then plan.ts (sizes, limits, the step and model tables), buffers.ts, record.ts (dispatches recorded,
 * submitted and read back), then this file.
 */
import {
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
import { startingState } from '../check.js';
import { allocateBuffers, layoutOf, uploadSet } from './buffers.js';
import type { Gpu } from './device.js';
import { type EvalSource, type Layout, type NetBuffers, NetGraph, updateRule } from './graph.js';
import type { Kernels } from './kernels.js';
import type { MatmulChoice } from './matmul-variants.js';
import {
  asModels,
  DEFAULT_EVAL_ROWS,
  type EvalPlan,
  encodeModelTable,
  evalBatchRows,
  evalEntries,
  evalSets,
  evalSlots,
  type ModelConstants,
  makeModelsPlan,
  modelConstants,
  type Plan,
  PREDICTION_FIX,
  predictionPlan,
  SESSION_FIX,
  sessionEntries,
  trainingRows,
} from './plan.js';
import {
  type BatchLists,
  buildBatchLists,
  buildDispatches,
  createModelTable,
  createStepTable,
  type Dispatch,
  type GpuStats,
  type RecordedChunk,
  Recorder,
  Resources,
  scoped,
  type Tables,
} from './record.js';

/** What a session is made of, all made once at set-up. */
interface SessionParts {
  res: Resources;
  plan: Plan;
  buffers: NetBuffers;
  layout: Layout;
  tables: Tables;
  constants: ModelConstants[];
  /** The dispatches of one training step of every model (none for an evaluate-only session). */
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

/** What a single session adds to its one model: its optimiser state, and whether it never trains. */
export interface SingleExtras {
  optimizerStates?: (Float32Array[] | undefined)[];
  evaluateOnly?: boolean;
}

/**
 * K models training on one GPU device, their parameters, data and objects made once at set-up. A chunk of steps is
 * one compute pass of every model, one submit and one read back of their losses. Calls are serialised: they need not
 * await each other.
 */
export class WebGpuModels implements ModelsSession {
  /** Counts of dispatches, passes, submits, read backs and objects made after set-up. */
  readonly stats: GpuStats;
  readonly count: number;
  readonly stepsPerEpoch: readonly number[];
  readonly evalRows: number;
  /** Dispatches recorded per training step of all models together (see NetGraph.trainStep); none when evaluateOnly. */
  readonly dispatchesPerStep: number;
  private readonly device: GPUDevice;
  private readonly stopped: boolean[];
  private firstSteps: number[];
  /** Steps each model's current order covers. */
  private covered: number[];
  /** The training rows of the model table as the GPU has them, and as they must be before the next chunk. */
  private written: Uint8Array<ArrayBuffer>;
  private wanted: Uint8Array<ArrayBuffer>;
  /** The chunk recorded ahead of its call, and the size of the chunk that began the current epoch. */
  private ahead: RecordedChunk | null = null;
  private epochChunk = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private disposed = false;

  private constructor(
    private readonly parts: SessionParts,
    private readonly options: ModelsOptions,
    private readonly onDispose: () => void,
    private readonly prerecord: boolean,
  ) {
    const { plan } = parts;
    this.stats = parts.res.stats;
    this.device = parts.res.device;
    this.count = plan.k;
    this.stepsPerEpoch = plan.models.map((m) => m.stepsPerEpoch);
    this.evalRows = plan.evalRows;
    this.dispatchesPerStep = parts.step.length;
    this.stopped = plan.models.map(() => false);
    this.firstSteps = plan.models.map(() => 0);
    // As create() wrote the table: every step of every model active, as a whole epoch's orders will make it.
    this.covered = plan.models.map((m) => m.stepsPerEpoch);
    this.written = this.trainingTable();
    this.wanted = this.written;
    this.covered = plan.models.map(() => 0);
  }

  /**
   * Plans the models: checks their settings, works out their sizes and checks them against the device's limits, and
   * only then takes their starting parameters (initialising them where given a seed), so models too large for the
   * device are refused before any work; then makes their parts, inside error scopes.
   */
  static async create(
    gpu: Gpu,
    kernels: Kernels,
    options: ModelsOptions,
    tuning: SessionTuning = {},
    extras: SingleExtras = {},
  ): Promise<WebGpuModels> {
    const { matmul = {}, onDispose = () => {}, prerecord = true, evalRows = DEFAULT_EVAL_ROWS } = tuning;
    gpu.check();
    const plan = makeModelsPlan(options, evalRows, gpu.device);
    const { spec, batch, train } = options;
    const starts = options.models.map((model, i) => {
      const optimizerState = extras.optimizerStates?.[i];
      const alone: SessionOptions = { ...model, spec, batch, train, optimizerState };
      return startingState(alone, plan.models[i]);
    });
    const res = new Resources(gpu);
    try {
      const parts = await scoped(gpu.device, 'the model', SESSION_FIX, async (): Promise<SessionParts> => {
        const update = updateRule(plan.models, plan.optimizer);
        const net = { ...spec, dropout: plan.models.some((m) => m.dropout > 0) };
        const buffers = allocateBuffers(res, plan, options, starts, net, update);
        const layout = layoutOf(plan, spec);
        const graph = new NetGraph(plan.table, net, buffers, layout, matmul);
        const constants = modelConstants(plan);
        const steps = plan.models.map((m) => m.stepsPerEpoch);
        const rows = [
          ...trainingRows(plan, { firstSteps: steps.map(() => 0), steps }),
          ...evalSets(plan).flatMap((set) => evalBatchRows(plan, set)),
        ];
        const tables = {
          step: createStepTable(res, sessionEntries(plan)),
          models: createModelTable(res, rows, constants),
        };
        const step = extras.evaluateOnly
          ? []
          : await buildDispatches(res, kernels, graph.trainStep(batch, update), tables, 'train step');
        const evals: SessionParts['evals'] = {};
        for (const set of evalSets(plan)) {
          const source = buffers.evals[set]!;
          const batchOf = (rows: number) => graph.evalBatch(source, rows);
          evals[set] = await buildBatchLists(res, kernels, tables, plan[set]!, batchOf, `${set} eval batch`);
        }
        const k = plan.k;
        const stagingBytes = Math.max(plan.stepsPerEpoch * k * 4, evalSlots(plan) * k * 8, plan.paramStride * k * 4);
        const staging = res.buffer('read back', stagingBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
        const recorder = new Recorder(gpu, res.stats, staging);
        return { res, plan, buffers, layout, tables, constants, step, evals, recorder, kernels, graph };
      });
      res.endSetup();
      return new WebGpuModels(parts, options, onDispose, prerecord);
    } catch (error) {
      res.destroy();
      throw error;
    }
  }

  /** Steps model `model`'s current order covers (0 before its first order). */
  orderSteps(model: number): number {
    return this.covered[model];
  }

  setEpochOrders(orders: readonly Uint32Array[], firstSteps: readonly number[]): void {
    this.live();
    const { plan } = this.parts;
    if (orders.length !== plan.k || firstSteps.length !== plan.k) {
      throw new Error(`setEpochOrders needs an order and a first step for each of the ${plan.k} models`);
    }
    const all = new Uint32Array(plan.k * plan.orderStride);
    orders.forEach((order, i) => {
      const { trainRows, counts } = plan.models[i];
      const rows = counts.train;
      if (order.length > rows) {
        throw new Error(`the epoch order has ${order.length} entries, more than the ${rows} training samples`);
      }
      for (const index of order) {
        if (index >= rows) throw new Error(`epoch order entry ${index} is outside the ${rows} training samples`);
      }
      all.set(trainRows ? Array.from(order, (index) => trainRows[index]) : order, i * plan.orderStride);
      this.covered[i] = Math.min(plan.models[i].stepsPerEpoch, Math.floor(order.length / plan.batch));
    });
    this.firstSteps = firstSteps.slice();
    this.wanted = this.trainingTable();
    // After any call still pending, so the order changes between chunks exactly where the caller said.
    void this.serial(async () => {
      this.device.queue.writeBuffer(this.parts.buffers.order, 0, all);
      this.stats.writes++;
      this.writeTable();
    });
  }

  stop(model: number): void {
    this.live();
    this.stopped[model] = true;
    this.wanted = this.trainingTable();
  }

  async trainSteps(first: number, count: number): Promise<Float64Array> {
    this.live();
    if (this.dispatchesPerStep === 0) refuseTraining({ evaluateOnly: true });
    const { plan } = this.parts;
    if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 1) {
      throw new Error(`trainSteps(${first}, ${count}): need integers, first >= 0, count >= 1`);
    }
    const running = plan.models.map((_, i) => (this.stopped[i] ? 0 : this.covered[i]));
    const steps = Math.min(first + count, Math.max(...running)) - first;
    const losses = new Float64Array(plan.k).fill(NaN);
    if (steps < 1) return losses;
    return this.serial(async () => {
      this.writeTable();
      let chunk = this.ahead;
      this.ahead = null;
      if (!chunk || chunk.first !== first || chunk.count !== steps) {
        const start = performance.now();
        chunk = this.parts.recorder.chunk(this.parts.step, first, steps);
        this.stats.recordMs += performance.now() - start;
      }
      this.stats.computePasses++;
      this.stats.dispatches += chunk.dispatches;
      if (first === 0) this.epochChunk = steps;
      const k = plan.k;
      const raw = await this.parts.recorder.readBack(this.parts.buffers.losses, first * k * 4, steps * k * 4, {
        commands: [chunk.commands],
        afterSubmit: () => this.recordAhead(first, steps),
      });
      const values = new Float32Array(raw);
      for (let i = 0; i < k; i++) {
        const ran = Math.min(first + steps, running[i]) - first;
        if (ran < 1) continue;
        let sum = 0;
        for (let s = 0; s < ran; s++) sum += values[s * k + i];
        losses[i] = sum / ran;
      }
      return losses;
    });
  }

  /**
   * Right after a submit, records the chunk the trainer will ask for next (the following one of the same size, or the
   * first of the next epoch) while the GPU runs, taking recording (microseconds per dispatch) off the critical path.
   * A wrong guess is recorded again when asked for; no chunk depends on the orders, the tables or the parameters.
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

  async evaluate(which: EvalSet = 'test'): Promise<Metrics[]> {
    this.live();
    const { plan, evals, recorder, buffers } = this.parts;
    const setPlan = this.setPlan(which);
    const lists = evals[which]!;
    const { batches, firstSlot } = setPlan;
    const counts = plan.models.map((m) => m.counts[which]);
    if (counts.every((count) => count === 0)) return counts.map(() => ({ loss: NaN, accuracy: NaN }));
    const k = plan.k;
    return this.serial(async () => {
      const encoder = this.device.createCommandEncoder();
      recorder.batches(encoder, lists, batches, plan.stepsPerEpoch + firstSlot);
      const raw = await recorder.readBack(buffers.evalOut, firstSlot * k * 8, batches * k * 8, { encoder });
      const lossSums = new Float32Array(raw);
      const corrects = new Uint32Array(raw);
      return counts.map((count, i) => {
        let loss = 0;
        let correct = 0;
        for (let b = 0; b < batches; b++) {
          loss += lossSums[2 * (b * k + i)];
          correct += corrects[2 * (b * k + i) + 1];
        }
        const accuracy = this.options.spec.task === 'regression' || count === 0 ? NaN : correct / count;
        return { loss: count === 0 ? NaN : loss / count, accuracy };
      });
    });
  }

  /** Each model's last-layer outputs on its rows of one of the session's sets, without dropout. */
  async outputs(which: EvalSet): Promise<Float32Array[]> {
    this.live();
    const { plan } = this.parts;
    const setPlan = this.setPlan(which);
    const counts = plan.models.map((m) => m.counts[which]);
    const source = this.parts.buffers.evals[which]!;
    return this.predictOn(source, setPlan, counts, this.parts.tables, plan.stepsPerEpoch + setPlan.firstSlot);
  }

  /**
   * Every model's last-layer outputs for every sample of `set`, in batches of evalRows without dropout; one submit,
   * one read back. Its set, tables, dispatches and buffers are its own (checked against the device's limits first),
   * all destroyed before it returns.
   */
  async predict(set: Dataset): Promise<Float32Array[]> {
    this.live();
    const { plan, buffers } = this.parts;
    const prediction = predictionPlan(plan, this.options.spec, set, this.device);
    if (!prediction) return plan.models.map(() => new Float32Array(0));
    // The session's own sets are on the GPU already (eval predicts its test set).
    const own =
      set === this.options.train
        ? buffers.train
        : set === this.options.test
          ? buffers.evals.test?.data
          : set === this.options.val && !buffers.evals.val?.rows
            ? buffers.evals.val?.data
            : undefined;
    return this.predictOn(
      own ?? set,
      prediction,
      plan.models.map(() => set.count),
      null,
      0,
    );
  }

  /**
   * The outputs of `source` (a set uploaded here when not on the GPU yet), batch b at step-table entry firstEntry + b
   * of `given` (the session's tables), or of tables made for it (every model active).
   */
  private predictOn(
    source: EvalSource | NetBuffers['train'] | Dataset,
    setPlan: EvalPlan,
    counts: number[],
    given: Tables | null,
    firstEntry: number,
  ): Promise<Float32Array[]> {
    const { plan, kernels, graph, layout, constants } = this.parts;
    const classes = plan.table.layers[plan.table.layers.length - 1].outSize;
    const most = Math.max(...counts);
    const bytes = plan.k * most * classes * 4;
    return this.serial(async () => {
      const res = new Resources(this.parts.res.gpu);
      try {
        const { lists, outputs, staging } = await scoped(this.device, 'the prediction', PREDICTION_FIX, async () => {
          const data: EvalSource =
            'count' in source
              ? { data: uploadSet(res, 'predict', source, this.options.spec) }
              : 'data' in source
                ? source
                : { data: source };
          const tables = given ?? {
            step: createStepTable(res, evalEntries(setPlan)),
            models: createModelTable(
              res,
              Array.from({ length: setPlan.batches }, () => plan.models.map(() => ({}))),
              constants,
            ),
          };
          const batch = (rows: number) => graph.predictBatch(data, rows);
          return {
            lists: await buildBatchLists(res, kernels, tables, setPlan, batch, 'predict batch'),
            outputs: res.buffer('predictions', bytes, GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC),
            staging: res.buffer('predictions read back', bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST),
          };
        });
        // Each batch's outputs lie in acts[last] only until the next batch: copied out between the passes.
        const last = plan.table.layers.length;
        const logits = this.parts.buffers.acts[last];
        const encoder = this.device.createCommandEncoder();
        const { rows } = setPlan;
        this.parts.recorder.batches(encoder, lists, setPlan.batches, firstEntry, (b) => {
          counts.forEach((count, i) => {
            const own = Math.min(rows, count - b * rows);
            if (own <= 0) return;
            const from = i * layout.acts[last] * 4;
            const to = (i * most + b * rows) * classes * 4;
            encoder.copyBufferToBuffer(logits, from, outputs, to, own * classes * 4);
          });
        });
        const all = new Float32Array(await this.parts.recorder.readBack(outputs, 0, bytes, { encoder, staging }));
        return counts.map((count, i) => all.slice(i * most * classes, (i * most + count) * classes));
      } finally {
        res.destroy();
      }
    });
  }

  async readParams(): Promise<Float32Array[]> {
    this.live();
    return this.serial(async () => this.readStacked(this.parts.buffers.params));
  }

  /** Each model's optimiser state, one array per slot of its own optimiser: one read back per slot any model keeps. */
  async readOptimizerState(): Promise<Float32Array[][]> {
    this.live();
    const { plan, buffers } = this.parts;
    return this.serial(async () => {
      const slots: Float32Array[][] = [];
      for (const buffer of buffers.optState) slots.push(await this.readStacked(buffer));
      return plan.models.map((m, i) => m.slots.map((slot) => slots[plan.slots.indexOf(slot)][i]));
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ahead = null;
    this.parts.res.destroy();
    this.onDispose();
  }

  /** A stacked buffer read back and cut into each model's parameter-sized array. */
  private async readStacked(buffer: GPUBuffer): Promise<Float32Array[]> {
    const { plan } = this.parts;
    const raw = await this.parts.recorder.readBack(buffer, 0, plan.k * plan.paramStride * 4);
    return plan.models.map((_, i) => new Float32Array(raw, i * plan.paramStride * 4, plan.table.total).slice());
  }

  /** The training rows of the model table for the current orders, first steps and stopped models, encoded. */
  private trainingTable(): Uint8Array<ArrayBuffer> {
    const { plan, constants } = this.parts;
    const steps = plan.models.map((_, i) => (this.stopped[i] ? 0 : this.covered[i]));
    return new Uint8Array(encodeModelTable(trainingRows(plan, { firstSteps: this.firstSteps, steps }), constants));
  }

  /** Writes the training rows of the model table where they changed (inside a serialised call). */
  private writeTable(): void {
    const wanted = this.wanted;
    if (wanted.length === this.written.length && wanted.every((byte, i) => byte === this.written[i])) return;
    this.device.queue.writeBuffer(this.parts.tables.models, 0, wanted);
    this.stats.writes++;
    this.written = wanted;
  }

  private setPlan(which: EvalSet): EvalPlan {
    const setPlan = this.parts.plan[which];
    if (!setPlan || !this.parts.evals[which]) {
      throw new Error(`evaluate("${which}") on a session without ${SET_NAMES[which]}`);
    }
    return setPlan;
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

/** A model training alone on one GPU device: the models session of one. */
export class WebGpuSession implements TrainingSession {
  readonly stats: GpuStats;
  readonly stepsPerEpoch: number;
  readonly evalRows: number;
  /** Dispatches recorded per training step (see NetGraph.trainStep); none when evaluateOnly. */
  readonly dispatchesPerStep: number;

  private constructor(
    private readonly models: WebGpuModels,
    private readonly options: SessionOptions,
  ) {
    this.stats = models.stats;
    this.stepsPerEpoch = models.stepsPerEpoch[0];
    this.evalRows = models.evalRows;
    this.dispatchesPerStep = models.dispatchesPerStep;
  }

  /** Plans and makes the session as WebGpuModels.create makes one model. */
  static async create(
    gpu: Gpu,
    kernels: Kernels,
    options: SessionOptions,
    tuning: SessionTuning = {},
  ): Promise<WebGpuSession> {
    const models = asModels(options);
    models.models[0].params = options.params;
    const extras = { optimizerStates: [options.optimizerState], evaluateOnly: options.evaluateOnly };
    return new WebGpuSession(await WebGpuModels.create(gpu, kernels, models, tuning, extras), options);
  }

  setEpochOrder(order: Uint32Array, firstStep = 0): void {
    refuseTraining(this.options);
    this.models.setEpochOrders([order], [firstStep]);
  }

  async trainSteps(first: number, count: number): Promise<number> {
    refuseTraining(this.options);
    const covered = this.models.orderSteps(0);
    if (Number.isInteger(first) && Number.isInteger(count) && first + count > covered) {
      throw new Error(
        `steps ${first}..${first + count - 1} need an epoch order ` +
          `of at least ${(first + count) * this.options.batch} samples; ` +
          `the current one covers ${covered} steps (call setEpochOrder first)`,
      );
    }
    return (await this.models.trainSteps(first, count))[0];
  }

  async evaluate(which: EvalSet = 'test'): Promise<Metrics> {
    return (await this.models.evaluate(which))[0];
  }

  async predict(set: Dataset): Promise<Float32Array> {
    return (await this.models.predict(set))[0];
  }

  async readParams(): Promise<Float32Array> {
    return (await this.models.readParams())[0];
  }

  async readOptimizerState(): Promise<Float32Array[]> {
    return (await this.models.readOptimizerState())[0];
  }

  dispose(): void {
    this.models.dispose();
  }
}
