/** What fit, predict and evaluate give back, in the task's terms. */
import { type ModelSpec, outputSize, type Task } from '../model/spec.js';
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

/** A value by task: `C` for a classifier, `R` for a regression, either where the task is not known (`Task`). */
export type ByTask<T extends Task, C, R> = [T] extends ['classification'] ? C : [T] extends ['regression'] ? R : C | R;

/** What fit did; `T` is the model's task, which types the figures of test and val. */
export interface FitResult<T extends Task = Task> {
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
  test?: ByTask<T, ClassifierMetrics, RegressionReport>;
  val?: ByTask<T, ClassifierMetrics, RegressionReport>;
}

/** A set's figures in the task's terms. */
export const figures = (metrics: SetResult, r?: SetRegression): ClassifierMetrics | RegressionReport =>
  r
    ? { loss: metrics.loss, rmse: r.rmse, mae: r.mae, r2: r.r2, perTarget: r.perTarget }
    : { loss: metrics.loss, accuracy: metrics.accuracy };

export function fitResult<T extends Task>({
  history,
  steps,
  seconds,
  earlyStop,
  convergence,
  test,
  val,
  ...r
}: TrainResult): FitResult<T> {
  type Figures = ByTask<T, ClassifierMetrics, RegressionReport>;
  return {
    history,
    steps,
    seconds,
    ...(earlyStop ? { earlyStopping: earlyStop } : {}),
    ...(convergence ? { converged: convergence.converged } : {}),
    ...(convergence?.converged === false ? { warning: convergenceWarning(convergence, apiName) } : {}),
    ...(test ? { test: figures(test, r.testRegression) as Figures } : {}),
    ...(val ? { val: figures(val, r.valRegression) as Figures } : {}),
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
 * A classifier's label, in the type its labels were given in: numbers where fit's `y` held numbers only (or an image
 * model's class indices), else strings.
 */
export type ClassLabel = string | number;

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
    readonly labels?: ClassLabel[],
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

/** A classifier's predictions: a label for every row. */
export type ClassifierPredictions = Predictions & { readonly labels: ClassLabel[] };
/** A regression's predictions: targets, no labels. */
export type RegressionPredictions = Predictions & { readonly labels?: undefined };

/** What predict gives a model of task `T`. */
export type PredictionsOf<T extends Task> = ByTask<T, ClassifierPredictions, RegressionPredictions>;
/** What evaluate gives a model of task `T`. */
export type MetricsOf<T extends Task> = ByTask<T, ClassifierMetrics, RegressionMetrics>;
/** What evaluateInDetail gives a model of task `T`. */
export type ReportOf<T extends Task> = ByTask<T, ClassifierReport, RegressionReport>;

/**
 * The model's outputs [count, outputs] as Predictions, its classes named by `names.classes` where it has none; the
 * labels are numbers where the classes are (`classType`).
 */
export function predictions(
  spec: ModelSpec,
  outputs: Float32Array,
  count: number,
  names: { classes?: string[]; classType?: 'number' },
): Predictions {
  const d = spec.data;
  const width = outputSize(spec);
  const mine = outputs.subarray(0, count * width);
  if (spec.task === 'regression')
    return new Predictions(unstandardiseFloat32(mine, width, targetStandardisation(d!, width)), d!.targets);
  const classes = d?.classes ?? names.classes!;
  const numbers = (d ? d.classType : names.classType) === 'number';
  const values = new Float32Array(count * width);
  const labels: ClassLabel[] = [];
  for (let r = 0; r < count; r++) {
    values.set(
      spec.loss === 'mse' ? mine.subarray(r * width, (r + 1) * width) : softmax(mine, r * width, width),
      r * width,
    );
    const name = classes[argmax(mine, r * width, width)];
    labels.push(numbers ? Number(name) : name);
  }
  return new Predictions(values, classes, labels);
}
