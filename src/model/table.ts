/**
 * What a model trained on a table knows of its data: the feature columns in input order with the standardisation
 * fitted on the training rows, the class names (classification) or the target columns with theirs (regression). The
 * model file carries it, so that a model alone reads a new table and says its answers in the table's own terms.
 */
import { UserError } from '../errors.js';

/**
 * What the outputs are: classes (labels are class indices, one output per class) or regression (labels are target
 * values, one output per target, learned with the mse loss against the values themselves).
 */
export const TASKS = ['classification', 'regression'] as const;
export type Task = (typeof TASKS)[number];

export interface TableDescription {
  /** The feature columns, in the order of the model's inputs. */
  features: string[];
  /** Per feature, the float32 mean and standard deviation that inputs are standardised with: (x - mean) / std. */
  featureMean: number[];
  featureStd: number[];
  /** The target columns: one for classification, one per output for regression. */
  targets: string[];
  /** Classification: output i is the score of classes[i]. */
  classes?: string[];
  /** Classification: `'number'` where the labels were numbers, and predictions give them back as numbers. */
  classType?: 'number';
  /** Regression: per target, the float32 mean and std; output i predicts (target_i - mean_i) / std_i. */
  targetMean?: number[];
  targetStd?: number[];
}

/** Statistics that standardise columns: (x - mean) / std, as float32 arithmetic. */
export interface Standardisation {
  mean: number[];
  std: number[];
}

/**
 * Per column of rows [count, width] (or of the rows `indices` of them, in that order), the mean and population
 * standard deviation, each rounded to float32. A column whose deviation is 0 (a constant), or rounds to 0, divides by
 * 1, as scikit-learn's StandardScaler does. Two passes along the rows, each summing every column in float64 in row
 * order, so a large table is read twice, whatever its width, and never copied.
 */
export function fitStandardisation(
  rows: Float32Array,
  count: number,
  width: number,
  indices?: Uint32Array,
): Standardisation {
  const rowAt = indices ? (i: number) => indices[i] * width : (i: number) => i * width;
  const sums = new Float64Array(width);
  for (let i = 0; i < count; i++) {
    const at = rowAt(i);
    for (let j = 0; j < width; j++) sums[j] += rows[at + j];
  }
  const means = sums.map((sum) => sum / count);
  const squares = new Float64Array(width);
  for (let i = 0; i < count; i++) {
    const at = rowAt(i);
    for (let j = 0; j < width; j++) squares[j] += (rows[at + j] - means[j]) ** 2;
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let j = 0; j < width; j++) {
    const s = Math.fround(Math.sqrt(squares[j] / count));
    mean.push(Math.fround(means[j]));
    std.push(s > 0 && Number.isFinite(s) ? s : 1);
  }
  return { mean, std };
}

/**
 * Standardises rows [count, width] in place: x = (x - mean) / std in float32, a subtraction and a division each
 * rounded to float32, so that PyTorch's `(x - mean) / std` on float32 tensors gives the same bits.
 */
export function standardise(rows: Float32Array, width: number, { mean, std }: Standardisation): void {
  const m = Float32Array.from(mean);
  const s = Float32Array.from(std);
  for (let i = 0; i < rows.length; i++) {
    const j = i % width;
    rows[i] = Math.fround(rows[i] - m[j]) / s[j];
  }
}

/** Undoes standardise in float64: value x·std + mean per column, for outputs [count, width] in the data's units. */
export function unstandardise(rows: ArrayLike<number>, width: number, { mean, std }: Standardisation): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = rows[i] * std[i % width] + mean[i % width];
  return out;
}

/**
 * Undoes standardise in float32: x·std + mean per column, the product and the sum each rounded to float32, as
 * PyTorch computes `out * std + mean` on float32 tensors (predict's answers in the data's units).
 */
export function unstandardiseFloat32(rows: Float32Array, width: number, { mean, std }: Standardisation): Float32Array {
  const out = new Float32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = Math.fround(rows[i] * std[i % width]) + mean[i % width];
  return out;
}

/** A table description's feature statistics. */
export const featureStandardisation = (d: TableDescription): Standardisation => ({
  mean: d.featureMean,
  std: d.featureStd,
});

/** A regression's target statistics (mean 0, std 1 where the description has none). */
export function targetStandardisation(d: TableDescription | undefined, outputs: number): Standardisation {
  return {
    mean: d?.targetMean ?? Array.from({ length: outputs }, () => 0),
    std: d?.targetStd ?? Array.from({ length: outputs }, () => 1),
  };
}

/**
 * A description fits a model of `inputs` and `outputs` for its task: one name and statistic per input, one class
 * name per output (classification) or one target name and statistic per output (regression); every mean finite,
 * every std positive. A description that does not is a file's fault: the error says what is wrong.
 */
export function validateDescription(d: TableDescription, task: Task, inputs: number, outputs: number): void {
  const fail = (what: string): never => {
    throw new UserError(`the table description does not fit the model: ${what}`);
  };
  const names = (list: unknown, what: string, length: number) => {
    if (!Array.isArray(list) || list.length !== length || !list.every((name) => typeof name === 'string')) {
      fail(`${what} must be ${length} names`);
    }
    if (new Set(list as string[]).size !== length) fail(`${what} hold a name twice`);
  };
  const stats = (mean: unknown, std: unknown, what: string, length: number) => {
    const numbers = (list: unknown) =>
      Array.isArray(list) && list.length === length && list.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!numbers(mean) || !numbers(std) || !(std as number[]).every((v) => v > 0)) {
      fail(`${what} need ${length} finite means and ${length} positive standard deviations`);
    }
  };
  names(d.features, 'the features', inputs);
  stats(d.featureMean, d.featureStd, 'the features', inputs);
  if (task === 'classification') {
    names(d.targets, 'the targets of a classification', 1);
    names(d.classes, 'the classes', outputs);
    if (d.targetMean !== undefined || d.targetStd !== undefined) fail('a classification has no target statistics');
    if (d.classType !== undefined && d.classType !== 'number') fail('the class type must be "number" where given');
  } else {
    names(d.targets, 'the targets', outputs);
    stats(d.targetMean, d.targetStd, 'the targets', outputs);
    if (d.classes !== undefined || d.classType !== undefined) fail('a regression has no classes');
  }
  if (d.targets.some((name) => d.features.includes(name))) fail('a target is also a feature');
}
