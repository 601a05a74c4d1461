/**
 * Every kernel and the pipelines of a device. Each kernel is its WGSL file and its definition in ./kernels/ (by
 * family, as src/cpu/ is by operation); KernelName, the bind group layouts and `launch` derive from the definitions.
 */

import { activation } from './kernels/activations.js';
import type { KernelDefinition, Launch } from './kernels/define.js';
import { gather, gatherFloats } from './kernels/gather.js';
import { argmaxCount, mseOnehot, mseTargets, softmaxCrossEntropy } from './kernels/losses.js';
import { matmul } from './kernels/matmul.js';
import { noop } from './kernels/noop.js';
import { adamUpdate, momentumUpdate, rmspropUpdate, sgdUpdate } from './kernels/updates.js';
import { type MatmulVariant, variantConstants, variantKey } from './matmul-variants.js';
import type { ShaderLoader } from './shaders.js';

export type { Launch } from './kernels/define.js';
export { normalisationTable } from './kernels/gather.js';
export { BIAS, BIAS_GRAD, MASK, RELU, UPDATE } from './kernels/matmul.js';
export { optimizerSettings, optimizerStepValues } from './kernels/updates.js';

/**
 * Every kernel. Its name is its file, shaders/<name>.wgsl, and the snake_case of its CPU reference function in
 * src/cpu/ (softmax_cross_entropy: softmaxCrossEntropy, argmax_count: argmaxCount), except `mse_onehot` (mseOneHot,
 * "one-hot" taken as one word), `matmul` (the family of matmulNT, matmulTN and matmulNN, see
 * src/gpu/matmul-variants.ts), `activation` (every hidden activation and dropout, forward and backward) and `noop` (the
 * benchmark's overhead baseline, with no CPU reference).
 */
const DEFINITIONS = [
  gather,
  gatherFloats,
  matmul,
  softmaxCrossEntropy,
  mseOnehot,
  mseTargets,
  activation,
  sgdUpdate,
  momentumUpdate,
  adamUpdate,
  rmspropUpdate,
  argmaxCount,
  noop,
] as const;

/** One kernel's definition, as KERNELS lists them. */
export type Definition = (typeof DEFINITIONS)[number];
export type KernelName = Definition['name'];

/** How each kernel binds and what its WGSL takes from TypeScript, by name. */
export const KERNELS = Object.fromEntries(DEFINITIONS.map((definition) => [definition.name, definition])) as Record<
  KernelName,
  KernelDefinition<KernelName, never>
>;

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;
const camelCase = (name: string): string => name.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());

/** Geometry and uniforms of every kernel, by the camelCase of its name: launch.softmaxCrossEntropy(rows, classes). */
export const launch = Object.fromEntries(
  DEFINITIONS.map((definition) => [camelCase(definition.name), definition.launch]),
) as {
  readonly [D in Definition as CamelCase<D['name']>]: D['launch'];
};

export interface Kernel {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

/**
 * The pipelines of a device, each compiled the first time a dispatch list asks for it (prepare): a session compiles
 * only the kernels and matmul variants its own dispatches use, a test or the benchmark only those it dispatches.
 */
export class Kernels {
  private readonly layouts = new Map<KernelName, GPUBindGroupLayout>();
  private readonly modules = new Map<KernelName, Promise<GPUShaderModule>>();
  private readonly built = new Map<string, Kernel>();
  private readonly pending = new Map<string, Promise<Kernel>>();

  /** `software`: the device is a software adapter's, whose kernels take their definitions' softwareConstants. */
  constructor(
    readonly device: GPUDevice,
    private readonly loader: ShaderLoader,
    readonly software = false,
  ) {}

  /** What has been compiled so far: kernel names, and matmul variants as matmul.<form>.<tile>.<mode>. */
  get compiled(): string[] {
    return [...this.built.keys()];
  }

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
      // Checked before anything is made: a variant that breaks what matmul.wgsl assumes throws here.
      const definition = KERNELS[name];
      const constants = {
        ...definition.constants,
        ...(this.software ? definition.softwareConstants : {}),
        ...(variant ? variantConstants(variant) : {}),
      };
      job = this.module(name).then(async (module) => {
        const layout = this.layout(name);
        const pipeline = await this.device.createComputePipelineAsync({
          label: key,
          layout: this.device.createPipelineLayout({ label: key, bindGroupLayouts: [layout] }),
          compute: { module, entryPoint: 'main', constants },
        });
        const kernel = { pipeline, layout };
        this.built.set(key, kernel);
        return kernel;
      });
      this.pending.set(key, job);
    }
    return job;
  }

  /** Each WGSL file is compiled once; its variants are pipelines of the one module with other constants. */
  private module(name: KernelName): Promise<GPUShaderModule> {
    let module = this.modules.get(name);
    if (!module) this.modules.set(name, (module = compileModule(this.device, name, this.loader(name))));
    return module;
  }

  private layout(name: KernelName): GPUBindGroupLayout {
    let layout = this.layouts.get(name);
    if (!layout) {
      const { outputs, inputs, models, step } = KERNELS[name];
      const entries: GPUBindGroupLayoutEntry[] = [];
      const add = (buffer: GPUBufferBindingLayout) =>
        entries.push({ binding: entries.length, visibility: GPUShaderStage.COMPUTE, buffer });
      for (let i = 0; i < outputs; i++) add({ type: 'storage' });
      for (let i = 0; i < inputs; i++) add({ type: 'read-only-storage' });
      if (models) add({ type: 'read-only-storage' });
      add({ type: 'uniform' });
      if (step) add({ type: 'uniform', hasDynamicOffset: true });
      layout = this.device.createBindGroupLayout({ label: name, entries });
      this.layouts.set(name, layout);
    }
    return layout;
  }
}

const keyOf = (name: KernelName, variant?: MatmulVariant): string => (variant ? variantKey(variant) : name);

/** A device's pipelines, none compiled yet: each is compiled when a dispatch list first needs it. */
export function createKernels(device: GPUDevice, loader: ShaderLoader, software = false): Kernels {
  return new Kernels(device, loader, software);
}

const byDevice = new WeakMap<GPUDevice, Map<ShaderLoader, Kernels>[]>();

/** The pipelines every backend on `device` shares: a kernel compiles once per device, however many models use it. */
export function deviceKernels(device: GPUDevice, loader: ShaderLoader, software = false): Kernels {
  let bySoftware = byDevice.get(device);
  if (!bySoftware) byDevice.set(device, (bySoftware = [new Map(), new Map()]));
  const byLoader = bySoftware[Number(software)];
  let kernels = byLoader.get(loader);
  if (!kernels) byLoader.set(loader, (kernels = createKernels(device, loader, software)));
  return kernels;
}

/** A WGSL file compiled; an error names the file, line and column. */
async function compileModule(device: GPUDevice, name: KernelName, code: string): Promise<GPUShaderModule> {
  const module = device.createShaderModule({ label: `${name}.wgsl`, code });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    const text = errors.map((m) => `${name}.wgsl:${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
    throw new Error(`WGSL compilation failed:\n${text}`);
  }
  return module;
}
