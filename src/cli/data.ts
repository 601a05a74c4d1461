/** The CLI's checks of data and models against each other, before a backend is opened or anything is printed. */
import type { Dataset } from '../backend.js';
import { loadMnist, type Mnist, type MnistOptions } from '../data/mnist.js';
import { UserError } from '../errors.js';
import { inputSize, outputSize, type ModelSpec } from '../model/spec.js';

/**
 * loadMnist, with the fix added to the errors about a file's contents (a bad magic number, a truncated file): the
 * parser names the problem, the fix is the same for every one of them.
 */
export function loadData(dir: string | undefined, options: MnistOptions = {}): Mnist {
  try {
    return loadMnist(dir, options);
  } catch (error) {
    // The folder's own errors name --data, and a few others carry their fix already.
    if (!(error instanceof UserError) || /--data|train limit|download|: use /.test(error.message)) throw error;
    throw new UserError(`${error.message}: replace the file with a good copy, or point --data at another folder`);
  }
}

/** Refuses a model whose input or output size does not fit `set` (described by `what`, e.g. "the test images of DIR"). */
export function checkModelFits(modelFile: string, spec: ModelSpec, set: Dataset, what: string, checkLabels = true): void {
  if (set.features !== inputSize(spec)) {
    throw new UserError(`${modelFile} takes ${inputSize(spec)} inputs but ${what} have ${set.features} pixels: ` +
      'use a model trained on images of this size, or --data with the images it was trained on');
  }
  let maxLabel = 0;
  for (const label of set.labels.subarray(0, set.count)) maxLabel = Math.max(maxLabel, label);
  if (checkLabels && maxLabel >= outputSize(spec)) {
    throw new UserError(`${modelFile} has ${outputSize(spec)} outputs but ${what} include label ${maxLabel}: ` +
      `use a model with at least ${maxLabel + 1} outputs`);
  }
}
