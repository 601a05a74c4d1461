/** The one way a backend is opened, for MLP, the CLI and the page: each model its own unless given one device. */
import type { Backend, SessionSettings } from '../backend.js';
import { CpuBackend } from '../cpu/backend.js';
import { DeviceLostError, NoAdapterError, UserError } from '../errors.js';
import { createWebGpuBackend, WebGpuBackend } from '../gpu/backend.js';
import type { Gpu } from '../gpu/device.js';
import type { ShaderLoader } from '../gpu/shaders.js';
import { embeddedShaderLoader } from '../gpu/shaders-embedded.js';

/** Where a model computes: the CPU reference, WebGPU, or WebGPU where an adapter exists and else the CPU. */
export type BackendChoice = 'auto' | 'cpu' | 'webgpu';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'cpu', 'webgpu'];

/** What `auto` chose, and why it took the CPU: no adapter (`detail` the gist of why), or the GPU's limits. */
export type BackendNote =
  | { kind: 'webgpu' }
  | { kind: 'cpu'; because: 'no-adapter'; detail: string }
  | { kind: 'cpu'; because: 'limits'; error: UserError };

export interface OpenOptions {
  /** A device to share: a WebGPU backend on it leaves it open when disposed. */
  gpu?: Gpu;
  /** The kernels' WGSL (default: the shaders built into the package). */
  shaders?: ShaderLoader;
  /** Settings of a session that must fit: `webgpu` refuses a device too small for them, `auto` takes the CPU. */
  settings?: SessionSettings;
  /** Told what `auto` chose. */
  onChoice?: (note: BackendNote) => void;
}

/** The backend of `choice`: the CPU, WebGPU (on `options.gpu` or its own device), or `auto`, WebGPU if it can. */
export async function openBackend(choice: BackendChoice, options: OpenOptions = {}): Promise<Backend> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new UserError(`backend "${String(choice)}" is not one of ${BACKEND_CHOICES.join(', ')}`);
  }
  const cpu = () => new CpuBackend();
  if (choice === 'cpu') {
    if (options.gpu) throw new UserError('gpu applies to backend webgpu or auto only');
    return cpu();
  }
  // Probing first keeps Dawn's and Vulkan's own diagnostics off the terminal where there is no adapter.
  const webgpu = () =>
    createWebGpuBackend(options.shaders ?? embeddedShaderLoader, {
      probe: true,
      ...(options.gpu ? { gpu: options.gpu } : {}),
    });
  if (choice === 'webgpu') return fitting(await webgpu(), options.settings);
  let backend: Backend;
  try {
    backend = await webgpu();
  } catch (error) {
    if (!(error instanceof UserError) || error instanceof DeviceLostError) throw error;
    const detail = error instanceof NoAdapterError ? error.reason : '';
    options.onChoice?.({ kind: 'cpu', because: 'no-adapter', detail });
    return cpu();
  }
  try {
    fitting(backend, options.settings);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    options.onChoice?.({ kind: 'cpu', because: 'limits', error });
    return cpu();
  }
  options.onChoice?.({ kind: 'webgpu' });
  return backend;
}

/** Throws the UserError naming the limit a session of `settings` would break on `backend`, allocating nothing. */
export function checkFits(backend: Backend, settings: SessionSettings): void {
  if (backend instanceof WebGpuBackend) backend.checkFits(settings);
}

/** `backend`, once a session of `settings` is known to fit its limits; disposed where it does not. */
function fitting(backend: Backend, settings?: SessionSettings): Backend {
  try {
    if (settings) checkFits(backend, settings);
    return backend;
  } catch (error) {
    backend.dispose();
    throw error;
  }
}

/** A DeviceLostError where the GPU device was lost under `backend` (whatever `error` it surfaced as), else `error`. */
export async function explainFailure(error: unknown, backend: Backend): Promise<unknown> {
  if (error instanceof DeviceLostError || !(backend instanceof WebGpuBackend)) return error;
  return (await backend.gpu.loss()) ?? error;
}
