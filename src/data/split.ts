import type { Dataset } from '../backend.js';
import { UserError } from '../errors.js';

/**
 * Holds the last `count` samples of a training set out as a validation set (as Keras's validation_split does): the
 * same samples for every seed, never shuffled into training. Both parts are zero-copy views. `labelWidth` is the
 * labels per sample: 1 for class labels, the targets per sample for a regression.
 */
export function holdOut(set: Dataset, count: number, labelWidth = 1): { train: Dataset; val: Dataset } {
  if (!Number.isInteger(count) || count < 1 || count >= set.count) {
    throw new UserError((n) => `${n('validation')} ${count} must be a whole number from 1 to ${set.count - 1}: the training set has ${set.count} samples`,
      'validation');
  }
  const kept = set.count - count;
  const part = (from: number, to: number): Dataset => ({
    inputs: set.inputs.subarray(from * set.features, to * set.features),
    labels: set.labels.subarray(from * labelWidth, to * labelWidth),
    count: to - from,
    features: set.features,
  });
  return { train: part(0, kept), val: part(kept, set.count) };
}
