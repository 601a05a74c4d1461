/**
 * Divergence on the CPU backend, through the trainer: a non-finite loss stops the run, naming the epoch and step and
 * the learning rate to lower, and nothing non-finite is ever handed to onCheckpoint or returned for --out, even when
 * the parameters go bad while the loss still looks fine.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, TrainingSession } from '../src/backend.js';
import { CpuBackend } from '../src/cpu/backend.js';
import { type TrainState, train } from '../src/train/trainer.js';
import { diverging, expectDivergence, toyData, toySpec } from './reliability-helpers.js';
import { expectUserError } from './user-error.js';

/** The CPU backend, except that from read number `from` on, readParams returns a NaN among the parameters. */
function poisonedBackend(from: number): Backend {
  const cpu = new CpuBackend();
  let reads = 0;
  return {
    kind: 'cpu',
    device: 'CPU with parameters that go bad',
    dispose: () => cpu.dispose(),
    createModels: (options) => cpu.createModels(options),
    async createSession(options): Promise<TrainingSession> {
      const session = await cpu.createSession(options);
      return {
        setEpochOrder: (order, firstStep) => session.setEpochOrder(order, firstStep),
        trainSteps: (first, count) => session.trainSteps(first, count),
        evaluate: (set) => session.evaluate(set),
        predict: (set) => session.predict(set),
        readOptimizerState: () => session.readOptimizerState(),
        readParams: async () => {
          const params = await session.readParams();
          if (++reads >= from) params[7] = NaN;
          return params;
        },
        dispose: () => session.dispose(),
      };
    },
  };
}

describe('a diverging run on the CPU', () => {
  it('stops at the step whose loss is NaN, with every checkpoint before it', async () => {
    const saved = await expectDivergence(new CpuBackend());
    expect(saved.map((s) => s.step)).toEqual([5, 10]);
  });

  it('is caught by its parameters when its loss still looks finite: no bad checkpoint, no bad result', async () => {
    const options = { ...diverging, learningRate: 0.1 };
    const saved: TrainState[] = [];
    const checkpointed = train(poisonedBackend(2), toySpec, toyData, options, {
      onCheckpoint: (state) => void saved.push(state),
    });
    await expectUserError(
      () => checkpointed,
      /^training diverged at epoch 1, step 10: the parameters are no longer finite numbers; lower learningRate \(now 0\.1\)$/,
      'learningRate',
    );
    expect(saved.map((s) => s.step)).toEqual([5]);
    // Without checkpoints, the parameters a run returns (what --out writes) are checked too.
    await expect(
      train(poisonedBackend(1), toySpec, toyData, { ...options, checkpointEvery: undefined }),
    ).rejects.toThrow(/^training diverged at epoch 3, step 10: the parameters are no longer finite numbers/);
  });
});
