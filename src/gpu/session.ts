import type { Dataset, Metrics, SessionOptions, SessionSizes, TrainingSession } from '../backend.js';
import { UserError } from '../errors.js';
import { paramTable, type ParamTable } from '../model/params.js';
import type { Gpu } from './device.js';
import { evalBatch, trainStep, type NetBuffers } from './graph.js';
import type { MatmulChoice } from './matmul.js';
import { matmulGroupsAlong, normalisationTable, type Kernels } from './kernels.js';
import {
  buildDispatches, createStepTable, emptyStats, record, Resources, uniformStride, type Dispatch, type GpuStats,
} from './program.js';

/** Test rows per evaluation batch when none is asked for: few dispatches for MNIST's 10,000, small activations. */
export const DEFAULT_EVAL_ROWS = 1024;

export interface SessionTuning {
  /** Test rows per evaluation batch (default DEFAULT_EVAL_ROWS); the last batch takes whatever is left. */
  evalRows?: number;
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

/** Sizes of a session, worked out (and checked against the device) before anything is allocated. */
interface Plan {
  table: ParamTable;
  stepsPerEpoch: number;
  evalRows: number;
  evalBatches: number;
  /** Rows of the final evaluation batch: the test set need not be a multiple of evalRows. */
  lastRows: number;
  /** Rows the activation buffers hold: the larger of the batch and the evaluation batch. */
  maxRows: number;
}

/**
 * A model training on one GPU device. Parameters, gradients, activations, both data sets (as bytes) and the epoch
 * order live in GPU buffers for the whole session; pipelines, buffers, uniforms and bind groups are made once, here.
 * A chunk of steps is recorded into one compute pass of one command encoder, submitted once, and its losses read
 * back once. Calls are serialised, so they may be issued without awaiting each other.
 */
export class WebGpuSession implements TrainingSession {
  /** Counts of dispatches, passes, submits, read backs and objects made after set-up. */
  readonly stats: GpuStats;
  readonly stepsPerEpoch: number;
  readonly evalRows: number;
  /** Dispatches recorded per training step: 3 · layers + 1. */
  readonly dispatchesPerStep: number;
  private readonly device: GPUDevice;
  private readonly stride: number;
  private orderSteps = 0;
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
    private readonly step: Dispatch[],
    private readonly evalFull: Dispatch[],
    private readonly evalLast: Dispatch[],
    private readonly onDispose: () => void,
    private readonly prerecord: boolean,
  ) {
    this.stats = res.stats;
    this.device = gpu.device;
    this.stride = uniformStride(gpu.device);
    this.stepsPerEpoch = plan.stepsPerEpoch;
    this.evalRows = plan.evalRows;
    this.dispatchesPerStep = step.length;
  }

