/**
 * Runs a peer framework on the same workloads in the same run (bench/peers/torch_mlp.py with `python3`), so the
 * ratio ours / PyTorch comes from one machine and one moment. Where python3 or torch or CUDA is missing, the result
 * says why in one line and the benchmark goes on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OptimizerName } from '../src/index.js';
import type { Workload } from './workloads.js';

export interface PeerWorkload {
  name: string;
  epochMs: number;
  epochSamples: number[];
  samplesPerSec: number;
  loss: number;
}

export interface PeerMatmul {
  form: string;
  m: number;
  n: number;
  k: number;
  ms: number;
  tflops: number;
}

export type PeerResult =
  | {
      name: string;
      available: true;
      torch: string;
      device: string;
      tf32: boolean;
      workloads: PeerWorkload[];
      matmul: PeerMatmul[];
    }
  | { name: string; available: false; reason: string };

/** The script, from bench/ (tsx) or dist/bench/ (the build). */
function script(): string | null {
  const candidates = ['./peers/torch_mlp.py', '../../bench/peers/torch_mlp.py'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((p) => existsSync(p)) ?? null;
}

export function runTorchPeer(
  workloads: Workload[],
  matmulSizes: number[],
  epochs: number,
  optimizer: OptimizerName,
): PeerResult {
  const path = script();
  if (!path) return { name: 'torch', available: false, reason: 'bench/peers/torch_mlp.py not found' };
  const spec = { workloads, matmul: matmulSizes, epochs, optimizer };
  const run = spawnSync('python3', [path, '--spec', JSON.stringify(spec)], {
    encoding: 'utf8',
    timeout: 20 * 60_000,
    maxBuffer: 16 << 20,
  });
  if (run.error) return { name: 'torch', available: false, reason: `cannot run python3 (${run.error.message})` };
  const last = run.stdout.trim().split('\n').pop() ?? '';
  let parsed: { error?: string } & Record<string, unknown>;
  try {
    parsed = JSON.parse(last);
  } catch {
    const why = (run.stderr.trim().split('\n').pop() ?? '').slice(0, 200) || `exit code ${run.status}`;
    return { name: 'torch', available: false, reason: `the peer script failed: ${why}` };
  }
  if (parsed.error) return { name: 'torch', available: false, reason: parsed.error };
  return {
    name: 'torch',
    available: true,
    ...(parsed as Omit<Extract<PeerResult, { available: true }>, 'name' | 'available'>),
  };
}
