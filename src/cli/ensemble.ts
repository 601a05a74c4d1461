/**
 * sweep --ensemble's folder as one model for predict and eval: the mean of its members' class probabilities or
 * targets (the API's Ensemble). Its members must be models of the same data: the first one's spec stands for all.
 */
import type { Inputs, Labels } from '../api/arrays.js';
import { Ensemble } from '../api/ensemble.js';
import type { MLP } from '../api/model.js';
import type { ClassifierReport, Predictions, RegressionReport } from '../api/records.js';
import { UserError } from '../errors.js';
import type { ModelSpec } from '../model/spec.js';
import { confusionMatrix, perClassAccuracy, regressionMetrics } from '../train/metrics.js';

/** What predict and eval ask of a model: a model file's MLP, or an ensemble's folder of them. */
export interface Predictor {
  readonly spec: ModelSpec;
  readonly backend: string;
  readonly device: string;
  predict(x: Inputs): Promise<Predictions>;
  evaluateInDetail(x: Inputs, y: Labels): Promise<ClassifierReport | RegressionReport>;
  dispose(): void;
}

/** The data a model reads and answers in: its task, widths and a table's columns; two members must agree on it. */
const dataOf = (spec: ModelSpec) =>
  JSON.stringify([
    spec.task,
    spec.layers[0],
    spec.layers[spec.layers.length - 1],
    spec.data?.features,
    spec.data?.targets,
    spec.data?.classes,
  ]);

/** Refuses a folder whose members read or answer in other terms than its first. */
export function checkMembers(specs: ModelSpec[], files: string[]): void {
  const odd = specs.findIndex((spec) => dataOf(spec) !== dataOf(specs[0]));
  if (odd >= 0) {
    throw new UserError(
      `${files[odd]} is a model of other data than ${files[0]}: an ensemble's models share their inputs and outputs; ` +
        'remove it from the folder',
    );
  }
}

/** The members as one Predictor. Its evaluation has no loss (NaN): the members' losses do not make the ensemble's. */
export class EnsembleModel implements Predictor {
  private readonly ensemble: Ensemble;

  constructor(private readonly members: MLP[]) {
    this.ensemble = new Ensemble(members);
  }

  get spec(): ModelSpec {
    return this.members[0].spec;
  }

  get backend(): string {
    return this.members[0].backend;
  }

  get device(): string {
    return this.members[0].device;
  }

  predict(x: Inputs): Promise<Predictions> {
    return this.ensemble.predict(x);
  }

  async evaluateInDetail(x: Inputs, y: Labels): Promise<ClassifierReport | RegressionReport> {
    const p = await this.ensemble.predict(x);
    if (!p.labels) {
      const width = p.cols;
      const targets = (y as { data: ArrayLike<number> }).data;
      const identity = { mean: new Array(width).fill(0), std: new Array(width).fill(1) };
      return { loss: NaN, ...regressionMetrics(p.values, targets, p.rows, identity) };
    }
    const truth = Array.from(y as ArrayLike<string | number>, (label) => {
      const index = p.columns.indexOf(String(label));
      if (index < 0) throw new UserError(`label ${label} is none of the ensemble's classes ${p.columns.join(', ')}`);
      return index;
    });
    const confusion = confusionMatrix(p.values, truth, p.rows, p.cols);
    // The confusion's columns are the largest mean probability: the ensemble's labels.
    let right = 0;
    for (let c = 0; c < p.cols; c++) right += confusion[c * p.cols + c];
    return {
      loss: NaN,
      accuracy: right / p.rows,
      confusion,
      perClassAccuracy: perClassAccuracy(confusion, p.cols),
    };
  }

  dispose(): void {
    this.ensemble.dispose();
  }
}
