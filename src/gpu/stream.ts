/**
 * Data sets larger than the device should hold (the backend's gpuDataBytes), streamed: they stay in the host's
 * arrays, and before a run of training steps or evaluation batches the rows those read are copied into a window on
 * the device (plan.ts's StreamPlan), in the order the steps read them. The epoch order stays a full shuffle of the
 * whole set, so a streamed session trains on the same rows in the same order as a resident one, bit for bit; what
 * it adds is a submit per window of steps, and the copies, which the host makes while the GPU runs the window before.
 */
import type { Dataset, EvalSet, ModelsOptions } from '../backend.js';
import { labelWidth } from '../model/spec.js';
import type { DataShard } from './graph.js';
import { normalisationTable } from './kernels/gather.js';
import type { Plan, StreamPlan } from './plan.js';
import type { GpuStats } from './record.js';

/** Where a set's rows come from: `set`, each model its own rows of it (`own`), or every model all of them once. */
interface Source {
  set: Dataset;
  own?: (Uint32Array | undefined)[];
}

export class DataWindow {
  private readonly inputs: Float32Array<ArrayBuffer>;
  private readonly labels: Uint32Array<ArrayBuffer>;
  private readonly targets: Float32Array<ArrayBuffer>;
  private readonly lut: Float32Array;
  private readonly features: number;
  private readonly width: number;
  private readonly stream: StreamPlan;

  constructor(
    private readonly device: GPUDevice,
    private readonly plan: Plan,
    private readonly options: ModelsOptions,
    private readonly shard: DataShard,
    private readonly stats: GpuStats,
  ) {
    this.stream = plan.stream!;
    this.features = options.train.features;
    this.width = labelWidth(options.spec);
    this.inputs = new Float32Array(this.stream.rows * this.features);
    this.labels = new Uint32Array(this.stream.rows * this.width);
    this.targets = new Float32Array(this.labels.buffer);
    this.lut = normalisationTable(options.spec.inputMean, options.spec.inputStd);
  }

  /** The end of the run of training steps from `first` (before `end`) that the window holds at once. */
  stepsEnd(first: number, end: number): number {
    const { steps } = this.stream;
    return Math.min(end, (Math.floor(first / steps) + 1) * steps);
  }

  /**
   * Copies training steps [first, end) of one window: step s of model i, its rows of the epoch order `orders`
   * ([K, plan.orderStride], rows of the training set), to rows i · steps · batch + (s mod steps) · batch of the
   * window; only the steps a model takes (`taken[i]`).
   */
  fillSteps(orders: Uint32Array, taken: readonly number[], first: number, end: number): void {
    const { batch, orderStride } = this.plan;
    const block = this.stream.steps * batch;
    const offset = (first % this.stream.steps) * batch;
    this.plan.models.forEach((_, i) => {
      const last = Math.min(end, taken[i]);
      if (last <= first) return;
      const count = (last - first) * batch;
      const rows = orders.subarray(i * orderStride + first * batch, i * orderStride + first * batch + count);
      this.put(this.options.train, rows, i * block + offset);
      this.write(i * block + offset, count);
    });
  }

  /**
   * Copies evaluation batches [first, end) of `which` (one window's group of them): each model's own rows of batch b
   * to rows i · group · evalRows + (b mod group) · evalRows, or the set's rows once from (b mod group) · evalRows.
   */
  fillBatches(which: EvalSet, first: number, end: number): void {
    const { evalRows } = this.plan;
    const { set, own } = this.source(which);
    const offset = (first % this.plan[which]!.group) * evalRows;
    const from = first * evalRows;
    if (!own) {
      const count = Math.min(end * evalRows, set.count) - from;
      this.put(
        set,
        Uint32Array.from({ length: count }, (_, r) => from + r),
        offset,
      );
      this.write(offset, count);
      return;
    }
    const block = this.plan[which]!.group * evalRows;
    own.forEach((rows, i) => {
      const all = rows ?? Uint32Array.from({ length: set.count }, (_, r) => r);
      const part = all.subarray(from, end * evalRows);
      if (part.length === 0) return;
      this.put(set, part, i * block + offset);
      this.write(i * block + offset, part.length);
    });
  }

  /** The set `which` is read from, and each model's rows of it where the models read their own. */
  private source(which: EvalSet): Source {
    const { train, test, val } = this.options;
    const models = this.plan.models;
    if (which === 'test') return { set: test! };
    if (which === 'val')
      return models.every((m) => m.valRows) ? { set: train, own: models.map((m) => m.valRows) } : { set: val! };
    return models.some((m) => m.trainRows) ? { set: train, own: models.map((m) => m.trainRows) } : { set: train };
  }

  /**
   * Rows `rows` of `set` into the host's window from row `at`, as the device stores a set that is not byte images
   * (uploadSet): float32 inputs (bytes through the normalisation table gather.wgsl reads), 32-bit label words.
   */
  private put(set: Dataset, rows: ArrayLike<number>, at: number): void {
    const { features: f, width: w, inputs, labels, targets, lut } = this;
    const source = set.inputs;
    const bytes = source instanceof Uint8Array;
    const words = set.labels instanceof Float32Array ? targets : labels;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      const to = (at + r) * f;
      const from = row * f;
      if (bytes) for (let j = 0; j < f; j++) inputs[to + j] = lut[source[from + j]];
      else for (let j = 0; j < f; j++) inputs[to + j] = source[from + j];
      for (let j = 0; j < w; j++) words[(at + r) * w + j] = set.labels[row * w + j];
    }
  }

  /** Window rows [at, at + count) to the device, before whatever is submitted next. */
  private write(at: number, count: number): void {
    const { features: f, width: w } = this;
    const queue = this.device.queue;
    queue.writeBuffer(this.shard.inputs, at * f * 4, this.inputs, at * f, count * f);
    queue.writeBuffer(this.shard.labels, at * w * 4, this.labels, at * w, count * w);
    this.stats.writes += 2;
  }
}

/**
 * Each model's outputs on `set` (labels `width` words a row, or none), predicted `rows` rows at a time: a set uploaded
 * whole must fit the window's bytes.
 */
export async function inSlices(
  set: Dataset,
  rows: number,
  width: number,
  predict: (part: Dataset) => Promise<Float32Array[]>,
): Promise<Float32Array[]> {
  if (set.count <= rows) return predict(set);
  const parts: Float32Array[][] = [];
  for (let first = 0; first < set.count; first += rows) {
    const end = Math.min(set.count, first + rows);
    const part = {
      inputs: set.inputs.subarray(first * set.features, end * set.features),
      labels: set.labels.subarray(first * width, end * width),
      count: end - first,
      features: set.features,
    } as Dataset;
    parts.push(await predict(part));
  }
  return parts[0].map((_, i) => {
    const out = new Float32Array(parts.reduce((sum, part) => sum + part[i].length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part[i], at);
      at += part[i].length;
    }
    return out;
  });
}
