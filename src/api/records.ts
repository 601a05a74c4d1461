/** What fit, predict and evaluate give back, in the task's terms. */
import { type ModelSpec, outputSize } from '../model/spec.js';
import { targetStandardisation, unstandardiseFloat32 } from '../model/table.js';
import { convergenceWarning } from '../train/convergence.js';
import type { EpochMetrics } from '../train/evaluation.js';
import { argmax, softmax } from '../train/metrics.js';
import type { EpochRecord, TrainResult } from '../train/trainer.js';
import { apiName } from './wording.js';

type SetResult = NonNullable<TrainResult['test']>;
type SetRegression = NonNullable<TrainResult['testRegression']>;

/** One epoch of fit: `trainLoss` (the mean of its steps'), and the validation and test sets' figures where given. */
export type FitRecord = Omit<EpochRecord, keyof EpochMetrics> & Partial<EpochMetrics>;

/** What fit did. */
export interface FitResult {
  /** One record per epoch run. */
  history: FitRecord[];
  /** Steps run in all (a resumed run counts the checkpoint's). */
  steps: number;
  seconds: number;
  /** With earlyStopping: the epoch whose weights the model now has, and whether training stopped before `epochs`. */
  earlyStopping?: { bestEpoch: number; stopped: boolean };
  /**
   * Whether the training loss had settled by the end (false: one of the last 10 epochs still lowered it by more than
   * 1e-4), for a run of 2 epochs or more that early stopping did not end; with `warning` saying what to do when false.
   */
  converged?: boolean;
  warning?: string;
  /** The figures of the weights the model keeps, on testData and on the validation rows, where fit had them. */
  test?: ClassifierMetrics | RegressionReport;
  val?: ClassifierMetrics | RegressionReport;
}

/** A set's figures in the task's terms. */
export const figures = (metrics: SetResult, r?: SetRegression): ClassifierMetrics | RegressionReport =>
  r
    ? { loss: metrics.loss, rmse: r.rmse, mae: r.mae, r2: r.r2, perTarget: r.perTarget }
    : { loss: metrics.loss, accuracy: metrics.accuracy };

export function fitResult({
  history,
  steps,
  seconds,
  earlyStop,
  convergence,
  test,
  val,
  ...r
}: TrainResult): FitResult {
  return {
    history,
    steps,
    seconds,
    ...(earlyStop ? { earlyStopping: earlyStop } : {}),
    ...(convergence ? { converged: convergence.converged } : {}),
    ...(convergence?.converged === false ? { warning: convergenceWarning(convergence, apiName) } : {}),
    ...(test ? { test: figures(test, r.testRegression) } : {}),
    ...(val ? { val: figures(val, r.valRegression) } : {}),
  };
}

/** A classifier's evaluation: its mean loss and the fraction of rows classified right (0..1). */
export interface ClassifierMetrics {
  loss: number;
  accuracy: number;
}

/** A regression's evaluation: the loss of the standardised targets, and the errors in their units (mean over them). */
export interface RegressionMetrics {
  loss: number;
  rmse: number;
  mae: number;
  r2: number;
}

/** A classifier's evaluation with its breakdown. */
export interface ClassifierReport extends ClassifierMetrics {
  /** [true class, predicted class] counts, classes x classes row-major. */
  confusion: Uint32Array;
  /** Per true class, the fraction of its rows classified right (NaN for a class with no rows). */
  perClassAccuracy: number[];
}

/** A regression's evaluation with its figures per target, in the targets' order and units. */
export interface RegressionReport extends RegressionMetrics {
  perTarget: { rmse: number[]; mae: number[]; r2: number[] };
}

/**
 * A model's answers, one row per input row: a classifier's class probabilities (an `mse` classifier's raw outputs) and
 * predicted classes, or a regression's targets in their own units.
 */
export class Predictions {
  readonly rows: number;
  readonly cols: number;

  constructor(
    /** Row-major [rows, cols]. */
    readonly values: Float32Array,
    /** The classes or targets, one per column. */
    readonly columns: string[],
    /** A classifier's predicted class per row (the first of equal scores); absent for a regression. */
    readonly labels?: string[],
  ) {
    this.cols = columns.length;
    this.rows = values.length / this.cols;
  }

  /** Row `r`'s values (a view). */
  row(r: number): Float32Array {
    return this.values.subarray(r * this.cols, (r + 1) * this.cols);
  }

  /** The values as an array of rows. */
  toArray(): number[][] {
    return Array.from({ length: this.rows }, (_, r) => Array.from(this.row(r)));
  }
}

/** The model's outputs [count, outputs] as Predictions, its classes named by `names.classes` where it has none. */
export function predictions(
  spec: ModelSpec,
  outputs: Float32Array,
  count: number,
  names: { classes?: string[] },
): Predictions {
  const d = spec.data;
  const width = outputSize(spec);
  const mine = outputs.subarray(0, count * width);
  if (spec.task === 'regression')
    return new Predictions(unstandardiseFloat32(mine, width, targetStandardisation(d!, width)), d!.targets);
  const classes = d?.classes ?? names.classes!;
  const values = new Float32Array(count * width);
  const labels: string[] = [];
  for (let r = 0; r < count; r++) {
    values.set(
      spec.loss === 'mse' ? mine.subarray(r * width, (r + 1) * width) : softmax(mine, r * width, width),
      r * width,
    );
    labels.push(classes[argmax(mine, r * width, width)]);
  }
  return new Predictions(values, classes, labels);
}
