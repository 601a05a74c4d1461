/**
 * Which backends this browser can train on: WebGPU when navigator.gpu gives an adapter, the CPU reference always.
 * WebGPU runs share one device, with every shader from shaders/ bundled by Vite (the same files Node reads).
 */
import { loaderFromFiles } from '../../src/index.js';

/** The kernels' WGSL, bundled by Vite from shaders/. */
export const shaders = loaderFromFiles(
  import.meta.glob<string>('../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }),
);

export type GpuCheck = { ok: true; adapter: string } | { ok: false; headline: string; detail: string };

/** Asks for an adapter the way the backend will, and says in plain words why there is none. */
export async function checkWebGpu(): Promise<GpuCheck> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) {
    if (!window.isSecureContext) {
      return {
        ok: false,
        headline: 'WebGPU is switched off for this page because it is not served securely.',
        detail:
          'Browsers offer WebGPU only to pages from https:// or from localhost. Open the demo through one of those to train on the GPU.',
      };
    }
    return {
      ok: false,
      headline: 'This browser does not offer WebGPU, so the network cannot train on your GPU here.',
      detail:
        'WebGPU comes with Chrome and Edge 113 or newer and with recent Safari and Firefox; some need it switched on in their settings or flags.',
    };
  }
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) {
      return {
        ok: false,
        headline: 'This browser has WebGPU, but it found no graphics adapter to use.',
        detail:
          'The GPU may be blocked by the browser (its list of known-bad drivers), switched off in its settings, or missing. chrome://gpu tells why in Chrome.',
      };
    }
    return { ok: true, adapter: describeAdapter(adapter.info) };
  } catch (error) {
    return {
      ok: false,
      headline: 'This browser has WebGPU, but asking it for a graphics adapter failed.',
      detail: (error as Error).message,
    };
  }
}

export function describeAdapter(info: GPUAdapterInfo | undefined): string {
  const name = info?.description || info?.device || '';
  const detail = [info?.vendor, info?.architecture].filter(Boolean).join(' ');
  return [name, detail].filter(Boolean).join(' · ') || 'unnamed adapter';
}

/**
 * Steps per chunk: the trainer's read-back interval, and how often the page gets its thread back. The CPU trains on
 * the page's own thread, so its chunks aim at under 0.1 s: plain JavaScript manages a few GFLOP/s (784-128-10 at
 * batch 64 runs about 150 steps a second in Chromium on one core), WebAssembly SIMD several times that. A GPU chunk is one submission whose read back
 * leaves the thread free, so it aims at fewer, larger chunks, about 1 GFLOP. Either way an epoch is cut into at least
 * 25 chunks, the points of the loss chart.
 */
export function stepsPerChunk(
  backend: 'cpu' | 'wasm' | 'webgpu',
  layers: number[],
  batch: number,
  trainCount: number,
): number {
  let weights = 0;
  for (let i = 1; i < layers.length; i++) weights += (layers[i - 1] + 1) * layers[i];
  const flopsPerStep = 6 * weights * batch; // forward 2, backward 4 per weight and sample
  const budget = { cpu: 4e8, wasm: 1.5e9, webgpu: 1e9 }[backend];
  // At least 25 points per epoch on the loss chart, however small the training set.
  const forChart = Math.floor(trainCount / batch / 25);
  return Math.max(1, Math.min(50, forChart, Math.round(budget / flopsPerStep)));
}
