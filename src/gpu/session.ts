import { refuseTraining, type Dataset, type EvalSet, type Metrics, type SessionOptions, type SessionSizes, type TrainingSession } from '../backend.js';
import { checkInputs } from '../check.js';
import { UserError, type Field, type Wording } from '../errors.js';
import { optimizerSlots, PLAIN_SGD } from '../model/optimizer.js';
import type { ParamTable } from '../model/params.js';
import { learningRateAt } from '../model/schedule.js';
import type { Gpu } from './device.js';
import {
  evalBatch, fusedRelu, predictBatch, trainStep, updateRule, type DataBuffers, type NetBuffers, type NetConfig,
} from './graph.js';
import type { MatmulChoice } from './matmul.js';
import { matmulGroupsAlong, normalisationTable, optimizerStepValues, type Kernels } from './kernels.js';
import {
  buildDispatches, createStepTable, emptyStats, encodeStepTable, record, Resources, uniformStride,
  type Dispatch, type GpuStats, type StepEntry,
} from './program.js';

/** Test rows per evaluation batch when none is asked for: few dispatches for MNIST's 10,000, small activations. */
export const DEFAULT_EVAL_ROWS = 1024;

export interface SessionTuning {
  /** One matmul tile or mode for every matmul instead of the one picked by shape (the benchmark's comparisons). */
  matmul?: MatmulChoice;
  /** Called once when the session is disposed. */
  onDispose?: () => void;
  /** Record the next chunk while the GPU runs this one (default true; off only to measure what it saves). */
  prerecord?: boolean;
}

/** A chunk of training steps recorded into a finished command buffer, ready to submit. */
interface RecordedChunk {
  first: number;
  count: number;
  commands: GPUCommandBuffer;
  dispatches: number;
}

/** How a labelled set is evaluated (or predicted): in batches of evalRows rows. */
interface EvalPlan {
  count: number;
  batches: number;
  /** Rows of the final batch: a set need not be a multiple of evalRows. */
  lastRows: number;
  /** The slot of its first batch in evalOut; batch b reads step-table entry stepsPerEpoch + firstSlot + b. */
  firstSlot: number;
}

/** The GPU's layout of a session, worked out (and checked against the device) before anything is allocated. */
export interface Plan {
  table: ParamTable;
  stepsPerEpoch: number;
  evalRows: number;
  test: EvalPlan;
  val?: EvalPlan;
  /** Rows the activation buffers hold: the larger of the batch and the evaluation batch. */
  maxRows: number;
}

/** A set's evaluation dispatches: a batch of evalRows rows, and the final batch of lastRows. */
interface EvalDispatches {
  full: Dispatch[];
  last: Dispatch[];
}

/**
 * A model training on one GPU device. Parameters, gradients, activations, the data sets (as bytes) and the epoch
 * order live in GPU buffers for the whole session; pipelines, buffers, uniforms and bind groups are made once, here.
 * A chunk of steps is recorded into one compute pass of one command encoder, submitted once, and its losses read
 * back once. Calls are serialised, so they may be issued without awaiting each other.
 */
export class WebGpuSession implements TrainingSession {
  /** Counts of dispatches, passes, submits, read backs and objects made after set-up. */
  readonly stats: GpuStats;
  readonly stepsPerEpoch: number;
  readonly evalRows: number;
  /** Dispatches recorded per training step: 3 · layers + 1 with fused ReLU and the fused SGD update; 2 more per
   * hidden layer for another activation or dropout, 1 more for an optimiser's dispatch; none when evaluateOnly. */
  readonly dispatchesPerStep: number;
  private readonly device: GPUDevice;
  private readonly stride: number;
  private orderSteps = 0;
  /** The run step that the step table's training entries start at. */
  private tableFirstStep = 0;
  /** The chunk recorded ahead of its call, and the size of the chunk that began the current epoch. */
  private ahead: RecordedChunk | null = null;
  private epochChunk = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private disposed = false;

