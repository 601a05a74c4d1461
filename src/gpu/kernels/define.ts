/**
 * What every kernel definition is made of. A kernel is its WGSL file, shaders/<name>.wgsl, and one definition beside
 * it (src/gpu/kernels/<family>.ts): how it binds, the constants its WGSL takes from TypeScript, and how a launch packs
 * its Dims uniform and sizes its grid. Nothing else describes a kernel's contract.
 */
import type { MatmulVariant } from '../matmul-variants.js';

/** A kernel's Dims uniform (u32 words, floats as bits), its workgroup counts, and for a matmul its variant. */
export interface Launch {
  dims: Uint32Array;
  groups: [number, number, number];
  variant?: MatmulVariant;
  /** A grid-stride loop along x (strided): any number of workgroups there covers the work. */
  gridStride?: boolean;
}

export interface KernelDefinition<Name extends string = string, Args extends unknown[] = never[]> {
  /** The file name, shaders/<name>.wgsl: the snake_case of its CPU reference function. */
  readonly name: Name;
  /**
   * How it binds, in the order of its WGSL header (the CPU argument order): `outputs` read_write storage buffers,
   * `inputs` read-only storage buffers, with `models` the model table (read-only storage), its Dims uniform, and with
   * `step` a Step uniform bound with a dynamic offset (the step table and the model table: see src/gpu/tables.ts).
   */
  readonly outputs: number;
  readonly inputs: number;
  readonly models: boolean;
  readonly step: boolean;
  /**
   * The values of its WGSL's pipeline-overridable constants (`override NAME: u32;`, no default), set when its
   * pipeline is made: a name missing on either side fails pipeline creation, naming it.
   */
  readonly constants?: Readonly<Record<string, number>>;
  /** Values that replace some of `constants` on a software adapter (Kernels' `software`). */
  readonly softwareConstants?: Readonly<Record<string, number>>;
  /** Its Dims and workgroup counts, from the sizes its CPU reference takes. */
  readonly launch: (...args: Args) => Launch;
}

/** A definition, its name and launch arguments kept as literal types (KernelName and `launch` derive from them). */
export const defineKernel = <Name extends string, Args extends unknown[]>(
  definition: KernelDefinition<Name, Args>,
): KernelDefinition<Name, Args> => definition;

/**
 * Threads per workgroup of the 1-D kernels and of the losses' reductions (their WGSL's override WORKGROUP) on a GPU:
 * two warps.
 */
export const WORKGROUP = 64;
/**
 * The same kernels' threads on a software adapter (their softwareConstants): one SIMD group of SwiftShader's, which
 * runs a workgroup on one core 4 invocations at a time, paying for every invocation's start (the model-table row and
 * uniforms it reads) and every barrier, busy or idle. 16 models of a 13-16-3 network on SwiftShader: the loss dispatch
 * took 79 us against 756 with 64 threads; Adam over 276 parameters 135 us in one workgroup a model against 485 in
 * five of 64.
 */
export const SOFTWARE_THREADS = { WORKGROUP: 4 };
/** Grid-stride kernels cap their workgroup count: far more threads than any GPU runs at once, within every limit. */
const MAX_STRIDE_GROUPS = 4096;

/**
 * A software adapter's grid-stride workgroups: one per SOFTWARE_STRIDE_ELEMENTS elements, at most
 * SOFTWARE_STRIDE_GROUPS. Its few CPU cores pay for every workgroup they start, and a grid-stride loop's threads take
 * the rest in turn (784-128-10's batch gather on SwiftShader: 4.5 ms in 784 workgroups, 1.7 ms in 32; Adam over 276
 * parameters of 16 models: 135 us in one workgroup per model, 171 in five).
 */
const SOFTWARE_STRIDE_ELEMENTS = 1024;
const SOFTWARE_STRIDE_GROUPS = 32;

/** A grid-stride launch's grid (strided's) on a software adapter (Kernels' `software`). */
export const softwareStride = ([x, y, z]: [number, number, number]): [number, number, number] => [
  Math.max(1, Math.min(Math.ceil((x * WORKGROUP) / SOFTWARE_STRIDE_ELEMENTS), SOFTWARE_STRIDE_GROUPS)),
  y,
  z,
];

/** A Dims uniform of these u32 words, padded to the 16-byte units that uniforms bind in. */
export const words = (...values: number[]): Uint32Array => {
  const out = new Uint32Array(Math.ceil(values.length / 4) * 4);
  out.set(values);
  return out;
};

/** Override constants naming the values of a Dims selector: each name upper-cased with _ for -, valued by its index. */
export const kindConstants = (names: readonly string[]): Record<string, number> =>
  Object.fromEntries(names.map((name, kind) => [name.toUpperCase().replace(/-/g, '_'), kind]));

/** An f32's bit pattern, for a Dims word that WGSL reads as f32. */
export const f32Bits = (x: number): number => new Uint32Array(Float32Array.of(x).buffer)[0];

/** The grid of a grid-stride loop over `count` elements of each of `models` models (workgroup z: the model). */
export const strided = (count: number, models = 1): [number, number, number] => [
  Math.max(1, Math.min(Math.ceil(count / WORKGROUP), MAX_STRIDE_GROUPS)),
  1,
  models,
];

/**
 * How the models of a dispatch lie in its buffers: `models` of them (the grid's z), each buffer's model block
 * `stride` elements after the previous one (0 where the models share it). Default: one model.
 */
export interface Stacked {
  models?: number;
  stride?: number;
}
