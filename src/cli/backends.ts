import os from 'node:os';
import type { Backend } from '../backend.js';
import { CpuBackend } from '../cpu/backend.js';
import { UserError } from '../errors.js';

export const BACKEND_CHOICES = ['auto', 'cpu', 'webgpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** Opens the backend the user asked for. `auto` prefers WebGPU and falls back to the CPU, saying which it chose. */
function cpuBackend(): CpuBackend {
  const model = os.cpus()[0]?.model?.trim() || os.arch();
  return new CpuBackend(`CPU reference (${model}, 1 thread, Node ${process.versions.node})`);
}

export async function openBackend(choice: BackendChoice, say: (line: string) => void): Promise<Backend> {
  if (choice === 'cpu') return cpuBackend();
  if (choice === 'webgpu') {
    throw new UserError('the WebGPU backend is not available in this version yet: use --backend cpu');
  }
  say('backend auto: WebGPU is not available in this version yet, training on the CPU');
  return cpuBackend();
}
