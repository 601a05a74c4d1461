/**
 * What the trainer reports of a model after each epoch, in the task's terms: loss and accuracy for classification;
 * loss (of the standardised targets, as trained) and RMSE, MAE and R² in the targets' units for regression, from the
 * session's predict() outputs. And early stopping's choice of the best epoch.
 */
import type { Backend, Dataset, Metrics, TrainingSession } from '../backend.js';
import { type ModelSpec, outputSize } from '../model/spec.js';
import { targetStandardisation } from '../model/table.js';
import { inferenceSettings } from './inference.js';
import { type RegressionMetrics, regressionMetrics } from './metrics.js';

/** A model's results on the sets evaluated: the test set, the validation set and the training set, where given. */
export interface SetResults {
  test?: Metrics;
  val?: Metrics;
  train?: Metrics;
  /** Regression only. */
  testRegression?: RegressionMetrics;
  valRegression?: RegressionMetrics;
  trainRegression?: RegressionMetrics;
}

/** The sets a model is evaluated on: the training set only when given (it must be the session's own). */
export interface EvaluatedSets {
  test?: Dataset;
  val?: Dataset;
  train?: Dataset;
}

/** The per-epoch fields of SetResults, named as EpochRecord and the report name them. */
export interface EpochMetrics {
  /**
   * With the training set evaluated: its loss and accuracy (RMSE for regression) after the epoch, without dropout
   * (EpochRecord.trainLoss is the mean over the epoch's steps instead, with dropout where it trains with it).
   */
  trainEvalLoss?: number;
  trainAccuracy?: number;
  trainRMSE?: number;
  /** With a test set only. */
  testLoss?: number;
  /** Classification only. */
  testAccuracy?: number;
  /** Regression only: in the targets' units (their mean, over several targets). */
  testRMSE?: number;
  testMAE?: number;
  testR2?: number;
  /** With a validation set only. */
  valLoss?: number;
  valAccuracy?: number;
  valRMSE?: number;
  valMAE?: number;
  valR2?: number;
}

/** A regression's metrics of a set from the session's outputs for it. */
async function regressionOf(session: TrainingSession, spec: ModelSpec, set: Dataset): Promise<RegressionMetrics> {
  const outputs = await session.predict(set);
  return regressionMetrics(outputs, set.labels, set.count, targetStandardisation(spec.data, outputSize(spec)));
}

/** Evaluates the session's current parameters on the test set, the validation set and the training set, without
 * dropout: those `sets` has. */
export async function evaluateSets(
  session: TrainingSession,
  spec: ModelSpec,
  sets: EvaluatedSets,
): Promise<SetResults> {
  const results: SetResults = {};
  if (sets.test) results.test = await session.evaluate('test');
  if (sets.val) results.val = await session.evaluate('val');
  if (sets.train) results.train = await session.evaluate('train');
  if (spec.task === 'regression') {
    if (sets.test) results.testRegression = await regressionOf(session, spec, sets.test);
    if (sets.val) results.valRegression = await regressionOf(session, spec, sets.val);
    if (sets.train) results.trainRegression = await regressionOf(session, spec, sets.train);
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

/** SetResults as an epoch's fields: accuracy for classification, RMSE, MAE and R² for regression. */
export function epochMetrics(results: SetResults): EpochMetrics {
  const { train, test, val, testRegression: tr, valRegression: vr } = results;
  return {
    ...(train ? { trainEvalLoss: train.loss } : {}),
    ...(train && !results.trainRegression ? { trainAccuracy: train.accuracy } : {}),
    ...(results.trainRegression ? { trainRMSE: results.trainRegression.rmse } : {}),
    ...(test ? { testLoss: test.loss } : {}),
    ...(test && !tr ? { testAccuracy: test.accuracy } : {}),
    ...(tr ? { testRMSE: tr.rmse, testMAE: tr.mae, testR2: tr.r2 } : {}),
    ...(val ? { valLoss: val.loss } : {}),
    ...(val && !vr ? { valAccuracy: val.accuracy } : {}),
    ...(vr ? { valRMSE: vr.rmse, valMAE: vr.mae, valR2: vr.r2 } : {}),
  };
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
