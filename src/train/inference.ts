/** Using a trained model without training it: eval's metrics and predict's outputs, on any backend's session. */
import type { Backend, Dataset, Metrics, SessionSizes, TrainingSession } from '../backend.js';
import { UserError } from '../errors.js';
import type { ModelSpec } from '../model/spec.js';
import { inputSize, outputSize } from '../model/spec.js';
import { confusionMatrix, perClassAccuracy } from './metrics.js';

export interface Evaluation {
  test: Metrics;
  /** [true, predicted] counts, classes x classes row-major. */
  confusion: Uint32Array;
  /** Per true class, the fraction predicted right. */
  perClassAccuracy: number[];
}

/**
 * The sizes of the session that evaluates or predicts `set`: one that never trains (evaluateOnly), `set` standing in
 * as its training set. Its batch only sizes what training would use: 256 rows (or the whole set, if smaller) keeps
 * the step table short and needs no more activation memory than the backends' evaluation batches already do.
 */
export function inferenceSizes(spec: ModelSpec, set: Dataset): SessionSizes {
  return { spec, batch: Math.max(1, Math.min(set.count, 256)), learningRate: 1, train: set, test: set, evaluateOnly: true };
}

async function openSession(backend: Backend, spec: ModelSpec, params: Float32Array, set: Dataset): Promise<TrainingSession> {
  if (set.features !== inputSize(spec)) {
    throw new UserError(`the model takes ${inputSize(spec)} inputs but the images have ${set.features} pixels`);
  }
  let maxLabel = 0;
  for (const label of set.labels.subarray(0, set.count)) maxLabel = Math.max(maxLabel, label);
  if (maxLabel >= outputSize(spec)) throw new UserError(`the model has ${outputSize(spec)} outputs but the data has label ${maxLabel}`);
  return backend.createSession({ ...inferenceSizes(spec, set), params });
}

/** Test loss and accuracy as training reports them (TrainingSession.evaluate), plus the confusion matrix. */
export async function evaluateModel(backend: Backend, spec: ModelSpec, params: Float32Array, test: Dataset): Promise<Evaluation> {
  const session = await openSession(backend, spec, params, test);
  try {
    const metrics = await session.evaluate('test');
    const outputs = await session.predict(test);
    const classes = outputSize(spec);
    const confusion = confusionMatrix(outputs, test.labels, test.count, classes);
    return { test: metrics, confusion, perClassAccuracy: perClassAccuracy(confusion, classes) };
  } finally {
    session.dispose();
  }
}

/** The model's outputs for every sample of `set`: [count, classes]. */
export async function predictOutputs(backend: Backend, spec: ModelSpec, params: Float32Array, set: Dataset): Promise<Float32Array> {
  const session = await openSession(backend, spec, params, set);
  try {
    return await session.predict(set);
  } finally {
    session.dispose();
  }
}
