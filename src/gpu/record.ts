/**
 * How a session's work reaches the GPU and comes back: its objects (counted and destroyed together), dispatches built
 * once with their bind groups, steps and batches recorded into compute passes without creating anything, one submit
 * and one read back, with validation errors and the device's loss thrown by the call that caused them.
 */
import { UserError, type Wording } from '../errors.js';
import type { Gpu } from './device.js';
import type { DispatchSpec } from './graph.js';
import { softwareStride } from './kernels/define.js';
import { KERNELS, type Kernels } from './kernels.js';
import type { MatmulVariant } from './matmul-variants.js';
import { Pacer, type Work } from './pacer.js';
import { type EvalPlan, uniformStride } from './plan.js';
import {
  encodeModelTable,
  encodeStepTable,
  type ModelConstants,
  type ModelRow,
  STEP_BINDING,
  type StepEntry,
} from './tables.js';

/** What predicts speed, counted as it happens. Everything but the setup* counts is cumulative. */
export const emptyStats = () => ({
  dispatches: 0,
  computePasses: 0,
  submits: 0,
  readBacks: 0,
  /** queue.writeBuffer calls (the epoch order, once per epoch). */
  writes: 0,
  /** Milliseconds the CPU spent recording training chunks before it could submit them (on the critical path). */
  recordMs: 0,
  /** Milliseconds spent recording the next chunk while the GPU ran the current one (off the critical path). */
  prerecordMs: 0,
  /** Buffers made while building the session, the uniform and staging buffers included. */
  setupBuffers: 0,
  /** Objects made after set-up: a training loop that allocates shows up here. */
  buffersAfterSetup: 0,
  bindGroupsAfterSetup: 0,
});

export type GpuStats = ReturnType<typeof emptyStats>;

/** Makes, counts and finally destroys every buffer and bind group of one owner. */
export class Resources {
  readonly stats = emptyStats();
  private readonly buffers: GPUBuffer[] = [];
  private settingUp = true;

  constructor(readonly gpu: Gpu) {}

  get device(): GPUDevice {
    return this.gpu.device;
  }

  /**
   * A buffer of at least `size` bytes, optionally filled with `data` at creation. Sizes round up to 16 bytes, so a
   * kernel that reads it as array<vec4f> (matmul.wgsl) reaches every element.
   */
  buffer(label: string, size: number, usage: GPUBufferUsageFlags, data?: ArrayBufferView): GPUBuffer {
    const bytes = Math.max(16, Math.ceil(size / 16) * 16);
    const buffer = this.gpu.createBuffer({ label, size: bytes, usage, mappedAtCreation: !!data });
    if (data) {
      new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      buffer.unmap();
    }
    this.buffers.push(buffer);
    if (this.settingUp) this.stats.setupBuffers++;
    else this.stats.buffersAfterSetup++;
    return buffer;
  }

  bindGroup(descriptor: GPUBindGroupDescriptor): GPUBindGroup {
    if (!this.settingUp) this.stats.bindGroupsAfterSetup++;
    return this.device.createBindGroup(descriptor);
  }

  /** From here on, creations count as after set-up. */
  endSetup(): void {
    this.settingUp = false;
  }

  destroy(): void {
    for (const buffer of this.buffers) this.gpu.destroyBuffer(buffer);
    this.buffers.length = 0;
  }
}

/**
 * Runs `make` inside out-of-memory and validation error scopes, so that a failed allocation or an invalid object is
 * an exception here naming `what` (out of memory a UserError with `fix`), not later an uncaptured error.
 */
export async function scoped<T>(device: GPUDevice, what: string, fix: Wording, make: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const made = await make().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const invalid = await device.popErrorScope();
  const outOfMemory = await device.popErrorScope();
  if (outOfMemory) {
    throw new UserError((n) => `the GPU ran out of memory setting up ${what}: ${outOfMemory.message}; ${fix(n)}`);
  }
  if (invalid) throw new Error(`WebGPU validation error setting up ${what}: ${invalid.message}`);
  if ('error' in made) throw made.error;
  return made.value;
}

// ---- dispatches ----

/** A dispatch ready to record: nothing is created or written when it is recorded. */
export interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  groups: [number, number, number];
  /** Reads the step table: recorded with the step's dynamic offset. */
  step: boolean;
  /** For a matmul, the variant picked for its shape. */
  variant?: MatmulVariant;
}

/**
 * The step table that kernels with a Step binding read through a dynamic offset (see plan.ts): entry i at
 * i · stride bytes, written once.
 */
export function createStepTable(res: Resources, entries: readonly StepEntry[]): GPUBuffer {
  const data = new Uint32Array(encodeStepTable(entries, uniformStride(res.device)));
  return res.buffer('step table', data.byteLength, GPUBufferUsage.UNIFORM, data);
}

