/**
 * Runs a peer framework on the same workloads in the same run (bench/peers/torch_mlp.py with `python3`; with --models,
 * bench/peers/torch_models.py), so the ratio ours / PyTorch comes from one machine and one moment. Where python3 or
 * torch or CUDA is missing, the result says why in one line and the benchmark goes on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OptimizerName } from '../src/index.js';
import type { ModelsWorkload } from './models.js';
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

/** A peer script, from bench/ (tsx) or dist/bench/ (the build). */
function script(name: string): string | null {
  const candidates = [`./peers/${name}`, `../../bench/peers/${name}`].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((p) => existsSync(p)) ?? null;
}

type Unavailable = { name: string; available: false; reason: string };

/** Runs a peer script with its spec; its last line of stdout is its JSON answer, or {"error": why}. */
function runPeer(file: string, spec: unknown): Record<string, unknown> | Unavailable {
  const path = script(file);
  if (!path) return { name: 'torch', available: false, reason: `bench/peers/${file} not found` };
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
  return parsed;
}

const unavailable = (x: Record<string, unknown> | Unavailable): x is Unavailable => x.available === false;

export function runTorchPeer(
  workloads: Workload[],
  matmulSizes: number[],
  epochs: number,
  optimizer: OptimizerName,
): PeerResult {
  const parsed = runPeer('torch_mlp.py', { workloads, matmul: matmulSizes, epochs, optimizer });
  if (unavailable(parsed)) return parsed;
  return {
    name: 'torch',
    available: true,
    ...(parsed as Omit<Extract<PeerResult, { available: true }>, 'name' | 'available'>),
  };
}

/** PyTorch's K models of one workload: seconds per model-epoch one after another, and together where it can. */
export interface ModelsPeerRow {
  workload: string;
  k: number;
  oneAfterAnother: number;
  /** With torch.func (stack_module_state, vmap); null where the installed torch has no torch.func. */
  together: number | null;
  speedup: number | null;
  epochsPerSample: number;
  /** Largest difference of a model's last epoch loss between the contenders, relative (null without together). */
  lossDifference: number | null;
  /** Each model's last epoch loss, per contender: finite, or something is wrong. */
  losses: { oneAfterAnother: number[]; together: number[] | null };
}

export type ModelsPeerResult =
  | {
      name: string;
      available: true;
      torch: string;
      device: string;
      /** How the models are trained together: "torch.func.vmap", or null with the reason in togetherMissing. */
      together: string | null;
      togetherMissing?: string;
      rows: ModelsPeerRow[];
    }
  | Unavailable;

/** The --models mode's peer: the same workloads, K and rates, on CUDA. */
export function runTorchModelsPeer(
  workloads: ModelsWorkload[],
  ks: number[],
  rates: Record<number, number[]>,
  repetitions: number,
): ModelsPeerResult {
  const parsed = runPeer('torch_models.py', { workloads, ks, rates, repetitions });
  if (unavailable(parsed)) return parsed;
  return {
    name: 'torch',
    available: true,
    ...(parsed as Omit<Extract<ModelsPeerResult, { available: true }>, 'name' | 'available'>),
  };
}