  private constructor(
    private readonly gpu: Gpu,
    private readonly res: Resources,
    private readonly plan: Plan,
    private readonly options: SessionOptions,
    private readonly buffers: NetBuffers,
    private readonly staging: GPUBuffer,
    private readonly stepTable: GPUBuffer,
    private readonly step: Dispatch[],
    private readonly evals: { test: EvalDispatches; val?: EvalDispatches },
    private readonly onDispose: () => void,
    private readonly prerecord: boolean,
    /** What predict() builds its own dispatches with. */
    private readonly kernels: Kernels,
    private readonly net: NetConfig,
    private readonly matmul: MatmulChoice,
  ) {
    this.stats = res.stats;
    this.device = gpu.device;
    this.stride = uniformStride(gpu.device);
    this.stepsPerEpoch = plan.stepsPerEpoch;
    this.evalRows = plan.evalRows;
    this.dispatchesPerStep = step.length;
  }

  /** `plan` is makePlan's for these options, whose parameters and optimiser state checkState has checked. */
  static async create(gpu: Gpu, kernels: Kernels, options: SessionOptions, plan: Plan, tuning: SessionTuning = {}): Promise<WebGpuSession> {
    const { device } = gpu;
    const { matmul = {}, onDispose = () => {}, prerecord = true } = tuning;
    const { table, stepsPerEpoch, maxRows } = plan;
    const { spec, train, test, val } = options;
    const net: NetConfig = { activation: spec.activation, loss: spec.loss, dropout: options.dropout };
    const evalSlots = plan.test.batches + (plan.val?.batches ?? 0);
    const res = new Resources(device);
    const S = GPUBufferUsage.STORAGE;
    let session: WebGpuSession;
    try {
      session = await scoped(device, 'the model', smallerLayersOrBatch, async () => {
        const floats = (rows: number, width: number) => rows * width * 4;
        const update = updateRule(options.optimizer ?? PLAIN_SGD, options.schedule ?? { name: 'constant' }, options.learningRate);
        const deltas: GPUBuffer[] = []; // deltas[0] would be the input's gradient, which nothing needs
        for (let l = 1; l < spec.layers.length; l++) deltas[l] = res.buffer(`delta ${l}`, floats(maxRows, spec.layers[l]), S);
        const pre: GPUBuffer[] = []; // hidden layers only, and only for the activation kernel
        if (!fusedRelu(net, true)) {
          for (let l = 1; l + 1 < spec.layers.length; l++) pre[l] = res.buffer(`pre ${l}`, floats(maxRows, spec.layers[l]), S);
        }
        const trainData = upload(res, 'train', train);
        const buffers: NetBuffers = {
          params: res.buffer('params', table.total * 4, S | GPUBufferUsage.COPY_SRC, options.params),
          grads: update.kind === 'optimizer' ? res.buffer('grads', table.total * 4, S) : undefined,
          optState: optimizerStateBuffers(res, options, table.total),
          // The last layer's outputs are copied out by predict().
          acts: spec.layers.map((width, l) => res.buffer(`acts ${l}`, floats(maxRows, width),
            l === spec.layers.length - 1 ? S | GPUBufferUsage.COPY_SRC : S)),
          pre,
          deltas,
          batchLabels: res.buffer('batch labels', maxRows * 4, S),
          losses: res.buffer('losses', stepsPerEpoch * 4, S | GPUBufferUsage.COPY_SRC),
          evalOut: res.buffer('eval results', evalSlots * 8, S | GPUBufferUsage.COPY_SRC),
          order: res.buffer('epoch order', train.count * 4, S | GPUBufferUsage.COPY_DST),
          lut: res.buffer('normalisation', 256 * 4, S, normalisationTable(spec.inputMean, spec.inputStd)),
          train: trainData,
          test: test === train ? trainData : upload(res, 'test', test), // one copy when eval passes one set as both
          val: val && upload(res, 'val', val),
        };
        // Entries 0 .. steps-1: training step s starts at s·batch, loss slot s. Then one per evaluation batch, of the
        // test set and then of the validation set.
        const stepTable = createStepTable(res, [
          ...trainingEntries(options, stepsPerEpoch, 0),
          ...evalEntries(plan.test, plan.evalRows),
          ...(plan.val ? evalEntries(plan.val, plan.evalRows) : []),
        ]);
        const build = (specs: Parameters<typeof buildDispatches>[2], label: string) =>
          buildDispatches(res, kernels, specs, stepTable, label);
        const step = options.evaluateOnly ? [] : await build(trainStep(table, net, buffers, options.batch, update, matmul), 'train step');
        const evalLists = async (set: DataBuffers, { lastRows }: EvalPlan, name: string): Promise<EvalDispatches> => {
          const full = await build(evalBatch(table, net, buffers, set, plan.evalRows, matmul), `${name} eval batch`);
          const last = lastRows === plan.evalRows
            ? full
            : await build(evalBatch(table, net, buffers, set, lastRows, matmul), `last ${name} eval batch`);
          return { full, last };
        };
        const evals = {
          test: await evalLists(buffers.test, plan.test, 'test'),
          val: buffers.val && plan.val ? await evalLists(buffers.val, plan.val, 'val') : undefined,
        };
        const stagingBytes = Math.max(stepsPerEpoch * 4, evalSlots * 8, table.total * 4);
        const staging = res.buffer('read back', stagingBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
        return new WebGpuSession(gpu, res, plan, options, buffers, staging, stepTable, step, evals, onDispose, prerecord,
          kernels, net, matmul);
      });
    } catch (error) {
      res.destroy();
      throw error;
    }
    res.endSetup();
    return session;
  }

  setEpochOrder(order: Uint32Array, firstStep = 0): void {
    this.live();
    refuseTraining(this.options);
    const { batch, train } = this.options;
    if (order.length > train.count) {
      throw new Error(`the epoch order has ${order.length} entries, more than the ${train.count} training samples`);
    }
    for (const index of order) {
      if (index >= train.count) throw new Error(`epoch order entry ${index} is outside the ${train.count} training samples`);
    }
    // After any call still pending, so the order changes between chunks exactly where the caller said.
    const copy = order.slice();
    // The run-dependent fields of the step table follow the epoch's first step, when a kernel reads them.
    const table = runDependent(this.options) && firstStep !== this.tableFirstStep
      ? encodeStepTable(trainingEntries(this.options, this.plan.stepsPerEpoch, firstStep), this.stride)
      : null;
    this.tableFirstStep = firstStep;
    void this.serial(async () => {
      this.device.queue.writeBuffer(this.buffers.order, 0, copy);
      this.stats.writes++;
      if (table) {
        this.device.queue.writeBuffer(this.stepTable, 0, table);
        this.stats.writes++;
      }
    });
    this.orderSteps = Math.min(this.plan.stepsPerEpoch, Math.floor(order.length / batch));
  }

  async trainSteps(first: number, count: number): Promise<number> {
    this.live();
    refuseTraining(this.options);
    if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 1) {
      throw new Error(`trainSteps(${first}, ${count}): need integers, first >= 0, count >= 1`);
    }
    if (first + count > this.orderSteps) {
      throw new Error(`steps ${first}..${first + count - 1} need an epoch order of at least ${(first + count) * this.options.batch} samples; ` +
        `the current one covers ${this.orderSteps} steps (call setEpochOrder first)`);
    }
    return this.serial(async () => {
      let chunk = this.ahead;
      this.ahead = null;
      if (!chunk || chunk.first !== first || chunk.count !== count) {
        const start = performance.now();
        chunk = this.recordChunk(first, count);
        this.stats.recordMs += performance.now() - start;
      }
      this.stats.computePasses++;
      this.stats.dispatches += chunk.dispatches;
      if (first === 0) this.epochChunk = count;
      const raw = await this.readBack(this.buffers.losses, first * 4, count * 4, [chunk.commands], () => this.recordAhead(first, count));
      let sum = 0;
      for (const loss of new Float32Array(raw)) sum += loss;
      return sum / count;
    });
  }

