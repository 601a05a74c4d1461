import type { Dataset } from '../backend.js';
import { UserError } from '../errors.js';

/** The rows a validation split holds out of `rows`: the fraction, rounded, leaving at least one on either side. */
export function validationRows(split: number, rows: number): number {
  const held = Math.round(split * rows);
  if (!(split > 0 && split < 1) || held < 1 || held >= rows) {
    const count = Number.isFinite(held) ? held : 'no';
    throw new UserError(
      (n) =>
        `${n('validationSplit')} ${split} of ${rows} training rows holds out ${count} ` +
        'rows: use a fraction between 0 and 1 that leaves rows for both training and validation',
      'validationSplit',
    );
  }
  return held;
}

/**
 * Holds the last `split` of a set's samples out for validation, as Keras's validation_split does: the same samples
 * for every seed, as zero-copy views. `labelWidth` is the labels per sample (a regression's targets).
 */
export function holdOut(set: Dataset, split: number, labelWidth = 1): { train: Dataset; val: Dataset } {
  const kept = set.count - validationRows(split, set.count);
  return { train: samples(set, 0, kept, labelWidth), val: samples(set, kept, set.count, labelWidth) };
}

/** Samples from..to-1 of a set, a zero-copy view. */
export function samples<T extends Dataset>(set: T, from: number, to: number, labelWidth = 1): T {
  return {
    ...set,
    inputs: set.inputs.subarray(from * set.features, to * set.features),
    labels: set.labels.subarray(from * labelWidth, to * labelWidth),
    count: to - from,
  };
}

/** The training rows a train limit keeps: `limit`, a whole number from 1 to the `rows` there are, or all of them. */
export function limitRows(file: string, limit: number | undefined, rows: number, unit: string): number {
  if (limit === undefined) return rows;
  if (!Number.isInteger(limit) || limit < 1 || limit > rows) {
    throw new UserError(
      `${file}: train limit ${limit} must be a whole number from 1 to ${rows}, the training ${unit} it holds`,
    );
  }
  return limit;
}
