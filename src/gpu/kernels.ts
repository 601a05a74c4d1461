import { dropoutThreshold } from '../model/counter-hash.js';
import { LEAKY_SLOPE, type Activation, type Loss } from '../model/spec.js';
import {
  MATMUL_TILES, MIN_TILE_EDGE, pickMatmul, specialise, variantConstants, variantKey,
  type MatmulForm, type MatmulMode, type MatmulTile, type MatmulVariant,
} from './matmul.js';
import { KERNEL_NAMES, type KernelName, type ShaderLoader } from './shaders.js';
import { adamBiasCorrection, type OptimizerConfig } from '../model/optimizer.js';

/**
 * How each kernel binds, in the order of its WGSL header (the CPU argument order): outputs (read_write storage),
 * inputs (read-only storage), its Dims uniform, and for the kernels that read the step table a Step uniform bound
 * with a dynamic offset.
 */
export const BINDINGS: Record<KernelName, { outputs: number; inputs: number; step: boolean }> = {
  gather: { outputs: 2, inputs: 4, step: true },
  matmul: { outputs: 1, inputs: 3, step: false },
  bias_add: { outputs: 1, inputs: 1, step: false },
  relu: { outputs: 1, inputs: 1, step: false },
  relu_backward: { outputs: 1, inputs: 2, step: false },
  softmax_xent: { outputs: 2, inputs: 2, step: true },
  mse_onehot: { outputs: 2, inputs: 2, step: true },
  activation: { outputs: 1, inputs: 1, step: true },
  column_sum: { outputs: 1, inputs: 1, step: false },
  sgd_update: { outputs: 1, inputs: 1, step: true },
  momentum_update: { outputs: 2, inputs: 1, step: true },
  adam_update: { outputs: 3, inputs: 1, step: true },
  argmax_count: { outputs: 1, inputs: 2, step: true },
  noop: { outputs: 1, inputs: 0, step: false },
};

export interface Kernel {
  name: KernelName;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

/**
 * Every pipeline of a device, compiled once. The fixed kernels are compiled when this is made; matmul variants
 * when a session (or a test, or the benchmark) first asks for them through prepare(), since a run needs only a
 * few of the family's 36.
 */
export class Kernels {
  private readonly layouts = new Map<KernelName, GPUBindGroupLayout>();
  private readonly built = new Map<string, Kernel>();
  private readonly pending = new Map<string, Promise<Kernel>>();

  constructor(readonly device: GPUDevice, private readonly loader: ShaderLoader) {}

  /** The pipeline of a kernel, or of one matmul variant; it must have been compiled (prepare). */
  get(name: KernelName, variant?: MatmulVariant): Kernel {
    const key = keyOf(name, variant);
    const kernel = this.built.get(key);
    if (!kernel) throw new Error(`kernel ${key} has not been compiled: call prepare() first`);
    return kernel;
  }

  /** Compiles whatever these launches need that is not compiled yet; a WGSL or layout error names the file. */
  async prepare(launches: { kernel: KernelName; launch: Launch }[]): Promise<void> {
    await Promise.all(launches.map(({ kernel, launch }) => this.compile(kernel, launch.variant)));
  }

  compile(name: KernelName, variant?: MatmulVariant): Promise<Kernel> {
    if (name === 'matmul' && !variant) throw new Error('a matmul launch must name its variant');
    const key = keyOf(name, variant);
    let job = this.pending.get(key);
    if (!job) {
      const source = this.loader(name);
      job = createKernel(this.device, name, this.layout(name), variant ? specialise(source, variantConstants(variant)) : source, key)
        .then((kernel) => {
          this.built.set(key, kernel);
          return kernel;
        });
      this.pending.set(key, job);
    }
    return job;
  }

