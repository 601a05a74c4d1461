import type { Backend, ModelsOptions, ModelsSession, SessionOptions, SessionSettings } from '../backend.js';
import { type Gpu, type GpuOptions, requestGpu } from './device.js';
import { deviceKernels, type Kernels } from './kernels.js';
import { type MatmulChoice, SOFTWARE_CHOICE } from './matmul-variants.js';
import { DEFAULT_EVAL_ROWS, makePlan } from './plan.js';
import { type SessionTuning, WebGpuModels } from './session.js';
import type { ShaderLoader } from './shaders.js';
import { WebGpuSession } from './single-session.js';

export interface WebGpuBackendOptions extends GpuOptions, Omit<SessionTuning, 'onDispose'> {
  /** Train on this device instead of opening one; dispose() then leaves it open for its owner to destroy. */
  gpu?: Gpu;
}

/** Training on a WebGPU device: each kernel is compiled once per device, when a session first needs it, and shared
 * by the sessions of every backend on the device. */
export class WebGpuBackend implements Backend {
  readonly kind = 'webgpu';
  readonly device: string;
  private readonly sessions = new Set<WebGpuSession | WebGpuModels>();

  constructor(
    readonly gpu: Gpu,
    /** The device's pipelines, shared by every backend on it (the benchmark times them directly too). */
    readonly kernels: Kernels,
    private readonly ownsGpu: boolean,
    private readonly tuning: Omit<SessionTuning, 'onDispose'> = {},
  ) {
    this.device = gpu.description;
  }

  /** A session planned by WebGpuSession.create: settings, then the device's limits, then the parameters. */
  async createSession(options: SessionOptions): Promise<WebGpuSession> {
    const session: WebGpuSession = await WebGpuSession.create(this.gpu, this.kernels, options, {
      ...this.tuning,
      onDispose: () => this.sessions.delete(session),
    });
    this.sessions.add(session);
    return session;
  }

  /** Models trained together, every step of all of them in the same dispatches (WebGpuModels). */
  async createModels(options: ModelsOptions): Promise<ModelsSession> {
    const models: WebGpuModels = await WebGpuModels.create(this.gpu, this.kernels, options, {
      ...this.tuning,
      onDispose: () => this.sessions.delete(models),
    });
    this.sessions.add(models);
    return models;
  }

  /**
   * Throws the UserError naming the setting or limit where a session of these settings would be refused, allocating
   * nothing: the CLI's `--backend auto` falls back to the CPU on it. createSession makes the same checks itself.
   */
  checkFits(settings: SessionSettings): void {
    const { evalRows = DEFAULT_EVAL_ROWS, dataShardBytes, gpuDataBytes } = this.tuning;
    makePlan(settings, evalRows, this.gpu.device, { shardBytes: dataShardBytes, residentBytes: gpuDataBytes });
  }

  /** Disposes the sessions still open, then destroys the device if this backend opened it. */
  dispose(): void {
    for (const session of [...this.sessions]) session.dispose();
    if (this.ownsGpu) this.gpu.destroy();
  }
}

/**
 * Opens a device (unless one is given) whose sessions compile their kernels from `loader`: nodeShaderLoader in Node
 * (./shaders-node.js), a loader over import.meta.glob in a browser build (see ./shaders.js).
 */
export async function createWebGpuBackend(
  loader: ShaderLoader,
  options: WebGpuBackendOptions = {},
): Promise<WebGpuBackend> {
  const gpu = options.gpu ?? (await requestGpu(options));
  const { evalRows, prerecord, dataShardBytes, gpuDataBytes } = options;
  const matmul = { ...defaultMatmulChoice(gpu), ...options.matmul };
  const tuning = { evalRows, matmul, prerecord, dataShardBytes, gpuDataBytes };
  return new WebGpuBackend(gpu, deviceKernels(gpu.device, loader, gpu.adapter.software), !options.gpu, tuning);
}

/** How matmul variants are picked on this device: a software adapter runs workgroups on a few CPU cores, where the
 * micro tile wins (see SOFTWARE_CHOICE); a GPU takes the defaults of pickMatmul. */
export function defaultMatmulChoice(gpu: Gpu): MatmulChoice {
  return gpu.adapter.software ? SOFTWARE_CHOICE : {};
}
