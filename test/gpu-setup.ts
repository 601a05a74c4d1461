import { createDawn } from '../src/gpu/dawn-node.js';
import { type Gpu, requestGpu } from '../src/gpu/device.js';
import { deviceKernels, type KernelName, type Kernels, type Launch } from '../src/gpu/kernels.js';
import { uniformStride } from '../src/gpu/plan.js';
import { buildDispatches, createModelTable, createStepTable, Resources, record } from '../src/gpu/record.js';
import { nodeShaderLoader } from '../src/gpu/shaders-node.js';
import type { ModelConstants, ModelRow, StepEntry } from '../src/gpu/tables.js';

/**
 * GPU tests run everywhere: with no Vulkan driver chosen, they use SwiftShader, the software Vulkan driver that
 * Debian's chromium package ships. Set VK_ICD_FILENAMES or VK_DRIVER_FILES to test on a real GPU. This must run
 * before Dawn creates its instance (the Vulkan loader reads the variable then), so it runs on import.
 */
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES) process.env.VK_ICD_FILENAMES = SWIFTSHADER;

/**
 * One device per test process. Compiling a kernel takes SwiftShader seconds, and pipelines belong to a device (the
 * backends on a device share them, see deviceKernels), so every test in a worker uses the same device: the tests'
 * own (openTestGpu), and the ones that the CLI run in-process and MLP.create open through requestGpu. The latter find
 * it as a browser's code finds its GPU, through navigator.gpu (which requestGpu prefers to starting Dawn): an adapter
 * whose requestDevice hands out the one device, made with the first caller's limits (requestGpu's, the adapter's
 * maxima). Each requestGpu still returns a Gpu of its own, with its own errors and buffer counts; their destroy()
 * leaves the shared device open for the next test, and the process's exit ends it.
 */
/** Dawn's instance, held for the process's life: its adapters and devices do not keep it alive. */
let dawn: Promise<GPU> | undefined;
let adapter: Promise<GPUAdapter | null> | undefined;
let shared: Promise<GPUDevice> | undefined;
/** Set while openTestGpu({ own: true }) asks for a device: the next requestDevice makes a new one. */
let ownNext = false;

const sharingGpu = {
  async requestAdapter(options?: GPURequestAdapterOptions): Promise<GPUAdapter | null> {
    dawn ??= createDawn([]);
    const instance = await dawn;
    const real = await (adapter ??= instance.requestAdapter(options));
    if (!real) return null;
    const requestDevice = async (descriptor?: GPUDeviceDescriptor): Promise<GPUDevice> => {
      if (ownNext) {
        // An adapter makes one device: a device of its own needs an adapter of its own.
        ownNext = false;
        const own = await instance.requestAdapter(options);
        if (!own) throw new Error('Dawn found an adapter once, then none');
        return own.requestDevice(descriptor);
      }
      shared ??= real.requestDevice(descriptor).then((device) => {
        device.destroy = () => {};
        return device;
      });
      return shared;
    };
    return { limits: real.limits, features: real.features, info: real.info, requestDevice } as unknown as GPUAdapter;
  },
} as unknown as GPU;
Object.defineProperty(globalThis, 'navigator', { value: { gpu: sharingGpu }, configurable: true, writable: true });

/**
 * A device for tests: the process's shared one, or with `own` a device of its own, for tests that lose or destroy
 * it, or that count what a fresh device compiles. No adapter fails the suite with the way to get one: GPU tests
 * never skip.
 */
export async function openTestGpu(options: { own?: boolean } = {}): Promise<Gpu> {
  ownNext = options.own === true;
  try {
    return await requestGpu();
  } catch (error) {
    throw new Error(
      `the GPU tests need a WebGPU adapter and could not get one (they fail rather than skip): ${(error as Error).message}`,
    );
  } finally {
    ownNext = false;
  }
}

/**
 * Whether the matmul-heavy tests force every matmul variant: on a GPU, or with WEBGPU_MLP_ALL_MATMULS=1. On a
 * software adapter, where compiling one takes seconds, they force only the variants that test/gpu-matmul.test.ts
 * compiles there (those training picks, SOFTWARE_CHOICE, and one split-K tile per mode), which the worker's shared
 * pipelines then serve.
 */
