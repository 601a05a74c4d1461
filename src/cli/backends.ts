import os from 'node:os';
import type { Backend, SessionSettings } from '../backend.js';
import { CpuBackend } from '../cpu/backend.js';
import { NoAdapterError, UserError } from '../errors.js';
import { createWebGpuBackend, type WebGpuBackend } from '../gpu/backend.js';
import { nodeShaderLoader } from '../gpu/shaders-node.js';
import { cliMessage } from './failure.js';

export const BACKEND_CHOICES = ['auto', 'cpu', 'webgpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

function cpuBackend(): CpuBackend {
  const model = os.cpus()[0]?.model?.trim() || os.arch();
  return new CpuBackend(`CPU reference (${model}, 1 thread, Node ${process.versions.node})`);
}

/**
 * Opens the backend the user asked for, and checks that a session of `settings` fits its limits. `auto` prefers WebGPU
 * and falls back to the CPU, saying which it chose and why: no adapter, or a session beyond the GPU's limits. `work`
 * says what the backend is for ("training", "evaluating").
 */
export async function openBackend(
  choice: BackendChoice, say: (line: string) => void, work: string, settings: SessionSettings,
): Promise<Backend> {
  if (choice === 'cpu') return cpuBackend();
  // Probing first keeps Dawn's and Vulkan's own diagnostics off the terminal where there is no adapter.
  if (choice === 'webgpu') return fitting(await createWebGpuBackend(nodeShaderLoader, { probe: true }), settings);
  let backend: WebGpuBackend;
  try {
    backend = await createWebGpuBackend(nodeShaderLoader, { probe: true });
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const why = error instanceof NoAdapterError && error.reason ? ` (${error.reason})` : '';
    say(`backend auto: no WebGPU adapter found${why}, ${work} on the CPU (--backend webgpu says how to get one)`);
    return cpuBackend();
  }
  try {
    fitting(backend, settings);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    say(`backend auto: too large for this GPU (${cliMessage(error)}), ${work} on the CPU`);
    return cpuBackend();
  }
  say('backend auto: using WebGPU');
  return backend;
}

/** `backend`, once a session of `settings` is known to fit its limits; disposed where it does not. */
function fitting(backend: WebGpuBackend, settings: SessionSettings): Backend {
  try {
    backend.checkFits(settings);
    return backend;
  } catch (error) {
    backend.dispose();
    throw error;
  }
}