/**
 * The model table beside a step table (see plan.ts): `rows[at][model]` for each entry, with each model's constants.
 * A session rewrites its training rows when they change (once per epoch at most, and when a model stops).
 */
export function createModelTable(
  res: Resources,
  rows: readonly (readonly ModelRow[])[],
  constants: readonly ModelConstants[],
): GPUBuffer {
  const data = new Uint32Array(encodeModelTable(rows, constants));
  return res.buffer('model table', data.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, data);
}

/** The tables of dispatches that run alone (a kernel's test, the benchmark): one entry, one active model. */
function aloneTables(res: Resources): Tables {
  return { step: createStepTable(res, [{ start: 0, slot: 0 }]), models: createModelTable(res, [[{}]], [{}]) };
}

/** A step table and its model table, as the dispatches of a session bind them. */
export interface Tables {
  step: GPUBuffer;
  models: GPUBuffer;
}

/**
 * Compiles what a fixed sequence of dispatches needs and builds its bind groups: their Dims in one uniform buffer, an
 * aligned slot each, written once; the model table and the step table (where a kernel reads them), the latter bound
 * with a dynamic offset. Without tables, kernels that read them get a table of one entry and one active model.
 */
export async function buildDispatches(
  res: Resources,
  kernels: Kernels,
  specs: DispatchSpec[],
  given: Tables | null,
  label: string,
): Promise<Dispatch[]> {
  await kernels.prepare(specs);
  let tables = given;
  const stride = uniformStride(res.device);
  const slot = (i: number) => i * stride;
  const dims = new Uint32Array((specs.length * stride) / 4);
  specs.forEach((spec, i) => dims.set(spec.launch.dims, slot(i) / 4));
  const uniforms = res.buffer(`${label} dims`, dims.byteLength, GPUBufferUsage.UNIFORM, dims);
  return specs.map((spec, i) => {
    const { outputs, inputs, models, step } = KERNELS[spec.kernel];
    if (spec.outputs.length !== outputs || spec.inputs.length !== inputs) {
      throw new Error(
        `${spec.kernel} takes ${outputs} outputs and ${inputs} inputs, ` +
          `got ${spec.outputs.length} and ${spec.inputs.length}`,
      );
    }
    const bindings: GPUBufferBinding[] = [...spec.outputs, ...spec.inputs].map((buffer) => ({ buffer }));
    if (step && !tables) tables = aloneTables(res);
    if (models) bindings.push({ buffer: tables!.models });
    bindings.push({ buffer: uniforms, offset: slot(i), size: spec.launch.dims.byteLength });
    if (step) bindings.push({ buffer: tables!.step, offset: 0, size: STEP_BINDING });
    const entries = bindings.map((resource, binding) => ({ binding, resource }));
    const kernel = kernels.get(spec.kernel, spec.launch.variant);
    const bindGroup = res.bindGroup({ label: `${label}: ${spec.kernel} #${i}`, layout: kernel.layout, entries });
    const { groups, gridStride } = spec.launch;
    return {
      pipeline: kernel.pipeline,
      bindGroup,
      groups: gridStride && kernels.software ? softwareStride(groups) : groups,
      step,
      variant: spec.launch.variant,
    };
  });
}

/** Records a sequence into an open compute pass, with `stepEntry` selecting the step-table entry. */
export function record(
  pass: GPUComputePassEncoder,
  dispatches: Dispatch[],
  stepEntry: number,
  stride: number,
  stats: GpuStats,
): void {
  const offsets = [stepEntry * stride];
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    if (d.step) pass.setBindGroup(0, d.bindGroup, offsets);
    else pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(...d.groups);
    stats.dispatches++;
  }
}

// ---- recording, submitting, reading back ----

/** A chunk of training steps recorded into a finished command buffer, ready to submit. */
export interface RecordedChunk {
  first: number;
  count: number;
  commands: GPUCommandBuffer;
  dispatches: number;
}

/** A set's dispatches in batches: a batch of its plan's rows, and the final batch of lastRows. */
export interface BatchLists {
  full: Dispatch[];
  last: Dispatch[];
}

/** Builds a set's BatchLists from the dispatches of a batch of `rows` rows; one list when every batch is full. */
export async function buildBatchLists(
  res: Resources,
  kernels: Kernels,
  tables: Tables,
  { rows, lastRows }: EvalPlan,
  batch: (rows: number) => DispatchSpec[],
  label: string,
): Promise<BatchLists> {
  const full = await buildDispatches(res, kernels, batch(rows), tables, label);
  const last = lastRows === rows ? full : await buildDispatches(res, kernels, batch(lastRows), tables, `last ${label}`);
  return { full, last };
}

