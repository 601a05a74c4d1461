/**
 * The one path from a session to the GPU and back: dispatch lists recorded into compute passes, one submit, one read
 * back of the results through a staging buffer, with the submit's validation errors and the device's loss surfacing
 * as exceptions of the call that caused them.
 */
import type { Gpu } from './device.js';
import { buildDispatches, record, type Dispatch, type DispatchSpec } from './program.js';
import type { Kernels } from './kernels.js';
import type { EvalPlan } from './plan.js';
import { emptyStats, uniformStride, type GpuStats, type Resources } from './resources.js';

/** A chunk of training steps recorded into a finished command buffer, ready to submit. */
export interface RecordedChunk {
  first: number;
  count: number;
  commands: GPUCommandBuffer;
  dispatches: number;
}

/** A set's dispatches in batches: a batch of evalRows rows, and the final batch of lastRows. */
export interface BatchLists {
  full: Dispatch[];
  last: Dispatch[];
}

/** Builds a set's BatchLists from the dispatches of a batch of `rows` rows; one list when every batch is full. */
export async function buildBatchLists(
  res: Resources, kernels: Kernels, stepTable: GPUBuffer, evalRows: number, { lastRows }: EvalPlan,
  batch: (rows: number) => DispatchSpec[], labels: { full: string; last: string },
): Promise<BatchLists> {
  const full = await buildDispatches(res, kernels, batch(evalRows), stepTable, labels.full);
  const last = lastRows === evalRows ? full : await buildDispatches(res, kernels, batch(lastRows), stepTable, labels.last);
  return { full, last };
}

export interface ReadBackOptions {
  /** Finished command buffers submitted before the copy. */
  commands?: GPUCommandBuffer[];
  /** Called while the GPU works, right after the submit. */
  afterSubmit?: () => void;
  /** The encoder the copy is appended to (default a new one): recorded passes go in the same submit. */
  encoder?: GPUCommandEncoder;
  /** A mappable buffer of at least `bytes` (default the session's). */
  staging?: GPUBuffer;
}

export class Recorder {
  /** Bytes between step-table entries: recording entry e binds it at e · stride. */
  readonly stride: number;
  private readonly device: GPUDevice;

  constructor(private readonly gpu: Gpu, readonly stats: GpuStats, private readonly staging: GPUBuffer) {
    this.device = gpu.device;
    this.stride = uniformStride(gpu.device);
  }

  /** Steps first .. first+count-1 in one compute pass of one finished command buffer; nothing is created but it. */
  chunk(step: Dispatch[], first: number, count: number): RecordedChunk {
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    const counted = emptyStats();
    for (let s = first; s < first + count; s++) record(pass, step, s, this.stride, counted);
    pass.end();
    return { first, count, commands: encoder.finish(), dispatches: counted.dispatches };
  }

  /**
   * Every batch of a set into `encoder`, batch b at step-table entry firstEntry + b: all in one compute pass, or, with
   * `afterBatch`, each in its own pass followed by afterBatch(b) (a copy of what the next batch overwrites).
   */
  batches(encoder: GPUCommandEncoder, lists: BatchLists, batches: number, firstEntry: number, afterBatch?: (b: number) => void): void {
    const list = (b: number) => (b === batches - 1 ? lists.last : lists.full);
    if (!afterBatch) {
      const pass = encoder.beginComputePass();
      this.stats.computePasses++;
      for (let b = 0; b < batches; b++) record(pass, list(b), firstEntry + b, this.stride, this.stats);
      pass.end();
      return;
    }
    for (let b = 0; b < batches; b++) {
      const pass = encoder.beginComputePass();
      record(pass, list(b), firstEntry + b, this.stride, this.stats);
      pass.end();
      this.stats.computePasses++;
      afterBatch(b);
    }
  }

  /**
   * Submits `commands` and then a copy of `bytes` of `source` to the staging buffer (appended to `encoder`), all in
   * one submit; calls `afterSubmit` while the GPU works; returns the bytes.
   */
  async readBack(source: GPUBuffer, offset: number, bytes: number, options: ReadBackOptions = {}): Promise<ArrayBuffer> {
    const { commands = [], afterSubmit, encoder = this.device.createCommandEncoder(), staging = this.staging } = options;
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
