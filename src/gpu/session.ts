/**
 * Models training together on one GPU device, K of them in the same dispatches: their set-up (by their plan, inside
 * error scopes) and their calls. Read src/gpu/graph.ts first (the dispatches of one step), then plan.ts (sizes,
 * limits), tables.ts (the step and model tables), buffers.ts, record.ts (dispatches recorded, submitted and read
 * back), then this file; predict.ts (outputs on a set) and single-session.ts (a TrainingSession: K = 1) use it.
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
} from '../backend.js';
import { startingState } from '../check.js';
import { labelWidth } from '../model/spec.js';
import { allocateBuffers, layoutOf } from './buffers.js';
import type { Gpu } from './device.js';
import { NetGraph, updateRule } from './graph.js';
import type { Kernels } from './kernels.js';
import type { MatmulChoice } from './matmul-variants.js';
import { DEFAULT_EVAL_ROWS, type EvalPlan, evalSlots, makeModelsPlan, predictionPlan, setupFailure } from './plan.js';
import { type PredictionParts, predictOutputs } from './predict.js';
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
import { DataWindow, inSlices } from './stream.js';
import { encodeModelTable, evalBatchRows, evalSets, modelConstants, sessionEntries, trainingRows } from './tables.js';

/** What a session is made of, all made once at set-up. */
interface SessionParts extends PredictionParts {
  tables: Tables;
  /** The dispatches of one training step of every model (none for an evaluate-only session). */
  step: Dispatch[];
  /** The dispatches of each set's evaluation batches. */
  evals: Partial<Record<EvalSet, BatchLists>>;
  /** Where the data sets are streamed (plan.stream): the window their rows are copied into. */
  window?: DataWindow;
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
  /** The most bytes of one shard of a data set, below the device's binding limit (tests, pages with odd limits). */
  dataShardBytes?: number;
  /**
   * The most bytes a session's data sets may take on the device (default: no limit). Sets larger than that together
   * are streamed: kept on the host, their rows copied into a window of this size before the steps that read them.
   */
  gpuDataBytes?: number;
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
  /** The training rows of the model table as the GPU has them, and as the calls so far want them. */
  private written: Uint8Array<ArrayBuffer>;
  private wanted: Uint8Array<ArrayBuffer>;
  /** The chunk recorded ahead of its call, and the size of the chunk that began the current epoch. */
  private ahead: RecordedChunk | null = null;
  /** Each model's epoch order [K, orderStride] as rows of the training set, where the data is streamed. */
  private orders = new Uint32Array(0);
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
    const limits = { shardBytes: tuning.dataShardBytes, residentBytes: tuning.gpuDataBytes };
    const plan = makeModelsPlan(options, evalRows, gpu.device, limits, extras.evaluateOnly);
    const { spec, batch, train } = options;
    const starts = options.models.map((model, i) => {
      const optimizerState = extras.optimizerStates?.[i];
      const alone: SessionOptions = { ...model, spec, batch, train, optimizerState };
      return startingState(alone, plan.models[i]);
    });
    const res = new Resources(gpu);
    try {
      const [what, fix] = setupFailure(plan);
      const parts = await scoped(gpu.device, what, fix, async (): Promise<SessionParts> => {
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
        const window = plan.stream && new DataWindow(gpu.device, plan, options, buffers.train.shards[0], res.stats);
        return { res, plan, buffers, layout, tables, constants, step, evals, recorder, kernels, graph, window };
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
    const table = (this.wanted = this.trainingTable());
    // After any call still pending, so the orders change between chunks exactly where the caller said.
    void this.serial(async () => {
      if (this.parts.window) this.orders = all;
      else {
        this.device.queue.writeBuffer(this.parts.buffers.order, 0, all);
        this.stats.writes++;
      }
      this.writeTable(table);
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
    const table = this.wanted; // the models stopped by now, whatever is called before this runs
    return this.serial(async () => {
      this.writeTable(table);
      const { window, recorder, step } = this.parts;
      const end = first + steps;
      // Streamed, each window of steps is submitted on its own after its rows, the last one below.
      let at = first;
      for (let next = window?.stepsEnd(at, end) ?? end; next < end; at = next, next = window!.stepsEnd(at, end)) {
        window!.fillSteps(this.orders, running, at, next);
        const piece = recorder.chunk(step, at, next - at);
        this.device.queue.submit([piece.commands]);
        this.stats.submits++;
        this.stats.computePasses++;
        this.stats.dispatches += piece.dispatches;
      }
      window?.fillSteps(this.orders, running, at, end);
      let chunk = this.ahead;
      this.ahead = null;
      if (!chunk || chunk.first !== at || chunk.count !== end - at) {
        const start = performance.now();
        chunk = recorder.chunk(step, at, end - at);
        this.stats.recordMs += performance.now() - start;
      }
      this.stats.computePasses++;
      this.stats.dispatches += chunk.dispatches;
      if (first === 0) this.epochChunk = steps;
      const k = plan.k;
      const raw = await recorder.readBack(this.parts.buffers.losses, first * k * 4, steps * k * 4, {
        commands: [chunk.commands],
        afterSubmit: () => this.recordAhead(first, steps),
        work: { kind: 'train', units: steps },
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
    if (!this.prerecord || this.disposed || this.parts.window) return;
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
    const { plan, evals, recorder, buffers, window } = this.parts;
    const setPlan = this.setPlan(which);
    const lists = evals[which]!;
    const { batches, firstSlot } = setPlan;
    const counts = plan.models.map((m) => m.counts[which]);
    if (counts.every((count) => count === 0)) return counts.map(() => ({ loss: NaN, accuracy: NaN }));
    const k = plan.k;
    const fill = window && ((from: number, to: number) => window.fillBatches(which, from, to));
    return this.serial(async () => {
      const encoder = recorder.inGroups(setPlan, fill, (encoder, from, to) =>
        recorder.batches(encoder, lists, batches, plan.stepsPerEpoch + firstSlot, undefined, [from, to]),
      );
      const work = { kind: `evaluate ${which}`, units: batches };
      const raw = await recorder.readBack(buffers.evalOut, firstSlot * k * 8, batches * k * 8, { encoder, work });
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
    const first = plan.stepsPerEpoch + setPlan.firstSlot;
    const { spec } = this.options;
    const { tables, window } = this.parts;
    const fill = window && ((from: number, to: number) => window.fillBatches(which, from, to));
    return this.serial(() => predictOutputs(this.parts, spec, source, setPlan, counts, tables, first, fill));
  }

  /**
   * Every model's last-layer outputs for every sample of `set`, in batches of evalRows without dropout; one submit,
   * one read back. Its set, tables, dispatches and buffers are its own (checked against the device's limits first),
   * all destroyed before it returns. Where the data is streamed, a set larger than the window is predicted a window's
   * rows at a time.
   */
  async predict(set: Dataset): Promise<Float32Array[]> {
    this.live();
    const slice = this.parts.plan.stream?.rows;
    const width = labelWidth(this.options.spec);
    return slice ? inSlices(set, slice, width, (part) => this.predictWhole(part)) : this.predictWhole(set);
  }

  private async predictWhole(set: Dataset): Promise<Float32Array[]> {
    const { plan, buffers } = this.parts;
    const prediction = predictionPlan(plan, this.options.spec, set, this.device);
    if (!prediction) return plan.models.map(() => new Float32Array(0));
    // The session's own sets are on the GPU already (eval predicts its test set), unless they are streamed.
    const own = plan.stream
      ? undefined
      : set === this.options.train
        ? buffers.train
        : set === this.options.test
          ? buffers.evals.test?.data
          : set === this.options.val && !buffers.evals.val?.rows
            ? buffers.evals.val?.data
            : undefined;
    const counts = plan.models.map(() => set.count);
    return this.serial(() => predictOutputs(this.parts, this.options.spec, own ?? set, prediction, counts, null, 0));
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

  /** Writes the training rows of the model table if they changed (inside a serialised call). */
  private writeTable(wanted: Uint8Array<ArrayBuffer>): void {
    if (wanted.length === this.written.length && wanted.every((byte, i) => byte === this.written[i])) return;
    this.device.queue.writeBuffer(this.parts.tables.models, 0, wanted);
    this.stats.writes++;
    this.written = wanted;
  }

  private setPlan(which: EvalSet): EvalPlan {
    const { plan } = this.parts;
    const setPlan = plan[which];
    const own = plan.models.filter((m) => m.valRows).length;
    if (which === 'val' && this.options.val && own > 0 && own < plan.k) {
      throw new Error('models trained together are scored on "val" each on its valRows, or all on the validation set');
    }
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