  /** Steps first .. first+count-1 in one compute pass of one finished command buffer; nothing is created but it. */
  private recordChunk(first: number, count: number): RecordedChunk {
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const counted = emptyStats();
    for (let s = first; s < first + count; s++) record(pass, this.step, s, this.stride, counted);
    pass.end();
    return { first, count, commands: encoder.finish(), dispatches: counted.dispatches };
  }

  /**
   * Called right after a chunk is submitted: records the chunk the trainer asks for next (the following one of the
   * same size, or the first of the next epoch) while the GPU runs this one, so that recording, which costs the CPU
   * a few microseconds per dispatch, is off the critical path. A guess that misses is recorded again when asked for.
   * Recording reads nothing that changes between chunks: the epoch order and the parameters are read by the GPU.
   */
  private recordAhead(first: number, count: number): void {
    if (!this.prerecord || this.disposed) return;
    const steps = this.plan.stepsPerEpoch;
    const next = first + count;
    const start = performance.now();
    this.ahead = next < steps
      ? this.recordChunk(next, Math.min(count, steps - next))
      : this.recordChunk(0, Math.min(this.epochChunk || count, steps));
    this.stats.prerecordMs += performance.now() - start;
  }

  async evaluate(which: EvalSet = 'test'): Promise<Metrics> {
    this.live();
    const plan = which === 'val' ? this.plan.val : this.plan.test;
    const lists = which === 'val' ? this.evals.val : this.evals.test;
    if (!plan || !lists) throw new Error('evaluate("val") on a session without a validation set');
    const { count, batches, firstSlot } = plan;
    if (count === 0) return { loss: NaN, accuracy: NaN };
    return this.serial(async () => {
      const encoder = this.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      this.stats.computePasses++;
      for (let b = 0; b < batches; b++) {
        const dispatches = b === batches - 1 ? lists.last : lists.full;
        record(pass, dispatches, this.plan.stepsPerEpoch + firstSlot + b, this.stride, this.stats);
      }
      pass.end();
      const raw = await this.readBack(this.buffers.evalOut, firstSlot * 8, batches * 8, [], undefined, encoder);
      const lossSums = new Float32Array(raw);
      const corrects = new Uint32Array(raw);
      let loss = 0;
      let correct = 0;
      for (let b = 0; b < batches; b++) {
        loss += lossSums[2 * b];
        correct += corrects[2 * b + 1];
      }
      return { loss: loss / count, accuracy: correct / count };
    });
  }

