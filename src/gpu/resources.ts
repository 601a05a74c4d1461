/**
 * GPU objects of one owner (a session, a prediction, a test, the benchmark): made through the Gpu, which counts every
 * buffer, counted again here by phase (set-up or after), and destroyed together.
 */
import { UserError, type Wording } from '../errors.js';
import type { Gpu } from './device.js';

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

/** Makes, counts and finally destroys every buffer and bind group of one owner. */
export class Resources {
  readonly stats = emptyStats();
  private readonly buffers: GPUBuffer[] = [];
  private settingUp = true;

  constructor(readonly gpu: Gpu) {}

  get device(): GPUDevice {
    return this.gpu.device;
  }

  /**
   * A buffer of at least `size` bytes, optionally filled with `data` at creation. Sizes round up to 16 bytes, so a
   * kernel that reads it as array<vec4f> (matmul.wgsl) reaches every element.
   */
  buffer(label: string, size: number, usage: GPUBufferUsageFlags, data?: ArrayBufferView): GPUBuffer {
    const bytes = Math.max(16, Math.ceil(size / 16) * 16);
    const buffer = this.gpu.createBuffer({ label, size: bytes, usage, mappedAtCreation: !!data });
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
    for (const buffer of this.buffers) this.gpu.destroyBuffer(buffer);
    this.buffers.length = 0;
  }
}

/** Bytes between uniform entries: the device's offset alignment (256 at most, by the WebGPU spec). */
export const uniformStride = (device: GPUDevice): number => device.limits.minUniformBufferOffsetAlignment;


/**
 * Runs `make` inside out-of-memory and validation error scopes, so that a failed allocation or an invalid object
 * surfaces here, as an exception naming `what` (out of memory as a UserError with `fix`), not later as an uncaptured
 * error.
 */
export async function scoped<T>(device: GPUDevice, what: string, fix: Wording, make: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const made = await make().then((value) => ({ value }), (error: unknown) => ({ error }));
  const invalid = await device.popErrorScope();
  const outOfMemory = await device.popErrorScope();
  if (outOfMemory) throw new UserError((n) => `the GPU ran out of memory setting up ${what}: ${outOfMemory.message}; ${fix(n)}`);
  if (invalid) throw new Error(`WebGPU validation error setting up ${what}: ${invalid.message}`);
  if ('error' in made) throw made.error;
  return made.value;
}
