/** The CLI's data, and its checks of models against it, before a backend is opened or anything is printed. */

import { columnList } from '../data/csv.js';
import { loadMnist, type Mnist, type MnistOptions } from '../data/mnist.js';
import { DataFitError, UserError } from '../errors.js';
import type { TableDescription } from '../model/table.js';

export { readCsvFile } from '../data/csv-file.js';

/**
 * Memory the commands hold per byte of a table as float32 (csv-file.ts refuses a file beyond it up front): train, the
 * table and then the training and test rows copied out of it, and their standardised copies; eval and predict, the
 * table, its features and their standardised copy.
 */
export const MEMORY_FACTOR = { train: 2.5, predict: 3 };

/** A --data path is a table when it names a .csv file; anything else is an MNIST-style folder. */
export const isTableFile = (file: string | undefined): boolean => file !== undefined && /\.csv$/i.test(file);

/** Refuses data of another kind than `model` was trained on (`d`, a table's); `imagesFix` is what image models take. */
export function checkDataKind(model: string, d: TableDescription | undefined, table: boolean, imagesFix: string): void {
  if (d && !table) {
    throw new UserError(
      `${model} was trained on a table: give --data FILE.csv with its columns ${columnList(d.features)}`,
    );
  }
  if (!d && table) throw new UserError(`${model} was trained on MNIST-style images, not a table: ${imagesFix}`);
}

/** loadMnist, with the one fix for a bad file's contents (a bad magic number, a truncation) added to its errors. */
export function loadData(dir: string | undefined, options: MnistOptions = {}): Mnist {
  try {
    return loadMnist(dir, options);
  } catch (error) {
    // The folder's own errors are about the data location, and a few others carry their fix already.
    if (!(error instanceof UserError) || error.field === 'data' || /train limit|download|: use /.test(error.message))
      throw error;
    throw new UserError(`${error.message}: replace the file with a good copy, or point --data at another folder`);
  }
}

/** Runs `check` of data that the model of `modelFile` must fit, where the fix is other data or model, not layers. */
export function checkModelFile<T>(modelFile: string | undefined, images: (set: string) => string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (modelFile === undefined || !(error instanceof DataFitError)) throw error;
    const what = images(error.set);
    throw new UserError(
      error.mismatch === 'inputs'
        ? `${modelFile} takes ${error.model} inputs but ${what} have ${error.data} pixels: ` +
            'use a model trained on images of this size, or --data with the images it was trained on'
        : `${modelFile} has ${error.model} outputs but ${what} include label ${error.data}: ` +
            `use a model with at least ${error.data + 1} outputs`,
    );
  }
}