  /**
   * The last layer's outputs for every sample of `set`, in batches of evalRows through the evaluation's forward
   * pass (no dropout), each batch's outputs copied out after its pass; one submit, one read back. This is outside
   * training, so it uploads the set and makes its own step table, dispatches and read-back buffers, all destroyed
   * before it returns; their sizes are checked against the device's limits first.
   */
  async predict(set: Dataset): Promise<Float32Array> {
    this.live();
    const { table, evalRows } = this.plan;
    const classes = table.layers[table.layers.length - 1].outSize;
    checkInputs(this.options.spec, set, 'prediction');
    const bytes = set.count * classes * 4;
    if (set.count === 0) return new Float32Array(0);
    const plan = evalPlan(set.count, evalRows, 0);
    const fix: Wording = () => 'predict fewer images at once';
    checkStorage(this.device, [
      ['the images to predict', set.count * set.features, fix],
      ['the predictions', bytes, fix],
      ["the prediction's step table", plan.batches * this.stride, fix],
    ]);
    return this.serial(async () => {
      const res = new Resources(this.device);
      try {
        const { lists, outputs, staging } = await scoped(this.device, 'the prediction', fix, async () => {
          // The session's own sets are on the GPU already (eval predicts its test set).
          const data = (set === this.options.test && this.buffers.test)
            || (set === this.options.val && this.buffers.val) || upload(res, 'predict', set);
          const stepTable = createStepTable(res, evalEntries(plan, evalRows));
          const build = (rows: number) => buildDispatches(res, this.kernels,
            predictBatch(table, this.net, this.buffers, data, rows, this.matmul), stepTable, 'predict batch');
          const full = await build(evalRows);
          return {
            lists: { full, last: plan.lastRows === evalRows ? full : await build(plan.lastRows) },
            outputs: res.buffer('predictions', bytes, GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC),
            staging: res.buffer('predictions read back', bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST),
          };
        });
        // The last layer's outputs of each batch lie in acts[last] only until the next batch: copy them out between
        // the batches' passes.
        const logits = this.buffers.acts[table.layers.length];
        const encoder = this.device.createCommandEncoder();
        for (let b = 0; b < plan.batches; b++) {
          const last = b === plan.batches - 1;
          const pass = encoder.beginComputePass();
          record(pass, last ? lists.last : lists.full, b, this.stride, this.stats);
          pass.end();
          this.stats.computePasses++;
          const rows = last ? plan.lastRows : evalRows;
          encoder.copyBufferToBuffer(logits, 0, outputs, b * evalRows * classes * 4, rows * classes * 4);
        }
        return new Float32Array(await this.readBack(outputs, 0, bytes, [], undefined, encoder, staging));
      } finally {
        res.destroy();
      }
    });
  }

  async readParams(): Promise<Float32Array> {
    this.live();
    return this.serial(async () => {
      const raw = await this.readBack(this.buffers.params, 0, this.plan.table.total * 4);
      return new Float32Array(raw);
    });
  }

