/**
 * Several models of one spec trained together in one ModelsSession, each exactly as train() would train it alone: its
 * own rate, optimiser settings, schedule, dropout, seeds and rows. A model that diverges or that early stopping ends
 * stops there (the session masks it) while the others go on.
 */
import { type Backend, type Dataset, type EvalSet, type ModelsSession, selectRows } from '../backend.js';
import { checkRun } from '../check.js';
import { Rng } from '../model/rng.js';
import { labelWidth, type ModelSpec, outputSize } from '../model/spec.js';
import { targetStandardisation } from '../model/table.js';
import { type Convergence, convergence } from './convergence.js';
import { bestEpoch, epochMetrics, type SetResults } from './evaluation.js';
import { regressionMetrics } from './metrics.js';
import type { TrainData, TrainOptions } from './run.js';
import { type EpochRecord, shuffleSeed } from './trainer.js';

/** One model of a group: the options train() would take for it, and the rows it trains and is validated on. */
export interface ModelRun {
  options: TrainOptions;
  /** Rows of the training set it trains on, ascending (default all). */
  trainRows?: Uint32Array;
  /** Rows of the training set it is validated on instead of the validation set (k-fold's held-out fold). */
  valRows?: Uint32Array;
}

/** What became of one model. */
export interface ModelOutcome {
  /** The parameters at the end, or with early stopping those of the best epoch. */
  params: Float32Array;
  history: EpochRecord[];
  /** The record of the epoch `params` come from: the best one with early stopping, else the last (none: diverged). */
  kept?: EpochRecord;
  earlyStop?: { bestEpoch: number; stopped: boolean };
  convergence?: Convergence;
  /** Why it stopped before its epochs were done, when its loss or parameters stopped being finite numbers. */
  diverged?: string;
  steps: number;
}

export interface ModelsProgress {
  epoch: number;
  epochs: number;
  /** Steps done in this epoch by the model with the most, of stepsPerEpoch. */
  step: number;
  stepsPerEpoch: number;
  /** Each model's mean loss over the chunk's steps (NaN for one that ran none). */
  losses: Float64Array;
  /** Models still training. */
  running: number;
}

export interface ModelsCallbacks {
  onProgress?: (progress: ModelsProgress) => void;
  /** After every epoch: each model's record, null for one that no longer trains. */
  onEpoch?: (records: (EpochRecord | null)[]) => void;
  /** Awaited after every chunk and epoch (a page yields here); throwing stops the run. */
  yieldPoint?: () => Promise<void>;
}

/** The options that every model of a group must share: they shape the session and its loop. */
const SHARED = ['epochs', 'batch', 'logEvery', 'shuffle', 'trainMetrics', 'earlyStop', 'maxSteps'] as const;

/** A model's own view of the data: its training rows, its validation rows or the validation set, the test set. */
function ownData(data: TrainData, run: ModelRun, spec: ModelSpec): TrainData {
  const width = labelWidth(spec);
  const val = run.valRows ? selectRows(data.train, run.valRows, width) : data.val;
  return {
    train: run.trainRows ? selectRows(data.train, run.trainRows, width) : data.train,
    ...(data.test ? { test: data.test } : {}),
    ...(val ? { val } : {}),
  };
}