  static async create(gpu: Gpu, kernels: Kernels, options: SessionOptions, tuning: SessionTuning = {}): Promise<WebGpuSession> {
    const { device } = gpu;
    const { evalRows = DEFAULT_EVAL_ROWS, matmul = {}, onDispose = () => {}, prerecord = true } = tuning;
    const plan = makePlan(options, evalRows, device);
    const { table, stepsPerEpoch, evalBatches, maxRows } = plan;
    if (options.params.length !== table.total) {
      throw new Error(`the parameters have ${options.params.length} values, the model needs ${table.total}`);
    }
    const { spec, train, test } = options;
    const res = new Resources(device);
    const S = GPUBufferUsage.STORAGE;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let session: WebGpuSession | undefined;
    let failure: unknown;
    try {
      const floats = (rows: number, width: number) => rows * width * 4;
      const deltas: GPUBuffer[] = []; // deltas[0] would be the input's gradient, which nothing needs
      for (let l = 1; l < spec.layers.length; l++) deltas[l] = res.buffer(`delta ${l}`, floats(maxRows, spec.layers[l]), S);
      const buffers: NetBuffers = {
        params: res.buffer('params', table.total * 4, S | GPUBufferUsage.COPY_SRC, options.params),
        acts: spec.layers.map((width, l) => res.buffer(`acts ${l}`, floats(maxRows, width), S)),
        deltas,
        batchLabels: res.buffer('batch labels', maxRows * 4, S),
        losses: res.buffer('losses', stepsPerEpoch * 4, S | GPUBufferUsage.COPY_SRC),
        evalOut: res.buffer('eval results', evalBatches * 8, S | GPUBufferUsage.COPY_SRC),
        order: res.buffer('epoch order', train.count * 4, S | GPUBufferUsage.COPY_DST),
        lut: res.buffer('normalisation', 256 * 4, S, normalisationTable(spec.inputMean, spec.inputStd)),
        train: upload(res, 'train', train),
        test: upload(res, 'test', test),
      };
      // Entries 0 .. steps-1: training step s starts at s·batch, loss slot s. Then one per evaluation batch.
      const stepTable = createStepTable(res, [
        ...Array.from({ length: stepsPerEpoch }, (_, s) => ({ start: s * options.batch, slot: s })),
        ...Array.from({ length: evalBatches }, (_, b) => ({ start: b * plan.evalRows, slot: b })),
      ]);
      const build = (specs: Parameters<typeof buildDispatches>[2], label: string) =>
        buildDispatches(res, kernels, specs, stepTable, label);
      const step = await build(trainStep(table, buffers, options.batch, options.learningRate, matmul), 'train step');
      const evalFull = await build(evalBatch(table, buffers, plan.evalRows, matmul), 'eval batch');
      const evalLast = plan.lastRows === plan.evalRows
        ? evalFull
        : await build(evalBatch(table, buffers, plan.lastRows, matmul), 'last eval batch');
      const stagingBytes = Math.max(stepsPerEpoch * 4, evalBatches * 8, table.total * 4);
      const staging = res.buffer('read back', stagingBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
      session = new WebGpuSession(gpu, res, plan, options, buffers, staging, step, evalFull, evalLast, onDispose, prerecord);
    } catch (error) {
      failure = error;
    }
    const invalid = await device.popErrorScope();
    const outOfMemory = await device.popErrorScope();
    if (failure || invalid || outOfMemory || !session) {
      res.destroy();
      if (outOfMemory) {
        throw new UserError(`the GPU ran out of memory setting up the model: ${outOfMemory.message}; use smaller layers or --batch`);
      }
      if (invalid) throw new Error(`WebGPU validation error setting up the session: ${invalid.message}`);
      throw failure;
    }
    res.endSetup();
    return session;
  }

  setEpochOrder(order: Uint32Array): void {
    this.live();
    const { batch, train } = this.options;
    if (order.length > train.count) {
      throw new Error(`the epoch order has ${order.length} entries, more than the ${train.count} training samples`);
    }
    for (const index of order) {
      if (index >= train.count) throw new Error(`epoch order entry ${index} is outside the ${train.count} training samples`);
    }
    // After any call still pending, so the order changes between chunks exactly where the caller said.
    const copy = order.slice();
    void this.serial(async () => {
      this.device.queue.writeBuffer(this.buffers.order, 0, copy);
      this.stats.writes++;
    });
    this.orderSteps = Math.min(this.plan.stepsPerEpoch, Math.floor(order.length / batch));
  }

  async trainSteps(first: number, count: number): Promise<number> {
    this.live();
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

  async evaluate(): Promise<Metrics> {
    this.live();
    const { count } = this.options.test;
    const { evalBatches, stepsPerEpoch } = this.plan;
    if (count === 0) return { loss: NaN, accuracy: NaN };
    return this.serial(async () => {
      const encoder = this.device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      this.stats.computePasses++;
      for (let b = 0; b < evalBatches; b++) {
        const dispatches = b === evalBatches - 1 ? this.evalLast : this.evalFull;
        record(pass, dispatches, stepsPerEpoch + b, this.stride, this.stats);
      }
      pass.end();
      const raw = await this.readBack(this.buffers.evalOut, 0, evalBatches * 8, [], undefined, encoder);
      const lossSums = new Float32Array(raw);
      const corrects = new Uint32Array(raw);
      let loss = 0;
      let correct = 0;
      for (let b = 0; b < evalBatches; b++) {
        loss += lossSums[2 * b];
        correct += corrects[2 * b + 1];
      }
      return { loss: loss / count, accuracy: correct / count };
    });
  }

  async readParams(): Promise<Float32Array> {
    this.live();
    return this.serial(async () => {
      const raw = await this.readBack(this.buffers.params, 0, this.plan.table.total * 4);
      return new Float32Array(raw);
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
    encoder = this.device.createCommandEncoder(),
  ): Promise<ArrayBuffer> {
    encoder.copyBufferToBuffer(source, offset, this.staging, 0, bytes);
    this.device.pushErrorScope('validation');
    this.device.queue.submit([...commands, encoder.finish()]);
    this.stats.submits++;
    const invalid = this.device.popErrorScope();
    const mapped = this.staging.mapAsync(GPUMapMode.READ, 0, bytes).then(() => null, (error: Error) => error);
    this.stats.readBacks++;
    afterSubmit?.();
    const [error, mapError] = await Promise.all([invalid, mapped]);
    const copy = mapError ? null : this.staging.getMappedRange(0, bytes).slice(0);
    if (!mapError) this.staging.unmap();
    this.gpu.check();
    if (error) throw new Error(`WebGPU validation error: ${error.message}`);
    if (!copy) throw mapError;
    return copy;
  }
}

function upload(res: Resources, name: string, set: Dataset): { pixels: GPUBuffer; labels: GPUBuffer } {
  return {
    pixels: res.buffer(`${name} pixels`, set.count * set.features, GPUBufferUsage.STORAGE,
      set.pixels.subarray(0, set.count * set.features)),
    labels: res.buffer(`${name} labels`, set.count, GPUBufferUsage.STORAGE, set.labels.subarray(0, set.count)),
  };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * Sizes the session and checks them against the device's limits; every problem is a UserError naming the limit.
 * Needs no parameters, so a model too large for the device is refused before anything is allocated, even on the CPU.
 */
export function makePlan(options: SessionSizes, evalRowsWanted: number, device: GPUDevice): Plan {
  const { spec, batch, train, test } = options;
  const table = paramTable(spec);
  const features = spec.layers[0];
  if (!Number.isInteger(batch) || batch < 1 || batch > train.count) {
    throw new UserError(`--batch must be an integer from 1 to the training set's ${train.count} samples, got ${batch}`);
  }
  for (const [name, set] of [['training', train], ['test', test]] as const) {
    if (set.features !== features) {
      throw new UserError(`the model's input size ${features} does not match the ${name} images (${set.features} pixels)`);
    }
    if (set.pixels.length < set.count * features || set.labels.length < set.count) {
      throw new Error(`the ${name} set holds fewer pixels or labels than its count (${set.count}) says`);
    }
  }
  const stepsPerEpoch = Math.floor(train.count / batch);
  const evalRows = Math.max(1, Math.min(evalRowsWanted, test.count));
  const evalBatches = Math.max(1, Math.ceil(test.count / evalRows));
  const lastRows = test.count - (evalBatches - 1) * evalRows || evalRows;
  const maxRows = Math.max(batch, evalRows);

  const limits = device.limits;
  const hint = 'use smaller layers or a smaller --batch';
  const storage: [string, number, string][] = [
    ['the parameters', table.total * 4, 'use smaller layers'],
    ...spec.layers.map((width, l): [string, number, string] => [`layer ${l}'s activations (${maxRows} rows x ${width})`, maxRows * width * 4, hint]),
    ['the training images', train.count * features, 'this GPU cannot hold the training set in one buffer'],
    ['the test images', test.count * features, 'this GPU cannot hold the test set in one buffer'],
  ];
  for (const [what, bytes, fix] of storage) {
    for (const limit of ['maxStorageBufferBindingSize', 'maxBufferSize'] as const) {
      if (bytes > limits[limit]) {
        throw new UserError(`${what} need ${mib(bytes)}, more than this GPU's ${limit} (${mib(limits[limit])}): ${fix}`);
      }
    }
  }
  const tableBytes = (stepsPerEpoch + evalBatches) * uniformStride(device);
  if (tableBytes > limits.maxBufferSize) {
    throw new UserError(`the step table (${stepsPerEpoch} steps per epoch) needs ${mib(tableBytes)}, more than this GPU's maxBufferSize: use a larger --batch`);
  }
  const groups = matmulGroupsAlong(Math.max(...spec.layers, maxRows));
  if (groups > limits.maxComputeWorkgroupsPerDimension) {
    throw new UserError(`a matmul would need ${groups} workgroups in one dimension, more than this GPU's maxComputeWorkgroupsPerDimension (${limits.maxComputeWorkgroupsPerDimension}): ${hint}`);
  }
  return { table, stepsPerEpoch, evalRows, evalBatches, lastRows, maxRows };
}
