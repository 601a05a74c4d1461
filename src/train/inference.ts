/** Using a trained model without training it: eval's metrics and predict's outputs, on any backend's session. */
import type { Backend, Dataset, Metrics, SessionSettings } from '../backend.js';
import { checkSession } from '../check.js';
import { type ModelSpec, outputSize } from '../model/spec.js';
import { targetStandardisation } from '../model/table.js';
import { confusionMatrix, meanLoss, perClassAccuracy, type RegressionMetrics, regressionMetrics } from './metrics.js';

export interface Evaluation {
  test: Metrics;
  /** [true, predicted] counts, classes x classes row-major. */
  confusion: Uint32Array;
  /** Per true class, the fraction predicted right. */
  perClassAccuracy: number[];
}

/** A regression model's results: the loss of the standardised targets (accuracy NaN), and the errors in their units. */
export interface RegressionEvaluation {
  test: Metrics;
  regression: RegressionMetrics;
}

/**
 * The checked settings of a session that evaluates or predicts `set` and never trains: `set` is its training and test
 * set. Its batch of 256 rows keeps the step table short and needs no more memory than evaluation batches do.
 */
export function inferenceSettings(
  spec: ModelSpec,
  set: Dataset,
  val?: Dataset,
  test: Dataset | undefined = set,
): SessionSettings {
  const settings: SessionSettings = {
    spec,
    batch: Math.max(1, Math.min(set.count, 256)),
    learningRate: 1,
    train: set,
    test,
    val,
    evaluateOnly: true,
  };
  checkSession(settings);
  return settings;
}

/**
 * Test loss and accuracy as training reports them, and the confusion matrix, from one forward pass (predict): the
 * loss is the CPU backend's own arithmetic (meanLoss), within float32 rounding of the GPU's.
 */
export async function evaluateModel(
  backend: Backend,
  spec: ModelSpec,
  params: Float32Array,
  test: Dataset,
  settings = inferenceSettings(spec, test),
): Promise<Evaluation> {
  const outputs = await predictOutputs(backend, spec, params, test, settings);
  const classes = outputSize(spec);
  const confusion = confusionMatrix(outputs, test.labels, test.count, classes);
  let correct = 0;
  for (let c = 0; c < classes; c++) correct += confusion[c * classes + c];
  return {
    test: { loss: meanLoss(spec, outputs, test.labels, test.count), accuracy: correct / test.count },
    confusion,
    perClassAccuracy: perClassAccuracy(confusion, classes),
  };
}

/** A regression model's test loss as training reports it, and RMSE, MAE and R² in the targets' units. */
export async function evaluateRegression(
  backend: Backend,
  spec: ModelSpec,
  params: Float32Array,
  test: Dataset,
  settings = inferenceSettings(spec, test),
): Promise<RegressionEvaluation> {
  const outputs = await predictOutputs(backend, spec, params, test, settings);
  return {
    test: { loss: meanLoss(spec, outputs, test.labels, test.count), accuracy: NaN },
    regression: regressionMetrics(outputs, test.labels, test.count, targetStandardisation(spec.data, outputSize(spec))),
  };
}

/** The model's outputs for every sample of `set`: [count, classes], on a session of inferenceSettings(spec, set). */
export async function predictOutputs(
  backend: Backend,
  spec: ModelSpec,
  params: Float32Array,
  set: Dataset,
  settings = inferenceSettings(spec, set),
): Promise<Float32Array> {
  const session = await backend.createSession({ ...settings, params });
  try {
    return await session.predict(set);
  } finally {
    session.dispose();
  }
}
