import os from 'node:os';
import type { Backend } from '../backend.js';
import { CpuBackend } from '../cpu/backend.js';
import { UserError } from '../errors.js';
import { createWebGpuBackend } from '../gpu/backend.js';
import { nodeShaderLoader } from '../gpu/shaders-node.js';
import { webGpuRefusal } from '../train/support.js';

export const BACKEND_CHOICES = ['auto', 'cpu', 'webgpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

function cpuBackend(): CpuBackend {
  const model = os.cpus()[0]?.model?.trim() || os.arch();
  return new CpuBackend(`CPU reference (${model}, 1 thread, Node ${process.versions.node})`);
}

/**
 * Opens the backend the user asked for. `auto` prefers WebGPU and falls back to the CPU, saying which it chose.
 * `gap` names a setting of this run the WebGPU backend cannot do yet (see src/train/support.ts): webgpu is then
 * refused with a one-line error, and auto goes straight to the CPU, saying why. `work` says what the backend is for
 * ("training", "evaluating").
 */
export async function openBackend(
  choice: BackendChoice, say: (line: string) => void, gap?: string, work = 'training',
): Promise<Backend> {
  if (choice === 'cpu') return cpuBackend();
  if (gap !== undefined) {
    if (choice === 'webgpu') throw new UserError(webGpuRefusal(gap));
    say(`backend auto: ${gap} is not on the WebGPU backend yet, ${work} on the CPU`);
    return cpuBackend();
  }
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
