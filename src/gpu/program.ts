import { KERNELS, type KernelName, type Kernels, type Launch } from './kernels.js';
import type { MatmulVariant } from './matmul.js';
import { uniformStride, type GpuStats, type Resources } from './resources.js';

export type { GpuStats } from './resources.js';

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

/**
 * One step-table entry, as WGSL's struct Step { start: u32, slot: u32, run: u32, lr: f32, opt: vec4f }:
 * - start: the first row of the epoch order (or of the test set) this step or evaluation batch reads;
 * - slot: where it writes its result (the loss of training step s, the counts of evaluation batch b);
 * - run: the run's step count, 0-based (learning-rate schedule, optimiser bias corrections, dropout masks);
 * - lr: the learning rate of that step, the schedule evaluated on the CPU in float64 and rounded once;
 * - opt: four per-step values of the optimiser (its kernel's header says which), e.g. Adam's bias corrections.
 * Kernels that need fewer fields declare a shorter struct: the binding is STEP_BINDING bytes either way.
 */
export interface StepEntry {
  start: number;
  slot: number;
  run?: number;
  lr?: number;
  opt?: readonly number[];
}

/** Bytes of one step-table entry as bound: the whole struct Step. */
const STEP_BINDING = 32;

/** Writes `entries` into a step table's bytes, entry i at i · stride. */
export function encodeStepTable(entries: readonly StepEntry[], stride: number): ArrayBuffer {
  const bytes = new ArrayBuffer(Math.max(1, entries.length) * stride);
  const words = new Uint32Array(bytes);
  const floats = new Float32Array(bytes);
  entries.forEach(({ start, slot, run = 0, lr = 0, opt = [] }, i) => {
    const at = (i * stride) / 4;
    words.set([start, slot, run], at);
    floats[at + 3] = lr;
    floats.set(opt.slice(0, 4), at + 4);
  });
  return bytes;
}

/**
 * The step table that the kernels with a Step binding read through a dynamic offset (see gather.wgsl for why):
 * entry i at i · stride bytes. Written at set-up; a session rewrites its training entries when the run-dependent
 * fields change (once per epoch, before the epoch's first chunk is submitted).
 */
export function createStepTable(res: Resources, entries: readonly StepEntry[]): GPUBuffer {
  const data = new Uint32Array(encodeStepTable(entries, uniformStride(res.device)));
  return res.buffer('step table', data.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, data);
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
    const { outputs, inputs, step } = KERNELS[spec.kernel];
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
