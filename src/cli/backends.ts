import os from 'node:os';
import type { Backend } from '../backend.js';
import { CpuBackend } from '../cpu/backend.js';
import { UserError } from '../errors.js';
import { createWebGpuBackend } from '../gpu/backend.js';
import { nodeShaderLoader } from '../gpu/shaders-node.js';

export const BACKEND_CHOICES = ['auto', 'cpu', 'webgpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

function cpuBackend(): CpuBackend {
  const model = os.cpus()[0]?.model?.trim() || os.arch();
  return new CpuBackend(`CPU reference (${model}, 1 thread, Node ${process.versions.node})`);
}

/**
 * Opens the backend the user asked for. `auto` prefers WebGPU and falls back to the CPU, saying which it chose.
 * `work` says what the backend is for ("training", "evaluating").
 */
export async function openBackend(
  choice: BackendChoice, say: (line: string) => void, work = 'training',
): Promise<Backend> {
  if (choice === 'cpu') return cpuBackend();
  if (choice === 'webgpu') return createWebGpuBackend(nodeShaderLoader);
  try {
    const backend = await createWebGpuBackend(nodeShaderLoader);
    say('backend auto: using WebGPU');
    return backend;
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    say(`backend auto: no WebGPU adapter found, ${work} on the CPU (--backend webgpu says how to get one)`);
    return cpuBackend();
  }
}
