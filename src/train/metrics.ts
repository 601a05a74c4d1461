/** Host-side metrics over a set's outputs (TrainingSession.predict), a regression's in the targets' units. */
import { EVAL_ROWS } from '../cpu/backend.js';
import { modelLoss } from '../cpu/losses.js';
import { labelWidth, type ModelSpec, outputSize } from '../model/spec.js';
import { type Standardisation, unstandardise } from '../model/table.js';

/** Index of the largest value, the first one winning a tie (as argmaxCount and the GPU's argmax_count do). */
export function argmax(values: ArrayLike<number>, start = 0, length = values.length - start): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[start + i] > values[start + best]) best = i;
  return best;
}

/** Softmax of `length` values from `start`, in float64, the maximum subtracted first. */
export function softmax(values: ArrayLike<number>, start = 0, length = values.length - start): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < length; i++) max = Math.max(max, values[start + i]);
  const out = new Float64Array(length);
  let sum = 0;
  for (let i = 0; i < length; i++) sum += out[i] = Math.exp(values[start + i] - max);
  for (let i = 0; i < length; i++) out[i] /= sum;
  return out;
}

/**
 * The mean loss of a set's outputs [count, outputs] by the CPU reference's loss, summed as CpuSession.evaluate sums it
 * (each batch of EVAL_ROWS rows' mean times its rows): bitwise what it reports for the same outputs.
 */
export function meanLoss(spec: ModelSpec, outputs: Float32Array, labels: ArrayLike<number>, count: number): number {
  const outputsPerRow = outputSize(spec);
  const width = labelWidth(spec);
  const batchLabels = spec.task === 'regression' ? new Float32Array(EVAL_ROWS * width) : new Uint32Array(EVAL_ROWS);
  let sum = 0;
  for (let start = 0; start < count; start += EVAL_ROWS) {
    const rows = Math.min(EVAL_ROWS, count - start);
    for (let i = 0; i < rows * width; i++) batchLabels[i] = labels[start * width + i];
    const out = outputs.subarray(start * outputsPerRow, (start + rows) * outputsPerRow);
    sum += modelLoss(spec, null, out, batchLabels.subarray(0, rows * width), rows, outputsPerRow) * rows;
  }
  return sum / count;
}

/** [true, predicted] counts, row-major classes x classes. outputs: [count, classes]; labels: [count]. */
export function confusionMatrix(
  outputs: Float32Array,
  labels: ArrayLike<number>,
  count: number,
  classes: number,
): Uint32Array {
  const confusion = new Uint32Array(classes * classes);
  for (let r = 0; r < count; r++) confusion[labels[r] * classes + argmax(outputs, r * classes, classes)]++;
  return confusion;
}

/** Per true class, the fraction predicted right (NaN for a class the set does not hold). */
export function perClassAccuracy(confusion: ArrayLike<number>, classes: number): number[] {
  return Array.from({ length: classes }, (_, t) => {
    let total = 0;
    for (let p = 0; p < classes; p++) total += confusion[t * classes + p];
    return total > 0 ? confusion[t * classes + t] / total : NaN;
  });
}

/** The confusion matrix as a text table with each row's accuracy; classes named by `names` (default 0..n-1). */
export function confusionTable(confusion: ArrayLike<number>, classes: number, names?: string[]): string {
  const labels = Array.from({ length: classes }, (_, c) => names?.[c] ?? String(c));
  const width = Math.max(5, String(Math.max(...Array.from(confusion))).length + 1, ...labels.map((l) => l.length + 1));
  const first = Math.max(9, ...labels.map((l) => l.length));
  const pad = (s: string | number) => String(s).padStart(width);
  const accuracy = perClassAccuracy(confusion, classes);
  const lines = [`${'true\\pred'.padEnd(first)}${labels.map(pad).join('')}  accuracy`];
  for (let t = 0; t < classes; t++) {
    const row = Array.from({ length: classes }, (_, p) => pad(confusion[t * classes + p])).join('');
    const acc = Number.isNaN(accuracy[t]) ? '-' : `${(100 * accuracy[t]).toFixed(2)}%`;
    lines.push(`${labels[t].padStart(first)}${row}  ${acc.padStart(8)}`);
  }
  return lines.join('\n');
}

/** Regression metrics in the targets' own units, per target and (scikit-learn's uniform average) over them. */
export interface RegressionMetrics {
  rmse: number;
  mae: number;
  r2: number;
  perTarget: { rmse: number[]; mae: number[]; r2: number[] };
}

/**
 * RMSE, MAE and R² of a set's standardised outputs against its targets, both first turned back into the targets' units
 * (in float64). A target constant over the set scores R² 1 when predicted exactly and 0 otherwise, as r2_score does.
 */
export function regressionMetrics(
  outputs: Float32Array,
  targets: ArrayLike<number>,
  count: number,
  stats: Standardisation,
): RegressionMetrics {
  const width = stats.mean.length;
  const predicted = unstandardise(outputs.subarray(0, count * width), width, stats);
  const actual = unstandardise(Array.prototype.slice.call(targets, 0, count * width) as number[], width, stats);
  const perTarget = { rmse: [] as number[], mae: [] as number[], r2: [] as number[] };
  for (let j = 0; j < width; j++) {
    let squares = 0;
    let absolute = 0;
    let sum = 0;
    for (let r = 0; r < count; r++) {
      const error = predicted[r * width + j] - actual[r * width + j];
      squares += error * error;
      absolute += Math.abs(error);
      sum += actual[r * width + j];
    }
    const mean = sum / count;
    let total = 0;
    for (let r = 0; r < count; r++) total += (actual[r * width + j] - mean) ** 2;
    perTarget.rmse.push(Math.sqrt(squares / count));
    perTarget.mae.push(absolute / count);
    perTarget.r2.push(total > 0 ? 1 - squares / total : squares === 0 ? 1 : 0);
  }
  const average = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return { rmse: average(perTarget.rmse), mae: average(perTarget.mae), r2: average(perTarget.r2), perTarget };
}