export interface ReadBackOptions {
  /** Finished command buffers submitted before the copy. */
  commands?: GPUCommandBuffer[];
  /** What the submitted work is, and how many units of it (steps, batches): how long to sleep first (see Pacer). */
  work?: Work;
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
  private readonly pacer: Pacer;

  constructor(
    private readonly gpu: Gpu,
    readonly stats: GpuStats,
    private readonly staging: GPUBuffer,
  ) {
    this.device = gpu.device;
    this.stride = uniformStride(gpu.device);
    this.pacer = new Pacer(gpu.adapter.software && gpu.pollsWhileWaiting);
  }

  /** Steps first .. first+count-1 in one compute pass of one finished command buffer; nothing is created but it. */
  chunk(step: Dispatch[], first: number, count: number): RecordedChunk {
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (let s = first; s < first + count; s++) record(pass, step, s, this.stride, emptyStats());
    pass.end();
    return { first, count, commands: encoder.finish(), dispatches: count * step.length };
  }

  /**
   * Batches [from, to) of a set of `batches` into `encoder` (default all), batch b at step-table entry firstEntry + b:
   * all in one compute pass, or, with `afterBatch`, each in its own pass followed by afterBatch(b) (a copy of what
   * the next batch overwrites).
   */
  batches(
    encoder: GPUCommandEncoder,
    lists: BatchLists,
    batches: number,
    firstEntry: number,
    afterBatch?: (b: number) => void,
    [from, to] = [0, batches],
  ): void {
    let pass: GPUComputePassEncoder | null = null;
    for (let b = from; b < to; b++) {
      if (!pass) {
        pass = encoder.beginComputePass();
        this.stats.computePasses++;
      }
      record(pass, b === batches - 1 ? lists.last : lists.full, firstEntry + b, this.stride, this.stats);
      if (afterBatch) {
        pass.end();
        pass = null;
        afterBatch(b);
      }
    }
    pass?.end();
  }

  /**
   * A set's batches group by group, `group` of them at a time (all in one group unless its data is streamed): each
   * group's rows written first by `fill`, its batches recorded by `record`, and every group but the last submitted
   * on its own. Returns the last group's encoder, for the read back to append its copy to.
   */
  inGroups(
    { batches, group }: EvalPlan,
    fill: ((from: number, to: number) => void) | undefined,
    record: (encoder: GPUCommandEncoder, from: number, to: number) => void,
  ): GPUCommandEncoder {
    let encoder = this.device.createCommandEncoder();
    for (let from = 0; from < batches; from += group) {
      const to = Math.min(batches, from + group);
      fill?.(from, to);
      record(encoder, from, to);
      if (to < batches) {
        this.device.queue.submit([encoder.finish()]);
        this.stats.submits++;
        encoder = this.device.createCommandEncoder();
      }
    }
    return encoder;
  }

  /**
   * Submits `commands` and then a copy of `bytes` of `source` to the staging buffer (appended to `encoder`), all in
   * one submit; calls `afterSubmit` while the GPU works; returns the bytes.
   */
  async readBack(
    source: GPUBuffer,
    offset: number,
    bytes: number,
    options: ReadBackOptions = {},
  ): Promise<ArrayBuffer> {
    const {
      commands = [],
      afterSubmit,
      encoder = this.device.createCommandEncoder(),
      staging = this.staging,
      work,
    } = options;
    encoder.copyBufferToBuffer(source, offset, staging, 0, bytes);
    this.device.pushErrorScope('validation');
    this.device.queue.submit([...commands, encoder.finish()]);
    const submitted = performance.now();
    this.stats.submits++;
    const invalid = this.device.popErrorScope();
    const map = () =>
      staging.mapAsync(GPUMapMode.READ, 0, bytes).then(
        () => null,
        (error: Error) => error,
      );
    const slept = this.pacer.sleepMs(work);
    let mapped: Promise<Error | null>;
    if (slept > 0) {
      afterSubmit?.();
      await new Promise((resolve) => setTimeout(resolve, slept));
      mapped = map();
    } else {
      mapped = map();
      afterSubmit?.();
    }
    this.stats.readBacks++;
    const [error, mapError] = await Promise.all([invalid, mapped]);
    this.pacer.learn(work, performance.now() - submitted, slept);
    const copy = mapError ? null : staging.getMappedRange(0, bytes).slice(0);
    if (!mapError) staging.unmap();
    this.gpu.check();
    if (error) throw new Error(`WebGPU validation error: ${error.message}`);
    if (!copy) throw mapError;
    return copy;
  }
}
