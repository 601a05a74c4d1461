/**
 * One training run of the page: an MLP fitted with the page's settings, reporting to a Run (the charts and the
 * table draw from it) and to the page's views through `Views`. Pause, resume and stop come from RunControl: fit
 * waits while its onChunk's promise is held, and stops at the signal.
 */
import {
  type FitOptions,
  type FitRecord,
  type LabelledData,
  MLP,
  type ModelOptions,
  type Progress,
  type Training,
} from '../../src/index.js';
import { stepsPerChunk } from './backends.js';
import type { RunControl } from './run-control.js';
import type { Run } from './runs.js';
import type { Settings } from './settings.js';

/** What a run tells the page as it goes. */
export interface Views {
  /** After every chunk of steps. */
  progress(run: Run, p: Progress): void;
  /** After every epoch's evaluation. */
  epoch(run: Run, record: FitRecord): void;
  /** Whether the views want the weights after every epoch too (not only about once a second). */
  everyEpoch: boolean;
  /** Once the model is made: where it computes. */
  opened(model: MLP): void;
  /** The run so far, about once a second and, where wanted, after each epoch (`epoch` then says which). Awaited. */
  live(run: Run, training: Training, weights: Float32Array, epoch: FitRecord | null): Promise<void>;
}

/** The data of a run: the training rows (or images) and the test set evaluated after every epoch. */
export interface RunData {
  train: LabelledData;
  test: LabelledData;
  rows: number;
}

const has = (name: string, names: string[]) => names.includes(name);

/** The page's settings as fit's options: each optimiser's and schedule's own settings only, as fit checks. */
export function fitOptionsOf(s: Settings): FitOptions {
  const o = s.optimizer;
  const schedule = s.schedule;
  return {
    epochs: s.epochs,
    batchSize: s.batch,
    learningRate: s.learningRate,
    seed: s.seed,
    dropout: s.dropout,
    optimizer: o.name,
    weightDecay: o.weightDecay,
    ...(has(o.name, ['momentum', 'nesterov', 'rmsprop']) ? { momentum: o.momentum } : {}),
    ...(o.name === 'momentum' ? { dampening: o.dampening } : {}),
    ...(has(o.name, ['adam', 'adamw']) ? { beta1: o.beta1, beta2: o.beta2 } : {}),
    ...(has(o.name, ['adam', 'adamw', 'rmsprop']) ? { eps: o.eps } : {}),
    ...(o.name === 'rmsprop' ? { alpha: o.alpha, centered: o.centered } : {}),
    schedule: schedule.name,
    ...(schedule.name === 'step' ? { stepSize: schedule.stepSize, gamma: schedule.gamma } : {}),
    ...(schedule.name === 'cosine' ? { minLr: schedule.minLr } : {}),
  };
}

/**
 * Trains a model of `options` on `data` to the end, or until `control` stops it. Resolves with the trained model, or
 * null when it was stopped; rejects with the library's error otherwise. The run's status and time are kept up to date.
 */
export async function trainRun(
  run: Run,
  options: ModelOptions,
  data: RunData,
  control: RunControl,
  views: Views,
): Promise<MLP | null> {
  const s = run.settings;
  const live = { pendingEpoch: null as FitRecord | null, lastRead: performance.now() };
  const model = await MLP.create(options);
  views.opened(model);
  const chunkSteps = stepsPerChunk(model.backend, model.layers, s.batch, data.rows);
  // Between chunks: the page's turn, the views' fresh weights about once a second, and the wait while paused.
  const between = async (training: Training) => {
    if (!control.stopped && ((live.pendingEpoch && views.everyEpoch) || performance.now() - live.lastRead > 1000)) {
      const weights = await training.weights();
      live.lastRead = performance.now();
      const epoch = live.pendingEpoch;
      live.pendingEpoch = null;
      if (!control.stopped) await views.live(run, training, weights, epoch);
    }
    await control.gate(); // throws once stopped: fit then ends, its session disposed
  };
  try {
    await model.fit(data.train.x, data.train.y, {
      ...fitOptionsOf(s),
      chunkSteps,
      testData: data.test,
      onChunk: (p, training) => {
        if (!control.stopped) {
          run.losses.push({ epochs: p.epoch - 1 + p.step / p.stepsPerEpoch, loss: p.loss });
          run.seconds = control.activeSeconds;
          views.progress(run, p);
        }
        return between(training);
      },
      onEpoch: (record, training) => {
        if (!control.stopped) {
          run.history.push(record);
          run.seconds = control.activeSeconds;
          live.pendingEpoch = record;
          views.epoch(run, record);
        }
        return between(training);
      },
    });
    run.status = 'done';
    return model;
  } catch (error) {
    model.dispose();
    if (control.stopped) {
      run.status = 'stopped';
      return null;
    }
    run.status = 'failed';
    throw error;
  } finally {
    run.seconds = control.activeSeconds;
  }
}
