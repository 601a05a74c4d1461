// Kept in the declarations (preserve): the GPU types they name come from @webgpu/types, a dependency, so that a
// user's TypeScript needs no setting to read them.
/// <reference types="@webgpu/types" preserve="true" />
import { DeviceLostError, NoAdapterError } from '../errors.js';
import type * as DawnNode from './dawn-node.js';

export interface GpuOptions {
  /**
   * Options for Node's `webgpu` package (Dawn), e.g. ['backend=vulkan', 'enable-dawn-features=disable_robustness'].
   * Ignored in browsers.
   */
  dawnOptions?: string[];
  powerPreference?: GPUPowerPreference;
  /** Optional features to turn on where the adapter has them (e.g. 'timestamp-query' for the benchmark). */
  features?: GPUFeatureName[];
  /**
   * In Node, look for an adapter in a child process before starting Dawn here (see dawn-node.ts): where there is
   * none, nothing of Dawn's or Vulkan's reaches this process's stderr, and the error carries their reason instead.
   */
  probe?: boolean;
}

/** What the adapter says about itself; Dawn's fields are getters, so they are copied out explicitly. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software adapter (SwiftShader, or whatever a browser falls back to): CPU cores, not a GPU. */
  software: boolean;
}

/** Buffers made on a device and not yet destroyed, and their bytes. */
export interface LiveBuffers {
  buffers: number;
  bytes: number;
}

/**
 * A device and what went wrong with it. WebGPU reports validation errors, out-of-memory and device loss
 * asynchronously; they are kept here and thrown by check(), which the session calls after every read back, so a
 * failure surfaces as an exception from the call that caused it rather than a line on stderr and wrong numbers.
 * A loss is a DeviceLostError; our own destroy() is not a loss. The caller owns the device: destroy() it when done
 * (a live Dawn device keeps Node from exiting).
 */
export class Gpu {
  private error: Error | null = null;
  private lostError: DeviceLostError | null = null;
  private destroyed = false;
  /** Buffers made through createBuffer in all, destroyed or not: a refusal before allocating leaves this unchanged. */
  buffersMade = 0;
  /** The bytes of every buffer made through createBuffer and not yet destroyed through destroyBuffer. */
  private readonly liveBytes = new Map<GPUBuffer, number>();

  /**
   * `instance` is the GPU object the device came from, held so that it lives exactly as long as this handle;
   * `pollsWhileWaiting` that it is Dawn in Node, which waits for the GPU by polling on the main thread.
   */
  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterDescription,
    readonly instance?: GPU,
    readonly pollsWhileWaiting = false,
  ) {
    device.addEventListener('uncapturederror', this.onUncaptured);
    void device.lost.then((info) => {
      if (this.destroyed) return;
      this.lostError = new DeviceLostError(info.reason ?? 'unknown', info.message);
      this.error ??= this.lostError;
    });
  }

  /** The one way this project makes a buffer (Resources, the tests' kernel runner, the benchmark), so it is counted. */
  createBuffer(descriptor: GPUBufferDescriptor): GPUBuffer {
    const buffer = this.device.createBuffer(descriptor);
    this.buffersMade++;
    this.liveBytes.set(buffer, descriptor.size);
    return buffer;
  }

  /** Destroys a buffer made by createBuffer; destroying one twice, as WebGPU allows, counts once. */
  destroyBuffer(buffer: GPUBuffer): void {
    this.liveBytes.delete(buffer);
    buffer.destroy();
  }

  /** Buffers made through createBuffer and not yet destroyed, and their bytes: a leak shows here. */
  get live(): LiveBuffers {
    let bytes = 0;
    for (const size of this.liveBytes.values()) bytes += size;
    return { buffers: this.liveBytes.size, bytes };
  }

  /** "NVIDIA H100 (nvidia, hopper)": for people. */
  get description(): string {
    const { vendor, architecture, device, description } = this.adapter;
    const name = description || device || 'unknown adapter';
    const detail = [vendor, architecture].filter(Boolean).join(', ');
    return `WebGPU: ${name}${detail ? ` (${detail})` : ''}`;
  }

  /** Throws the first uncaptured error or device loss seen so far. */
  check(): void {
    if (this.error) throw this.error;
  }

  /**
   * The device's loss, if it was lost (not by destroy()). A loss fails the work in flight (a read back's mapAsync
   * rejects) at about the moment WebGPU reports the loss, in no promised order: after a failure, this waits a moment
   * for a loss to be reported before saying there was none.
   */
  async loss(waitMs = 200): Promise<DeviceLostError | null> {
    if (!this.lostError && !this.destroyed) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.device.lost, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
      await Promise.resolve(); // the constructor's handler of `lost` runs first
    }
    return this.lostError;
  }

  destroy(): void {
    this.destroyed = true;
    // A device shared by several handles (the tests') outlives this one: its listener goes with it.
    this.device.removeEventListener('uncapturederror', this.onUncaptured);
    this.device.destroy();
  }

  private readonly onUncaptured = (event: Event): void => {
    const { error } = event as GPUUncapturedErrorEvent;
    this.error ??= new Error(`WebGPU ${error.constructor.name}: ${error.message}`);
  };
}

