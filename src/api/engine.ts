/** The one way a backend is opened, for MLP, the CLI and the page: each model its own unless given one device. */
import type { Backend, SessionSettings } from '../backend.js';
import { CpuBackend } from '../cpu/backend.js';
import { DeviceLostError, NoAdapterError, UserError } from '../errors.js';
import { createWebGpuBackend, WebGpuBackend } from '../gpu/backend.js';
import type { Gpu } from '../gpu/device.js';
import { checkGpuDataBytes } from '../gpu/plan.js';
import type { ShaderLoader } from '../gpu/shaders.js';
import { embeddedShaderLoader } from '../gpu/shaders-embedded.js';
import { WasmBackend } from '../wasm/backend.js';
import { wasmSimdSupported } from '../wasm/kernels.js';

/**
 * Where a model computes: `wasm`, the fast CPU backend (WebAssembly SIMD on every core the platform shares); `cpu`,
 * the plain reference every other backend is checked against; `webgpu`; or `auto`, WebGPU where an adapter exists and
 * the run fits it and gains from it, else wasm (the reference where WebAssembly SIMD is missing).
 */
export type BackendChoice = 'auto' | 'cpu' | 'wasm' | 'webgpu';

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'cpu', 'wasm', 'webgpu'];

/** The CPU backend `auto` takes: wasm where the engine runs WebAssembly SIMD, else the reference. */
export function fastestCpu(): Promise<Backend> {
  return wasmSimdSupported() ? WasmBackend.create() : Promise.resolve(new CpuBackend());
}

/**
 * What `auto` chose, and why it took the CPU: no adapter (`detail` the gist of why), the GPU's limits, or a run the
 * CPU does faster (`detail` says why: a software adapter, or the step's work beside the GPU's cost per dispatch).
 */
export type BackendNote =
  | { kind: 'webgpu' }
  | { kind: 'cpu'; because: 'no-adapter'; detail: string }
  | { kind: 'cpu'; because: 'limits'; error: UserError }
  | { kind: 'cpu'; because: 'faster'; detail: string };

export interface OpenOptions {
  /** A device to share: a WebGPU backend on it leaves it open when disposed. */
  gpu?: Gpu;
  /** The kernels' WGSL (default: the shaders built into the package). */
  shaders?: ShaderLoader;
  /** The most bytes of data WebGPU sessions keep on the device; larger sets are streamed (default: no limit). */
  gpuDataBytes?: number;
  /**
   * Settings of a session that must fit: `webgpu` refuses a device too small for them, `auto` takes the CPU, as it
   * does for a training run that the CPU does faster (cpuIsFaster).
   */
  settings?: SessionSettings;
  /** Told what `auto` chose. */
  onChoice?: (note: BackendNote) => void;
}

/** The backend of `choice`: the CPU, WebGPU (on `options.gpu` or its own device), or `auto`, WebGPU if it can. */
export async function openBackend(choice: BackendChoice, options: OpenOptions = {}): Promise<Backend> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new UserError(`backend "${String(choice)}" is not one of ${BACKEND_CHOICES.join(', ')}`);
  }
  if (options.gpuDataBytes !== undefined) checkGpuDataBytes(options.gpuDataBytes);
  if (choice === 'cpu' || choice === 'wasm') {
    if (options.gpu) throw new UserError('gpu applies to backend webgpu or auto only');
    if (choice === 'cpu') return new CpuBackend();
    if (!wasmSimdSupported()) {
      throw new UserError('this JavaScript engine has no WebAssembly SIMD: use backend cpu, or a current browser');
    }
    return WasmBackend.create();
  }
  // Probing first keeps Dawn's and Vulkan's own diagnostics off the terminal where there is no adapter.
  const webgpu = () =>
    createWebGpuBackend(options.shaders ?? embeddedShaderLoader, {
      probe: true,
      gpuDataBytes: options.gpuDataBytes,
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
    return fastestCpu();
  }
  const note = autoCpuNote(backend, options.settings);
  if (note) {
    backend.dispose();
    options.onChoice?.(note);
    return fastestCpu();
  }
  options.onChoice?.({ kind: 'webgpu' });
  return backend;
}

/**
 * For `auto` with a WebGPU backend: the note that moves a session of `settings` to the CPU, because it is beyond the
 * GPU's limits or, for a training session, the CPU does it faster; null where the GPU keeps it.
 */