/** Trains `runs` together on `backend`; each outcome is what train() gives that model alone (bitwise on the CPU). */
export async function trainModels(
  backend: Backend,
  spec: ModelSpec,
  data: TrainData,
  runs: ModelRun[],
  callbacks: ModelsCallbacks = {},
): Promise<ModelOutcome[]> {
  const first = runs[0].options;
  for (const run of runs) {
    const differs = SHARED.find((key) => run.options[key] !== first[key]);
    if (differs) throw new Error(`models trained together share ${differs}`);
  }
  if (first.maxSteps !== undefined) throw new Error('models trained together run whole epochs: no maxSteps');
  const own = runs.map((run) => ownData(data, run, spec));
  const checked = runs.map((run, i) => checkRun(spec, own[i], run.options));
  const { epochs, logEvery } = first;
  const session = await backend.createModels({
    spec,
    batch: first.batch,
    train: data.train,
    test: data.test,
    val: data.val,
    models: runs.map((run, i) => {
      const { learningRate, optimizer, schedule, dropout } = checked[i].settings;
      const rows = { trainRows: run.trainRows, valRows: run.valRows };
      return { params: { seed: run.options.seed }, learningRate, optimizer, schedule, dropout, ...rows };
    }),
  });
  const count = runs.length;
  const steps = checked.map((c) => c.stepsPerEpoch);
  const shufflers = runs.map((run) => new Rng(shuffleSeed(run.options.seed)));
  const histories: EpochRecord[][] = runs.map(() => []);
  const best: (Float32Array | undefined)[] = runs.map(() => undefined);
  const diverged: (string | undefined)[] = runs.map(() => undefined);
  const stoppedEarly = runs.map(() => false);
  const running = (i: number) => !diverged[i] && !stoppedEarly[i];
  const patience = first.earlyStop;
  const stop = (i: number, why?: string) => {
    if (why) diverged[i] = why;
    else stoppedEarly[i] = true;
    session.stop(i);
  };
  try {
    for (let epoch = 1; epoch <= epochs && runs.some((_, i) => running(i)); epoch++) {
      const epochStart = performance.now();
      const orders = own.map(({ train }, i) => {
        const order = Uint32Array.from({ length: train.count }, (_, r) => r);
        if (first.shuffle !== false) shufflers[i].shuffle(order);
        return order;
      });
      session.setEpochOrders(
        orders,
        steps.map((s) => (epoch - 1) * s),
      );
      const lossSums = new Float64Array(count);
      const longest = Math.max(...steps.filter((_, i) => running(i)));
      for (let step = 0; step < longest; ) {
        const chunk = Math.min(logEvery - (step % logEvery), longest - step);
        const losses = await session.trainSteps(step, chunk);
        for (let i = 0; i < count; i++) {
          const ran = Math.min(step + chunk, steps[i]) - step;
          if (!running(i) || ran <= 0) continue;
          if (Number.isFinite(losses[i])) lossSums[i] += losses[i] * ran;
          else stop(i, `the loss became ${losses[i]} at epoch ${epoch}, step ${step + ran}`);
        }
        step += chunk;
        callbacks.onProgress?.({
          epoch,
          epochs,
          step,
          stepsPerEpoch: longest,
          losses,
          running: runs.filter((_, i) => running(i)).length,
        });
        await callbacks.yieldPoint?.();
      }
      const results = await evaluateModels(session, spec, own, first.trainMetrics !== false);
      const params = await session.readParams();
      const records: (EpochRecord | null)[] = runs.map((_, i) => {
        if (!running(i)) return null;
        if (!params[i].every(Number.isFinite)) {
          stop(i, `the parameters stopped being finite numbers at epoch ${epoch}`);
          return null;
        }
        const record: EpochRecord = {
          epoch,
          steps: steps[i],
          trainLoss: lossSums[i] / steps[i],
          ...epochMetrics(results[i]),
          seconds: (performance.now() - epochStart) / 1000,
        };
        histories[i].push(record);
        if (patience !== undefined && bestEpoch(histories[i]) === epoch) best[i] = params[i];
        if (patience !== undefined && epoch - bestEpoch(histories[i]) >= patience) stop(i);
        return record;
      });
      callbacks.onEpoch?.(records);
      await callbacks.yieldPoint?.();
    }
    const last = await session.readParams();
    return runs.map((_, i): ModelOutcome => {
      const history = histories[i];
      const chosen = patience !== undefined ? bestEpoch(history) : history.length;
      const settled = stoppedEarly[i] || diverged[i] ? undefined : convergence(history);
      return {
        params: (patience !== undefined && chosen !== history.length ? best[i] : undefined) ?? last[i],
        history,
        ...(chosen > 0 ? { kept: history[chosen - 1] } : {}),
        ...(patience !== undefined ? { earlyStop: { bestEpoch: chosen, stopped: stoppedEarly[i] } } : {}),
        ...(settled ? { convergence: settled } : {}),
        ...(diverged[i] ? { diverged: diverged[i] } : {}),
        steps: history.length * steps[i],
      };
    });
  } finally {
    session.dispose();
  }
}

/** Every model's results on the sets it has, as evaluateSets gives one model's (a regression's from its outputs). */
async function evaluateModels(
  session: ModelsSession,
  spec: ModelSpec,
  own: TrainData[],
  trainMetrics: boolean,
): Promise<SetResults[]> {
  const results: SetResults[] = own.map(() => ({}));
  const sets: EvalSet[] = ['test', 'val', 'train'];
  for (const name of sets) {
    if (!own[0][name] || (name === 'train' && !trainMetrics)) continue;
    const metrics = await session.evaluate(name);
    const outputs = spec.task === 'regression' ? await session.outputs(name) : null;
    const stats = targetStandardisation(spec.data, outputSize(spec));
    own.forEach((data, i) => {
      const set = data[name] as Dataset;
      const regression = outputs ? regressionMetrics(outputs[i], set.labels, set.count, stats) : undefined;
      results[i][name] = { metrics: metrics[i], ...(regression ? { regression } : {}) };
    });
  }
  return results;
}
