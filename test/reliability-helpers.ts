import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';
import type { Backend } from '../src/backend.js';
import { UserError } from '../src/errors.js';
import { makeSpec } from '../src/model/spec.js';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions, type TrainState, train } from '../src/train/trainer.js';
import { toyDataset } from './toy.js';

const root = path.resolve(import.meta.dirname, '..');

/**
 * Runs the CLI as test/cli-runner.ts does, with test/reliability-preload.ts standing in for the GPU: `mode` is its
 * RELIABILITY_GPU ("broken", or "lose-after:N").
 */
export function cliWithFaultyGpu(
  mode: string,
  ...args: string[]
): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', './test/reliability-preload.ts', 'src/cli/main.ts', ...args],
    { encoding: 'utf8', cwd: root, env: { ...process.env, RELIABILITY_GPU: mode } },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

// 10 steps of 32 an epoch. At lr 100 this run's loss turns NaN at epoch 2, step 5, after checkpoints at steps 5 and 10.
export const toySpec = makeSpec([16, 24, 4], { inputMean: 0.5, inputStd: 0.3 });
export const toyData = { train: toyDataset(1, 320), test: toyDataset(2, 100) };
export const diverging: TrainOptions = {
  ...DEFAULT_TRAIN_OPTIONS,
  epochs: 3,
  batch: 32,
  logEvery: 1,
  checkpointEvery: 5,
  learningRate: 100,
};

/** Runs `diverging` on `backend`: it must stop with the one-line error, every checkpoint before it finite. */
export async function expectDivergence(backend: Backend): Promise<TrainState[]> {
  const saved: TrainState[] = [];
  const error = await train(backend, toySpec, toyData, diverging, {
    onCheckpoint: (state) => void saved.push(state),
  }).then(
    () => expect.fail('the run did not diverge'),
    (e: Error) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  expect(error.message).toMatch(
    /^training diverged at epoch \d, step \d+: (the loss is (NaN|-?Infinity)|the parameters are no longer finite numbers); lower learningRate \(now 100\)$/,
  );
  expect((error as UserError).field).toBe('learningRate');
  expect(saved.length).toBeGreaterThan(0);
  for (const state of saved) expect(state.params.every(Number.isFinite), `checkpoint at step ${state.step}`).toBe(true);
  return saved;
}
