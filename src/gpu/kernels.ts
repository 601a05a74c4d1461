import { KERNEL_NAMES, type KernelName, type ShaderLoader } from './shaders.js';

/**
 * How each kernel binds, in the order of its WGSL header (the CPU argument order): outputs (read_write storage),
 * inputs (read-only storage), its Dims uniform, and for the kernels that read the step table a Step uniform bound
 * with a dynamic offset.
 */
export const BINDINGS: Record<KernelName, { outputs: number; inputs: number; step: boolean }> = {
  gather: { outputs: 2, inputs: 4, step: true },
  matmul_nt: { outputs: 1, inputs: 2, step: false },
  matmul_tn: { outputs: 1, inputs: 2, step: false },
  matmul_nn: { outputs: 1, inputs: 3, step: false },
  bias_add: { outputs: 1, inputs: 1, step: false },
  relu: { outputs: 1, inputs: 1, step: false },
  relu_backward: { outputs: 1, inputs: 2, step: false },
  softmax_xent: { outputs: 2, inputs: 2, step: true },
  column_sum: { outputs: 1, inputs: 1, step: false },
  sgd_update: { outputs: 1, inputs: 1, step: false },
  argmax_count: { outputs: 1, inputs: 2, step: true },
};

export interface Kernel {
  name: KernelName;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

export type Kernels = Record<KernelName, Kernel>;

/** Compiles every kernel once; a WGSL or layout error names the file. */
export async function createKernels(device: GPUDevice, loader: ShaderLoader): Promise<Kernels> {
  const built = await Promise.all(KERNEL_NAMES.map((name) => createKernel(device, name, loader(name))));
  return Object.fromEntries(built.map((k) => [k.name, k])) as Kernels;
}

async function createKernel(device: GPUDevice, name: KernelName, code: string): Promise<Kernel> {
  const { outputs, inputs, step } = BINDINGS[name];
  const entries: GPUBindGroupLayoutEntry[] = [];
  const add = (buffer: GPUBufferBindingLayout) =>
    entries.push({ binding: entries.length, visibility: GPUShaderStage.COMPUTE, buffer });
  for (let i = 0; i < outputs; i++) add({ type: 'storage' });
  for (let i = 0; i < inputs; i++) add({ type: 'read-only-storage' });
  add({ type: 'uniform' });
  if (step) add({ type: 'uniform', hasDynamicOffset: true });
  const layout = device.createBindGroupLayout({ label: name, entries });
  const module = device.createShaderModule({ label: `${name}.wgsl`, code });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    const text = errors.map((m) => `${name}.wgsl:${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
    throw new Error(`WGSL compilation failed:\n${text}`);
  }
  const pipeline = await device.createComputePipelineAsync({
    label: name,
    layout: device.createPipelineLayout({ label: name, bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: 'main' },
  });
  return { name, pipeline, layout };
}

/** A kernel's Dims uniform (u32 words; floats as their bit patterns) and its workgroup counts. */
export interface Launch {
  dims: Uint32Array;
  groups: [number, number, number];
}

/**
 * gather's byte-to-input table: entry v is exactly what ops.gather stores for byte v (the same float64 expression,
 * rounded to fp32 once), so both backends train on bit-identical inputs.
 */
export function normalisationTable(mean: number, std: number): Float32Array {
  const scale = 1 / (255 * std);
  const shift = mean / std;
  return Float32Array.from({ length: 256 }, (_, v) => v * scale - shift);
}

/** matmul flags, as in the WGSL. */
export const BIAS = 1;
export const RELU = 2;
export const MASK = 4;

/** Output block of one matmul workgroup (see matmul_nt.wgsl). */
export const MATMUL_TILE = 64;
/** Threads per workgroup of the 1-D kernels. */
const WORKGROUP = 256;
/** Grid-stride kernels cap their workgroup count: far more threads than any GPU runs at once, within every limit. */
const MAX_STRIDE_GROUPS = 4096;

const words = (...values: number[]): Uint32Array => {
  const out = new Uint32Array(Math.ceil(values.length / 4) * 4); // uniforms bind in 16-byte units
  out.set(values);
  return out;
};
const f32Bits = (x: number): number => new Uint32Array(Float32Array.of(x).buffer)[0];
const strided = (count: number): [number, number, number] => [
  Math.max(1, Math.min(Math.ceil(count / WORKGROUP), MAX_STRIDE_GROUPS)), 1, 1,
];

export interface MatmulArgs {
  m: number;
  n: number;
  k: number;
  flags?: number;
  /** Element offsets of c, a, b and of the epilogue operand (bias, bias gradient or mask). */
  cOff?: number;
  aOff?: number;
  bOff?: number;
  eOff?: number;
}

/** Geometry and uniforms of every kernel, from the sizes its CPU reference takes. */
export const launch = {
  gather: (rows: number, features: number, useOrder: boolean): Launch => ({
    dims: words(rows, features, useOrder ? 1 : 0),
    groups: strided(rows * features),
  }),
  /** matmul_nt, matmul_tn and matmul_nn share one argument block; matmul_tn's BIAS adds a column of workgroups. */
  matmul: (kind: 'nt' | 'tn' | 'nn', { m, n, k, flags = 0, cOff = 0, aOff = 0, bOff = 0, eOff = 0 }: MatmulArgs): Launch => {
    const columns = kind === 'tn' && flags & BIAS ? n + 1 : n;
    return {
      dims: words(m, n, k, flags, cOff, aOff, bOff, eOff),
      groups: [Math.ceil(columns / MATMUL_TILE), Math.ceil(m / MATMUL_TILE), 1],
    };
  },
  biasAdd: (rows: number, n: number, biasOff = 0): Launch => ({ dims: words(rows, n, biasOff), groups: strided(rows * n) }),
  relu: (count: number): Launch => ({ dims: words(count), groups: strided(count) }),
  reluBackward: (count: number): Launch => ({ dims: words(count), groups: strided(count) }),
  softmaxXent: (rows: number, classes: number): Launch => ({ dims: words(rows, classes), groups: [1, 1, 1] }),
  columnSum: (rows: number, n: number): Launch => ({ dims: words(rows, n), groups: [Math.ceil(n / WORKGROUP), 1, 1] }),
  sgdUpdate: (count: number, lr: number): Launch => ({ dims: words(count, f32Bits(lr)), groups: strided(count) }),
  argmaxCount: (rows: number, classes: number): Launch => ({ dims: words(rows, classes), groups: [1, 1, 1] }),
};