  private layout(name: KernelName): GPUBindGroupLayout {
    let layout = this.layouts.get(name);
    if (!layout) {
      const { outputs, inputs, step } = BINDINGS[name];
      const entries: GPUBindGroupLayoutEntry[] = [];
      const add = (buffer: GPUBufferBindingLayout) =>
        entries.push({ binding: entries.length, visibility: GPUShaderStage.COMPUTE, buffer });
      for (let i = 0; i < outputs; i++) add({ type: 'storage' });
      for (let i = 0; i < inputs; i++) add({ type: 'read-only-storage' });
      add({ type: 'uniform' });
      if (step) add({ type: 'uniform', hasDynamicOffset: true });
      layout = this.device.createBindGroupLayout({ label: name, entries });
      this.layouts.set(name, layout);
    }
    return layout;
  }
}

const keyOf = (name: KernelName, variant?: MatmulVariant): string => (variant ? variantKey(variant) : name);

/** Compiles every fixed kernel (matmul variants come later, as needed). */
export async function createKernels(device: GPUDevice, loader: ShaderLoader): Promise<Kernels> {
  const kernels = new Kernels(device, loader);
  await Promise.all(KERNEL_NAMES.filter((name) => name !== 'matmul').map((name) => kernels.compile(name)));
  return kernels;
}

async function createKernel(
  device: GPUDevice, name: KernelName, layout: GPUBindGroupLayout, code: string, label: string,
): Promise<Kernel> {
  const module = device.createShaderModule({ label: `${name}.wgsl`, code });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    const text = errors.map((m) => `${name}.wgsl (${label}):${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
    throw new Error(`WGSL compilation failed:\n${text}`);
  }
  const pipeline = await device.createComputePipelineAsync({
    label,
    layout: device.createPipelineLayout({ label, bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: 'main' },
  });
  return { name, pipeline, layout };
}

/** A kernel's Dims uniform (u32 words; floats as their bit patterns), its workgroup counts, and for a matmul the
 * variant that runs it. */
export interface Launch {
  dims: Uint32Array;
  groups: [number, number, number];
  variant?: MatmulVariant;
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

/** matmul epilogue flags, as in matmul.wgsl. */
export const BIAS = 1;
export const RELU = 2;
export const MASK = 4;
export const BIAS_GRAD = 8;
export const UPDATE = 16;

/** activation.wgsl's d.kind of each activation. */
const ACTIVATION_KINDS: Record<Activation, number> = { relu: 0, 'leaky-relu': 1, sigmoid: 2, tanh: 3, gelu: 4 };

/** Dropout on one hidden layer's output: the rate, the hash's key, and the layer's index (1 for the first). */
export interface LayerDropout {
  rate: number;
  seed: number;
  layer: number;
}

/** The most workgroups a matmul asks for along one dimension, for a side of `size`. */
export const matmulGroupsAlong = (size: number): number => Math.ceil(size / MIN_TILE_EDGE);

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
  /** The SGD learning rate, for UPDATE. */
  lr?: number;
  /** Force a tile or a mode instead of the one picked by shape (the benchmark, the tests). */
  tile?: MatmulTile;
  mode?: MatmulMode;
  /** The device's parallelism and tiles, for the pick (see MatmulChoice). */
  minWorkgroups?: number;
  tiles?: MatmulTile[];
}

/** Geometry and uniforms of every kernel, from the sizes its CPU reference takes. */
export const launch = {
  gather: (rows: number, features: number, useOrder: boolean): Launch => ({
    dims: words(rows, features, useOrder ? 1 : 0),
    groups: strided(rows * features),
  }),
  /** Every matmul form takes one argument block; the variant is picked by shape (matmul.ts, pickMatmul). */
  matmul: (form: MatmulForm, args: MatmulArgs): Launch => {
    const { m, n, k, flags = 0, cOff = 0, aOff = 0, bOff = 0, eOff = 0, lr = 0 } = args;
    const variant = pickMatmul(form, { m, n, k, aOff, bOff }, args);
    const { tm, tn } = MATMUL_TILES[variant.tile];
    return {
      dims: words(m, n, k, flags, cOff, aOff, bOff, eOff, f32Bits(lr)),
      groups: [Math.ceil(n / tn), Math.ceil(m / tm), 1],
      variant,
    };
  },
  /** The overhead baseline: one thread writes one word. */
  noop: (): Launch => ({ dims: words(0), groups: [1, 1, 1] }),
  biasAdd: (rows: number, n: number, biasOff = 0): Launch => ({ dims: words(rows, n, biasOff), groups: strided(rows * n) }),
  relu: (count: number): Launch => ({ dims: words(count), groups: strided(count) }),
  reluBackward: (count: number): Launch => ({ dims: words(count), groups: strided(count) }),
  softmaxXent: (rows: number, classes: number): Launch => ({ dims: words(rows, classes), groups: [1, 1, 1] }),
  mseOnehot: (rows: number, classes: number): Launch => ({ dims: words(rows, classes), groups: [1, 1, 1] }),
  /** The activation over `count` values, forward or backward, with the dropout of one hidden layer when given. */
  activation: (count: number, kind: Activation, backward: boolean, dropout?: LayerDropout): Launch => {
    // Rate 0 is threshold 0 (keep everything): the kernel then skips the hash.
    const { rate = 0, seed = 0, layer = 0 } = dropout ?? {};
    return {
      dims: words(count, ACTIVATION_KINDS[kind], backward ? 1 : 0, layer, seed, dropoutThreshold(rate),
        f32Bits(1 / (1 - rate)), f32Bits(LEAKY_SLOPE)),
      groups: strided(count),
    };
  },
  columnSum: (rows: number, n: number): Launch => ({ dims: words(rows, n), groups: [Math.ceil(n / WORKGROUP), 1, 1] }),
  /** The optimisers' updates over the flat parameter vector: settings in the Dims, the rate from the step table. */
  sgdUpdate: (count: number, weightDecay: number): Launch => ({
    dims: words(count, f32Bits(weightDecay)), groups: strided(count),
  }),
  momentumUpdate: (count: number, o: OptimizerConfig): Launch => ({
    dims: words(count, f32Bits(o.momentum), f32Bits(1 - o.dampening), f32Bits(o.weightDecay), o.name === 'nesterov' ? 1 : 0),
    groups: strided(count),
  }),
  adamUpdate: (count: number, o: OptimizerConfig): Launch => ({
    dims: words(count, f32Bits(o.beta1), f32Bits(o.beta2), f32Bits(1 - o.beta1), f32Bits(1 - o.beta2), f32Bits(o.eps),
      f32Bits(o.name === 'adamw' ? 0 : o.weightDecay)),
    groups: strided(count),
  }),
  argmaxCount: (rows: number, classes: number, loss: Loss): Launch => ({
    dims: words(rows, classes, loss === 'mse' ? 1 : 0), groups: [1, 1, 1],
  }),
};

/**
 * The optimiser's values of one step-table entry (Step.opt) for run step `run` (0-based) at rate `lr`: computed on
 * the CPU in float64 as PyTorch computes its host scalars, rounded to f32 once when the table is written. Only
 * adam_update reads them: [step_size = lr / (1 − β1^t), bc2_sqrt = √(1 − β2^t), decay = 1 − lr · wd for AdamW (1 for
 * Adam), 0] with t = run + 1. The other optimisers need no more than the entry's run and lr.
 */
export function optimizerStepValues(o: OptimizerConfig, lr: number, run: number): number[] {
  if (o.name !== 'adam' && o.name !== 'adamw') return [];
  const { stepSize, bc2Sqrt } = adamBiasCorrection(lr, o.beta1, o.beta2, run + 1);
  return [stepSize, bc2Sqrt, o.name === 'adamw' ? 1 - lr * o.weightDecay : 1, 0];
}