export function autoCpuNote(backend: Backend, settings?: SessionSettings): BackendNote | null {
  if (!settings || !(backend instanceof WebGpuBackend)) return null;
  try {
    backend.checkFits(settings);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { kind: 'cpu', because: 'limits', error };
  }
  if (settings.evaluateOnly) return null;
  const { spec, batch, train } = settings;
  const run = { layers: spec.layers, batch, stepsPerEpoch: Math.max(1, Math.floor(train.count / batch)) };
  const verdict = cpuIsFaster(run, { software: backend.gpu.adapter.software, name: backend.device });
  return verdict.faster ? { kind: 'cpu', because: 'faster', detail: verdict.why } : null;
}

/**
 * The cost model of a training step. A step is 3 matmuls per layer (forward, weight gradient, input gradient),
 * batch · in · out multiply-adds each, in at least 3·layers + 1 dispatches (src/gpu/graph.ts, trainStep); the GPU's
 * results come back in a round trip (submit, then read back) at least every 100 steps (the default chunkSteps) and
 * once more for the evaluation at each epoch's end.
 * - The wasm backend does about 10,000 multiply-adds a microsecond on one core (bench/NOTES.md: a step of 784-128-10
 *   at batch 64 in 1.7 ms), more on more cores, with no cost per step or epoch worth counting; where it is missing,
 *   the reference does a tenth of that, and a run it would lose moves to the GPU anyway.
 * - A hardware GPU costs about 10 µs a dispatch (Dawn records one in 2.5 µs; the GPU starts it and waits for the one
 *   before) and 500 µs a round trip, and does at least 100,000 multiply-adds a microsecond (0.2 TFLOP/s, a small
 *   integrated GPU's speed on these matmuls; a discrete GPU does ten times more).
 * - A software adapter (SwiftShader) runs the same work on the same CPU cores, slower than the CPU backends: its
 *   forward pass over MNIST's 10,000 test images takes 2.4 s, 0.5 multiply-adds a nanosecond, and ~100 µs a dispatch.
 * So a hardware GPU gains from about 100,000 multiply-adds a step per dispatch, on data of more than a few batches
 * (XOR's 2-4-1 at batch 4 has 144 in all, MNIST's 784-128-10 at batch 128 has 39 million), and a software adapter
 * never does.
 */
const COST = {
  cpuMacsPerUs: 10_000,
  stepsPerRoundTrip: 100,
  hardware: { usPerDispatch: 10, usPerRoundTrip: 500, macsPerUs: 100_000 },
  software: { usPerDispatch: 100, usPerRoundTrip: 500, macsPerUs: 500 },
};

/** A training run's sizes, as far as the cost model needs them. */
export interface RunShape {
  layers: readonly number[];
  batch: number;
  /** Full batches of the training set: steps between two evaluations. */
  stepsPerEpoch: number;
}

/** The adapter a cost is reckoned for: whether it is software, and its name for the note. */
export interface AdapterKind {
  software: boolean;
  name: string;
}

/** Whether a training step of `run` takes less time on the CPU (the wasm backend) than on `adapter`, and why. */
export function cpuIsFaster(run: RunShape, adapter: AdapterKind): { faster: boolean; why: string } {
  const { layers, batch, stepsPerEpoch } = run;
  let macs = 0;
  for (let l = 0; l + 1 < layers.length; l++) macs += 3 * batch * layers[l] * layers[l + 1];
  const dispatches = 3 * (layers.length - 1) + 1;
  const roundTrips = 1 / Math.min(stepsPerEpoch, COST.stepsPerRoundTrip) + 1 / stepsPerEpoch;
  const gpu = adapter.software ? COST.software : COST.hardware;
  const cpuUs = macs / COST.cpuMacsPerUs;
  const gpuUs = dispatches * gpu.usPerDispatch + roundTrips * gpu.usPerRoundTrip + macs / gpu.macsPerUs;
  const us = (t: number) => `${t < 10 ? t.toPrecision(2) : Math.round(t).toLocaleString('en-US')} µs`;
  const why = adapter.software
    ? `${adapter.name} is a software adapter, slower than the CPU on the same cores`
    : `a step of ${macs.toLocaleString('en-US')} multiply-adds takes ~${us(cpuUs)} on the CPU, ` +
      `~${us(gpuUs)} on the GPU`;
  return { faster: cpuUs <= gpuUs, why };
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