export const everyMatmul = (gpu: Gpu): boolean => !gpu.adapter.software || process.env.WEBGPU_MLP_ALL_MATMULS === '1';

/** NaN as a u32 bit pattern: poisons float and integer outputs alike, so an element nobody wrote fails. */
const POISON = 0x7fc00000;

/** Runs single kernels on small buffers: upload inputs, poison outputs, dispatch (compiling the kernel the first
 * time), read back. */
export class KernelRunner {
  readonly res: Resources;

  private constructor(
    readonly gpu: Gpu,
    readonly kernels: Kernels,
  ) {
    this.res = new Resources(gpu);
  }

  /** By default the pipelines the device's backends share, so a kernel compiles once per test process. */
  static async create(gpu: Gpu, kernels: Kernels = deviceKernels(gpu.device, nodeShaderLoader)): Promise<KernelRunner> {
    return new KernelRunner(gpu, kernels);
  }

  input(data: ArrayBufferView): GPUBuffer {
    return this.res.buffer('input', data.byteLength, GPUBufferUsage.STORAGE, data);
  }

  /** An output of `words` 32-bit elements, every one poisoned. */
  output(words: number): GPUBuffer {
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
    return this.res.buffer('output', words * 4, usage, new Uint32Array(words).fill(POISON));
  }

  /**
   * Dispatches one kernel; kernels that read the step table get `steps`, recorded at entry `entry`, and the model
   * table of one model: `rows` per entry (default: active) with `model`'s constants.
   */
  async run(
    kernel: KernelName,
    outputs: GPUBuffer[],
    inputs: GPUBuffer[],
    launch: Launch,
    steps?: { table: StepEntry[]; entry: number; rows?: ModelRow[]; model?: ModelConstants },
  ): Promise<void> {
    const { device } = this.gpu;
    const tables = steps && {
      step: createStepTable(this.res, steps.table),
      models: createModelTable(
        this.res,
        steps.table.map((_, at) => [steps.rows?.[at] ?? {}]),
        [steps.model ?? {}],
      ),
    };
    const [dispatch] = await buildDispatches(
      this.res,
      this.kernels,
      [{ kernel, outputs, inputs, launch }],
      tables ?? null,
      kernel,
    );
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    record(pass, [dispatch], steps?.entry ?? 0, uniformStride(device), this.res.stats);
    pass.end();
    device.pushErrorScope('validation');
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    if (error) throw new Error(`${kernel}: ${error.message}`);
  }

  async read(buffer: GPUBuffer, words: number): Promise<ArrayBuffer> {
    const staging = this.res.buffer('staging', words * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const encoder = this.gpu.device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, words * 4);
    this.gpu.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const copy = staging.getMappedRange().slice(0, words * 4);
    staging.unmap();
    this.gpu.check();
    return copy;
  }

  async readF32(buffer: GPUBuffer, length: number): Promise<Float32Array> {
    return new Float32Array(await this.read(buffer, length));
  }

  async readU32(buffer: GPUBuffer, length: number): Promise<Uint32Array> {
    return new Uint32Array(await this.read(buffer, length));
  }

  destroy(): void {
    this.res.destroy();
  }
}

/**
 * Dot products of k terms, each |a·b| <= 1, accumulated in fp32: the rounding error is at most about k · 2^-24 per
 * unit of Σ|a·b| (about 6e-8 · k) and typically √k times smaller. atol 1e-6 · k leaves a 16x margin on the worst case
 * and is still 1e-4 at k = 130, far below any real bug; rtol 1e-5 covers the large outputs.
 */
export const matmulTol = (k: number) => ({ atol: 1e-6 * k, rtol: 1e-5 });

/** An input with `pad` leading junk floats, so element offsets in the Dims are exercised too. */
export function withLeadingJunk(values: Float32Array, pad: number): Float32Array {
  const out = new Float32Array(pad + values.length).fill(1e30);
  out.set(values, pad);
  return out;
}