  /** Copies of the optimiser's state (one per slot of optimizerSlots, none for plain SGD): one read back per slot. */
  async readOptimizerState(): Promise<Float32Array[]> {
    this.live();
    return this.serial(async () => {
      const slots: Float32Array[] = [];
      for (const buffer of this.buffers.optState) {
        slots.push(new Float32Array(await this.readBack(buffer, 0, this.plan.table.total * 4)));
      }
      return slots;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ahead = null;
    this.res.destroy();
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

  /**
   * Submits `commands` and then a copy of `bytes` of `source` to the staging buffer (appended to `encoder`), all in
   * one submit; calls `afterSubmit` while the GPU works; returns the bytes.
   */
  private async readBack(
    source: GPUBuffer, offset: number, bytes: number, commands: GPUCommandBuffer[] = [], afterSubmit?: () => void,
    encoder = this.device.createCommandEncoder(), staging = this.staging,
  ): Promise<ArrayBuffer> {
    encoder.copyBufferToBuffer(source, offset, staging, 0, bytes);
    this.device.pushErrorScope('validation');
    this.device.queue.submit([...commands, encoder.finish()]);
    this.stats.submits++;
    const invalid = this.device.popErrorScope();
    const mapped = staging.mapAsync(GPUMapMode.READ, 0, bytes).then(() => null, (error: Error) => error);
    this.stats.readBacks++;
    afterSubmit?.();
    const [error, mapError] = await Promise.all([invalid, mapped]);
    const copy = mapError ? null : staging.getMappedRange(0, bytes).slice(0);
    if (!mapError) staging.unmap();
    this.gpu.check();
    if (error) throw new Error(`WebGPU validation error: ${error.message}`);
    if (!copy) throw mapError;
    return copy;
  }
}

/**
 * The step table's entries for the training steps of an epoch whose step 0 is run step `firstStep`: step s reads
 * the order from s · batch, writes loss slot s, and runs at the scheduled rate of run step firstStep + s, with that
 * step's optimiser values (Adam's bias corrections).
 */
function trainingEntries(options: SessionOptions, stepsPerEpoch: number, firstStep: number): StepEntry[] {
  const schedule = options.schedule ?? { name: 'constant' };
  const optimizer = options.optimizer ?? PLAIN_SGD;
  return Array.from({ length: stepsPerEpoch }, (_, s) => {
    const run = firstStep + s;
    const lr = learningRateAt(options.learningRate, schedule, run);
    return { start: s * options.batch, slot: s, run, lr, opt: optimizerStepValues(optimizer, lr, run) };
  });
}

/**
 * One buffer per slot of the optimiser's state, from options.optimizerState (a resumed run) or zeros (WebGPU
 * buffers start zeroed).
 */
function optimizerStateBuffers(res: Resources, options: SessionOptions, total: number): GPUBuffer[] {
  const given = options.optimizerState ?? [];
  return optimizerSlots((options.optimizer ?? PLAIN_SGD).name).map((slot, i) =>
    res.buffer(`optimizer ${slot}`, total * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, given[i]));
}

/** Whether any kernel reads the step table's run-dependent fields (else they are written once, at set-up). */
function runDependent(options: SessionOptions): boolean {
  return (options.schedule !== undefined && options.schedule.name !== 'constant')
    || (options.optimizer !== undefined && options.optimizer.name !== 'sgd')
    || (options.dropout?.rate ?? 0) > 0;
}

function upload(res: Resources, name: string, set: Dataset): { pixels: GPUBuffer; labels: GPUBuffer } {
  return {
    pixels: res.buffer(`${name} pixels`, set.count * set.features, GPUBufferUsage.STORAGE,
      set.pixels.subarray(0, set.count * set.features)),
    labels: res.buffer(`${name} labels`, set.count, GPUBufferUsage.STORAGE, set.labels.subarray(0, set.count)),
  };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

const smallerLayersOrBatch: Wording = (n) => `use smaller layers or a smaller ${n('batch')}`;

/**
 * The GPU's layout of a session whose settings checkSession has checked (`sizes`): its evaluation batches and the
 * rows its activations hold, checked against the device's limits; every limit exceeded is a UserError naming it.
 * Needs no parameters, so a model too large for the device is refused before anything is allocated.
 */
export function makePlan(sizes: SessionSizes, evalRowsWanted: number, device: GPUDevice): Plan {
  const { table, stepsPerEpoch, settings: { spec, batch, train, test, val } } = sizes;
  const features = spec.layers[0];
  const evalRows = Math.max(1, Math.min(evalRowsWanted, Math.max(test.count, val?.count ?? 0)));
  const testPlan = evalPlan(test.count, evalRows, 0);
  const valPlan = val && evalPlan(val.count, evalRows, testPlan.batches);
  const maxRows = Math.max(batch, evalRows);

  const limits = device.limits;
  checkStorage(device, [
    ['the parameters', table.total * 4, () => 'use smaller layers', 'layers'],
    ...spec.layers.map((width, l): StorageNeed => [`layer ${l}'s activations (${maxRows} rows x ${width})`, maxRows * width * 4, smallerLayersOrBatch, 'batch']),
    ['the training images', train.count * features, () => 'this GPU cannot hold the training set in one buffer'],
    ['the test images', test.count * features, () => 'this GPU cannot hold the test set in one buffer'],
    ...(val ? [['the validation images', val.count * features, (n) => `use a smaller ${n('validation')}`, 'validation'] as StorageNeed] : []),
  ]);
  const tableBytes = (stepsPerEpoch + testPlan.batches + (valPlan?.batches ?? 0)) * uniformStride(device);
  if (tableBytes > limits.maxBufferSize) {
    throw new UserError((n) => `the step table (${stepsPerEpoch} steps per epoch) needs ${mib(tableBytes)}, more than this GPU's maxBufferSize: use a larger ${n('batch')}`, 'batch');
  }
  const groups = matmulGroupsAlong(Math.max(...spec.layers, maxRows));
  if (groups > limits.maxComputeWorkgroupsPerDimension) {
    throw new UserError((n) => `a matmul would need ${groups} workgroups in one dimension, more than this GPU's maxComputeWorkgroupsPerDimension (${limits.maxComputeWorkgroupsPerDimension}): ${smallerLayersOrBatch(n)}`, 'batch');
  }
  return { table, stepsPerEpoch, evalRows, test: testPlan, val: valPlan, maxRows };
}

/** A set of `count` samples in batches of evalRows, its first batch at evaluation slot firstSlot. */
function evalPlan(count: number, evalRows: number, firstSlot: number): EvalPlan {
  const batches = Math.max(1, Math.ceil(count / evalRows));
  return { count, batches, lastRows: count - (batches - 1) * evalRows || evalRows, firstSlot };
}

/** The step-table entries of a set's evaluation batches: batch b reads from row b · evalRows, writes its slot. */
function evalEntries({ batches, firstSlot }: EvalPlan, evalRows: number): StepEntry[] {
  return Array.from({ length: batches }, (_, b) => ({ start: b * evalRows, slot: firstSlot + b }));
}

/** A buffer: what it holds, its bytes, how to make it smaller, and the setting that would. */
type StorageNeed = [what: string, bytes: number, fix: Wording, field?: Field];

/** Every buffer must fit one binding and one buffer of this device. */
function checkStorage(device: GPUDevice, storage: StorageNeed[]): void {
  for (const [what, bytes, fix, field] of storage) {
    for (const limit of ['maxStorageBufferBindingSize', 'maxBufferSize'] as const) {
      if (bytes > device.limits[limit]) {
        throw new UserError((n) => `${what} need ${mib(bytes)}, more than this GPU's ${limit} (${mib(device.limits[limit])}): ${fix(n)}`, field);
      }
    }
  }
}

/**
 * Runs `make` inside out-of-memory and validation error scopes, so that a failed allocation or an invalid object
 * surfaces here, as an exception naming `what` (out of memory as a UserError with `fix`), not later as an uncaptured
 * error.
 */
async function scoped<T>(device: GPUDevice, what: string, fix: Wording, make: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const made = await make().then((value) => ({ value }), (error: unknown) => ({ error }));
  const invalid = await device.popErrorScope();
  const outOfMemory = await device.popErrorScope();
  if (outOfMemory) throw new UserError((n) => `the GPU ran out of memory setting up ${what}: ${outOfMemory.message}; ${fix(n)}`);
  if (invalid) throw new Error(`WebGPU validation error setting up ${what}: ${invalid.message}`);
  if ('error' in made) throw made.error;
  return made.value;
}
