import { BINDINGS, type Kernels, type Launch } from './kernels.js';
import type { MatmulVariant } from './matmul.js';
import type { KernelName } from './shaders.js';

/** What predicts speed, counted as it happens. Everything but the setup* counts is cumulative. */
export interface GpuStats {
  dispatches: number;
  computePasses: number;
  submits: number;
  readBacks: number;
  /** queue.writeBuffer calls (the epoch order, once per epoch). */
  writes: number;
  /** Milliseconds the CPU spent recording training chunks before it could submit them (on the critical path). */
  recordMs: number;
  /** Milliseconds spent recording the next chunk while the GPU ran the current one (off the critical path). */
  prerecordMs: number;
  /** Objects made while building the session (buffers include the uniform and staging buffers). */
  setupBuffers: number;
  setupBindGroups: number;
  /** Objects made after set-up: a training loop that allocates shows up here. */
  buffersAfterSetup: number;
  bindGroupsAfterSetup: number;
}

export const emptyStats = (): GpuStats => ({
  dispatches: 0, computePasses: 0, submits: 0, readBacks: 0, writes: 0, recordMs: 0, prerecordMs: 0,
  setupBuffers: 0, setupBindGroups: 0, buffersAfterSetup: 0, bindGroupsAfterSetup: 0,
});

/** Makes, counts and finally destroys every buffer and bind group of one owner (a session, a test). */
export class Resources {
  readonly stats = emptyStats();
  private readonly buffers: GPUBuffer[] = [];
  private settingUp = true;

  constructor(readonly device: GPUDevice) {}

  /**
   * A buffer of at least `size` bytes, optionally filled with `data` at creation. Sizes round up to 16 bytes, so a
   * kernel that reads it as array<vec4f> (matmul.wgsl) reaches every element.
   */
  buffer(label: string, size: number, usage: GPUBufferUsageFlags, data?: ArrayBufferView): GPUBuffer {
    const bytes = Math.max(16, Math.ceil(size / 16) * 16);
    const buffer = this.device.createBuffer({ label, size: bytes, usage, mappedAtCreation: !!data });
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
    if (this.settingUp) this.stats.setupBindGroups++;
    else this.stats.bindGroupsAfterSetup++;
    return this.device.createBindGroup(descriptor);
  }

  /** From here on, creations count as after set-up. */
  endSetup(): void {
    this.settingUp = false;
  }

  destroy(): void {
    for (const buffer of this.buffers) buffer.destroy();
    this.buffers.length = 0;
  }
}

/** One dispatch as a layer describes it: which kernel, on which buffers (CPU argument order), with which sizes. */
export interface DispatchSpec {
  kernel: KernelName;
  outputs: GPUBuffer[];
  inputs: GPUBuffer[];
  launch: Launch;
}

/** A dispatch ready to record: nothing is created or written when it is recorded. */
export interface Dispatch {
  kernel: KernelName;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  groups: [number, number, number];
  /** Reads the step table: recorded with the step's dynamic offset. */
  step: boolean;
  /** For a matmul, the variant picked for its shape. */
  variant?: MatmulVariant;
}

/** Bytes between uniform entries: the device's offset alignment (256 at most, by the WebGPU spec). */
export const uniformStride = (device: GPUDevice): number => device.limits.minUniformBufferOffsetAlignment;

/** Bytes of one step-table entry: struct Step { start: u32, slot: u32 }, bound as 16 bytes. */
const STEP_BINDING = 16;

/**
 * The step table that gather, softmax_xent and argmax_count read through a dynamic offset (see gather.wgsl for why):
 * entry i, at i · stride bytes, holds { start, slot }. Written once, at set-up.
 */
export function createStepTable(res: Resources, entries: { start: number; slot: number }[]): GPUBuffer {
  const stride = uniformStride(res.device);
  const data = new Uint32Array((entries.length * stride) / 4);
  entries.forEach(({ start, slot }, i) => data.set([start, slot], (i * stride) / 4));
  return res.buffer('step table', data.byteLength, GPUBufferUsage.UNIFORM, data);
}

/**
 * Compiles what a fixed sequence of dispatches needs and builds its bind groups. Their Dims go into one uniform
 * buffer, one aligned slot per dispatch, written here once; the step table (when a kernel needs it) is bound with a
 * dynamic offset.
 */
export async function buildDispatches(
  res: Resources, kernels: Kernels, specs: DispatchSpec[], stepTable: GPUBuffer | null, label: string,
): Promise<Dispatch[]> {
  await kernels.prepare(specs);
  const stride = uniformStride(res.device);
  const slot = (i: number) => i * stride;
  const dims = new Uint32Array((specs.length * stride) / 4);
  specs.forEach((spec, i) => dims.set(spec.launch.dims, slot(i) / 4));
  const uniforms = res.buffer(`${label} dims`, dims.byteLength, GPUBufferUsage.UNIFORM, dims);
  return specs.map((spec, i) => {
    const { outputs, inputs, step } = BINDINGS[spec.kernel];
    if (spec.outputs.length !== outputs || spec.inputs.length !== inputs) {
      throw new Error(`${spec.kernel} takes ${outputs} outputs and ${inputs} inputs, got ${spec.outputs.length} and ${spec.inputs.length}`);
    }
    const entries: GPUBindGroupEntry[] = [...spec.outputs, ...spec.inputs].map((buffer, binding) => ({
      binding, resource: { buffer },
    }));
    entries.push({
      binding: entries.length,
      resource: { buffer: uniforms, offset: slot(i), size: spec.launch.dims.byteLength },
    });
    if (step) {
      if (!stepTable) throw new Error(`${spec.kernel} reads the step table, but none was given`);
      entries.push({ binding: entries.length, resource: { buffer: stepTable, offset: 0, size: STEP_BINDING } });
    }
    const kernel = kernels.get(spec.kernel, spec.launch.variant);
    const bindGroup = res.bindGroup({ label: `${label}: ${spec.kernel} #${i}`, layout: kernel.layout, entries });
    return { kernel: spec.kernel, pipeline: kernel.pipeline, bindGroup, groups: spec.launch.groups, step, variant: spec.launch.variant };
  });
}

/** Records a sequence into an open compute pass, with `stepEntry` selecting the step-table entry. */
export function record(
  pass: GPUComputePassEncoder, dispatches: Dispatch[], stepEntry: number, stride: number, stats: GpuStats,
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
