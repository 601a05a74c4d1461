/** Opening the backend a model computes on: each model its own, so models never share state unless given one device. */
import type { Backend } from '../backend.js';
import { CpuBackend } from '../cpu/backend.js';
import { NoAdapterError, UserError } from '../errors.js';
import { createWebGpuBackend } from '../gpu/backend.js';
import type { Gpu } from '../gpu/device.js';
import { embeddedShaderLoader } from '../gpu/shaders-embedded.js';
import type { ShaderLoader } from '../gpu/shaders.js';
import type { BackendChoice } from './options.js';

const CHOICES: readonly BackendChoice[] = ['auto', 'cpu', 'webgpu'];

/**
 * The backend of `choice`: the CPU reference; WebGPU (on `gpu` where given, else a device of its own, which the
 * backend's dispose destroys); or `auto`, WebGPU where an adapter exists and else the CPU.
 */
export async function openBackend(choice: BackendChoice, gpu?: Gpu, shaders?: ShaderLoader): Promise<Backend> {
  if (!CHOICES.includes(choice)) throw new UserError(`backend "${String(choice)}" is not one of ${CHOICES.join(', ')}`);
  if (choice === 'cpu') {
    if (gpu) throw new UserError('gpu applies to backend webgpu or auto only');
    return new CpuBackend();
  }
  const webgpu = async () => createWebGpuBackend(shaders ?? embeddedShaderLoader, { probe: true, ...(gpu ? { gpu } : {}) });
  if (choice === 'webgpu') return webgpu();
  try {
    return await webgpu();
  } catch (error) {
    if (error instanceof NoAdapterError) return new CpuBackend();
    throw error;
  }
}
