/**
 * One training run of the page: the library's train() with the page's settings, reporting to a Run (the charts and
 * the table draw from it) and to the page's views through `Views`. Pause, resume and stop come from RunControl.
 */
import type { Backend, TrainingSession } from '../../src/backend.js';
import type { ModelSpec } from '../../src/model/spec.js';
import { type EpochRecord, type TrainData, train } from '../../src/train/trainer.js';
import { stepsPerChunk } from './backends.js';
import { RunControl, Stopped } from './run-control.js';
import type { Run } from './runs.js';

/** What a run tells the page as it goes. */
export interface Views {
  /** After every chunk of steps. */
  progress(run: Run, p: { epoch: number; epochs: number; step: number; stepsPerEpoch: number; loss: number; samplesPerSecond: number }): void;
  /** After every epoch's evaluation. */
  epoch(run: Run, record: EpochRecord): void;
  /** Whether the views want the parameters after every epoch too (not only about once a second). */
  everyEpoch: boolean;
  /** Fresh parameters, about once a second and, where wanted, after each epoch (`epoch` then says which). Awaited. */
  params(run: Run, params: Float32Array, epoch: EpochRecord | null, gate: () => Promise<void>): Promise<void>;
}

/**
 * Trains `run` to the end, or until `control` stops it. Resolves with the final parameters, or null when it was
 * stopped; rejects with the library's error otherwise. The run's status and time are kept up to date.
 */
export async function trainRun(
  run: Run, backend: Backend, spec: ModelSpec, data: TrainData, control: RunControl, views: Views,
): Promise<Float32Array | null> {
  const s = run.settings;
  const live = { pendingEpoch: null as EpochRecord | null, lastRead: performance.now() };
  const logEvery = stepsPerChunk(backend, spec, s.batch, data.train.count);
  try {
    const result = await train(backend, spec, data, {
      epochs: s.epochs, batch: s.batch, learningRate: s.learningRate, seed: s.seed, logEvery,
      optimizer: s.optimizer, schedule: s.schedule, dropout: s.dropout,
    }, {
      onProgress: (p) => {
        if (control.stopped) return;
        run.losses.push({ epochs: p.epoch - 1 + p.step / p.stepsPerEpoch, loss: p.loss });
        run.seconds = control.activeSeconds;
        views.progress(run, p);
      },
      onEpoch: (record) => {
        if (control.stopped) return;
        run.history.push(record);
        run.seconds = control.activeSeconds;
        live.pendingEpoch = record;
        views.epoch(run, record);
      },
      yieldPoint: async (session: TrainingSession) => {
        if ((live.pendingEpoch && views.everyEpoch) || performance.now() - live.lastRead > 1000) {
          const params = await session.readParams();
          live.lastRead = performance.now();
          if (control.stopped) throw new Stopped();
          const epoch = live.pendingEpoch;
          live.pendingEpoch = null;
          await views.params(run, params, epoch, () => control.gate());
        }
        await control.gate();
      },
    });
    run.status = 'done';
    return result.params;
  } catch (error) {
    if (error instanceof Stopped || control.stopped) {
      run.status = 'stopped';
      return null;
    }
    run.status = 'failed';
    throw error;
  } finally {
    run.seconds = control.activeSeconds;
  }
}
