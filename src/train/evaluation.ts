/**
 * What the trainer reports of a model after each epoch, in the task's terms (a regression's errors in the targets'
 * units, from the session's predict() outputs), and early stopping's choice of the best epoch.
 */
import type { Backend, Dataset, EvalSet, Metrics, TrainingSession } from '../backend.js';
import { type ModelSpec, outputSize } from '../model/spec.js';
import { targetStandardisation } from '../model/table.js';
import { inferenceSettings } from './inference.js';
import { type RegressionMetrics, regressionMetrics } from './metrics.js';

/** A set's results: loss and accuracy, and a regression model's errors. */
export interface SetResult {
  metrics: Metrics;
  regression?: RegressionMetrics;
}

export type SetResults = Partial<Record<EvalSet, SetResult>>;

/** The sets a model is evaluated on: the training set only when given (it must be the session's own). */
export type EvaluatedSets = Partial<Record<EvalSet, Dataset>>;

/**
 * The per-epoch fields of SetResults: the training set's loss and accuracy (RMSE) after the epoch, without dropout
 * (unlike EpochRecord.trainLoss), and the test and validation sets' loss and accuracy, or RMSE, MAE and R² in the
 * targets' units; each where the set was given and the task has the figure.
 */
export type EpochMetrics = { trainEvalLoss?: number; trainAccuracy?: number; trainRMSE?: number } & Partial<
  Record<`${'test' | 'val'}${'Loss' | 'Accuracy' | 'RMSE' | 'MAE' | 'R2'}`, number>
>;

/** Evaluates the session's current parameters, without dropout, on those of the test, validation and training sets. */
export async function evaluateSets(
  session: TrainingSession,
  spec: ModelSpec,
  sets: EvaluatedSets,
): Promise<SetResults> {
  const results: SetResults = {};
  for (const name of ['test', 'val', 'train'] as const) {
    const set = sets[name];
    if (!set) continue;
    results[name] = { metrics: await session.evaluate(name) };
    if (spec.task === 'regression') {
      const stats = targetStandardisation(spec.data, outputSize(spec));
      results[name].regression = regressionMetrics(await session.predict(set), set.labels, set.count, stats);
    }
  }
  return results;
}

/**
 * evaluateSets for given parameters, on a session of their own that never trains: the test set (else the validation
 * set) stands in as its training set, so nothing of the training set is held twice.
 */
export async function evaluateParams(
  backend: Backend,
  spec: ModelSpec,
  params: Float32Array,
  sets: EvaluatedSets,
): Promise<SetResults> {
  const stand = sets.test ?? sets.val;
  if (!stand) throw new Error('evaluateParams needs a test or a validation set');
  const session = await backend.createSession({ ...inferenceSettings(spec, stand, sets.val, sets.test), params });
  try {
    return await evaluateSets(session, spec, { test: sets.test, val: sets.val });
  } finally {
    session.dispose();
  }
}

/** SetResults as an epoch's fields. */
export function epochMetrics({ train, test, val }: SetResults): EpochMetrics {
  const rmse = train?.regression?.rmse;
  return {
    ...(train ? { trainEvalLoss: train.metrics.loss } : {}),
    ...(train ? (rmse === undefined ? { trainAccuracy: train.metrics.accuracy } : { trainRMSE: rmse }) : {}),
    ...(test ? { testLoss: test.metrics.loss, ...figures(test, 'testAccuracy', 'testRMSE', 'testMAE', 'testR2') } : {}),
    ...(val ? { valLoss: val.metrics.loss, ...figures(val, 'valAccuracy', 'valRMSE', 'valMAE', 'valR2') } : {}),
  };
}

/** A set's accuracy, or its RMSE, MAE and R², under the given names. */
function figures(set: SetResult, ...[accuracy, rmse, mae, r2]: (keyof EpochMetrics)[]): EpochMetrics {
  const r = set.regression;
  return r ? { [rmse]: r.rmse, [mae]: r.mae, [r2]: r.r2 } : { [accuracy]: set.metrics.accuracy };
}

/** The epoch (1-based) of the lowest validation loss so far, the first one on a tie; 0 before any. */
export function bestEpoch(history: readonly { epoch: number; valLoss?: number }[]): number {
  let best = 0;
  let lowest = Infinity;
  for (const record of history) {
    if (record.valLoss !== undefined && record.valLoss < lowest) [best, lowest] = [record.epoch, record.valLoss];
  }
  return best;
}
