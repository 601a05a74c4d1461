/** Several trained models answering as one: the mean of their class probabilities, or of their targets. */
import { UserError } from '../errors.js';
import type { Task } from '../model/spec.js';
import { argmax } from '../train/metrics.js';
import type { Inputs, Labels } from './arrays.js';
import { type ClassLabel, Predictions, type PredictionsOf } from './records.js';

/** What an ensemble needs of a model: its task, its predictions, and to be freed. */
export interface Member<T extends Task> {
  readonly task: T;
  predict(x: Inputs): Promise<PredictionsOf<T>>;
  dispose(): void;
}

/** What Ensemble.evaluate gives: a classifier's accuracy, or a regression's errors in the targets' units. */
export type EnsembleMetrics<T extends Task> = [T] extends ['classification']
  ? { accuracy: number }
  : [T] extends ['regression']
    ? { rmse: number; mae: number; r2: number }
    : { accuracy: number } | { rmse: number; mae: number; r2: number };

/** Models that predict together: a classifier takes the class of the mean probabilities (soft voting). */
export class Ensemble<T extends Task = Task> {
  constructor(readonly members: readonly Member<T>[]) {
    if (members.length === 0) throw new UserError('an ensemble needs one model or more');
  }

  get task(): T {
    return this.members[0].task;
  }

  /** The members' mean answer for rows `x`: probabilities (a classifier's class is their largest) or targets. */
  async predict(x: Inputs): Promise<PredictionsOf<T>> {
    const answers: Predictions[] = [];
    for (const member of this.members) answers.push(await member.predict(x));
    const [first] = answers;
    const values = new Float32Array(first.values.length);
    for (const answer of answers) for (let i = 0; i < values.length; i++) values[i] += answer.values[i];
    for (let i = 0; i < values.length; i++) values[i] /= answers.length;
    if (!first.labels) return new Predictions(values, first.columns) as PredictionsOf<T>;
    const numbers = typeof first.labels[0] === 'number';
    const labels: ClassLabel[] = Array.from({ length: first.rows }, (_, r) => {
      const name = first.columns[argmax(values, r * first.cols, first.cols)];
      return numbers ? Number(name) : name;
    });
    return new Predictions(values, first.columns, labels) as PredictionsOf<T>;
  }

  /** The ensemble's accuracy on rows `x` with labels `y`, or a regression's RMSE, MAE and R² (mean over targets). */
  async evaluate(x: Inputs, y: Labels): Promise<EnsembleMetrics<T>> {
    const answer = await this.predict(x);
    const rows = answer.rows;
    if (answer.labels) {
      const truth = Array.from(y as ArrayLike<string | number>);
      if (truth.length !== rows)
        throw new UserError(`x has ${rows} rows and y ${truth.length}: give one label per row`);
      const right = answer.labels.filter((label, r) => String(label) === String(truth[r])).length;
      return { accuracy: right / rows } as EnsembleMetrics<T>;
    }
    const targets =
      Array.isArray(y) && Array.isArray(y[0]) ? (y as number[][]).flat() : Array.from(y as ArrayLike<number>);
    if (targets.length !== answer.values.length) {
      throw new UserError(`y holds ${targets.length} targets, the rows of x need ${answer.values.length}`);
    }
    let [rmse, mae, r2] = [0, 0, 0];
    for (let c = 0; c < answer.cols; c++) {
      let [sse, sae, mean, sst] = [0, 0, 0, 0];
      for (let r = 0; r < rows; r++) mean += targets[r * answer.cols + c] / rows;
      for (let r = 0; r < rows; r++) {
        const truth = targets[r * answer.cols + c];
        const error = answer.values[r * answer.cols + c] - truth;
        sse += error * error;
        sae += Math.abs(error);
        sst += (truth - mean) ** 2;
      }
      rmse += Math.sqrt(sse / rows) / answer.cols;
      mae += sae / rows / answer.cols;
      r2 += (1 - sse / sst) / answer.cols;
    }
    return { rmse, mae, r2 } as EnsembleMetrics<T>;
  }

  /** Frees every member's backend. */
  dispose(): void {
    for (const member of this.members) member.dispose();
  }
}