/**
 * Limits raised to the adapter's maximum: big layers and data sets need large storage bindings and buffers, the
 * kernels use 256 invocations and up to 8 KiB of workgroup memory. Everything else stays at the defaults.
 */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

/** What to do without an adapter: in a browser (or wherever navigator.gpu is the API), and in Node with Dawn. */
const NO_ADAPTER_HELP = {
  browser:
    'Use a browser with WebGPU enabled (Chrome or Edge 113 or later; elsewhere, turn WebGPU on in its settings), ' +
    'on a GPU it does not block, or train on the CPU (backend: cpu)',
  node:
    'On a machine with a GPU, install its Vulkan driver (Linux) and the loader (apt-get install libvulkan1). ' +
    'Without a GPU, Linux can use the SwiftShader software driver from Chromium: apt-get install chromium ' +
    'libvulkan1, then set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (slow, but correct)',
};

function noAdapter(reason: string, where: keyof typeof NO_ADAPTER_HELP, diagnostics = ''): NoAdapterError {
  return new NoAdapterError(
    `no WebGPU adapter found${reason ? ` (${reason})` : ''}. ${NO_ADAPTER_HELP[where]}`,
    reason,
    diagnostics,
  );
}

/** Finds an adapter (navigator.gpu in browsers, Dawn from the `webgpu` package in Node) and opens a device on it. */
export async function requestGpu(options: GpuOptions = {}): Promise<Gpu> {
  const gpu = await findGpuApi(options);
  const adapter = await gpu.requestAdapter({ powerPreference: powerPreference(options) });
  if (!adapter) throw noAdapter('', gpu === navigatorGpu() ? 'browser' : 'node');
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const value = adapter.limits[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const requiredFeatures = (options.features ?? []).filter((name) => adapter.features.has(name));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  // Older browsers lack adapter.info; a description is only for people, so fall back to blanks.
  const info: Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean } =
    (adapter as { info?: GPUAdapterInfo }).info ?? {};
  const { vendor = '', architecture = '', device: name = '', description = '' } = info;
  const software = info.isFallbackAdapter === true || architecture === 'swiftshader';
  const dawnNode = gpu !== navigatorGpu();
  return new Gpu(device, { vendor, architecture, device: name, description, software }, gpu, dawnNode);
}

const powerPreference = (options: GpuOptions): GPUPowerPreference => options.powerPreference ?? 'high-performance';

const navigatorGpu = () => (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;

async function findGpuApi(options: GpuOptions): Promise<GPU> {
  const gpu = navigatorGpu();
  if (gpu) return gpu;
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) throw noAdapter('this browser has no navigator.gpu', 'browser');
  // A computed specifier keeps bundlers from pulling Dawn and node: modules into a browser build.
  const specifier = './dawn-node.js';
  const dawn = (await import(/* @vite-ignore */ specifier)) as typeof DawnNode;
  const dawnOptions = options.dawnOptions ?? [];
  if (options.probe) {
    const probe = await dawn.probeDawn(dawnOptions, powerPreference(options));
    if (!probe.found) throw noAdapter(dawn.diagnosticGist(probe.diagnostics), 'node', probe.diagnostics);
  }
  return dawn.createDawn(dawnOptions);
}
