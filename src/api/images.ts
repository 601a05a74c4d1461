/**
 * Byte images as data sets: `x` is [rows, pixels] bytes 0..255, normalised by the backends as a batch is gathered, and
 * `y` the class indices. The bytes are used where they lie, not copied: a 47 MB training set stays one.
 */
import type { Dataset } from '../backend.js';
import { holdOut } from '../data/split.js';
import { UserError } from '../errors.js';
import { inputSize, type ModelSpec, outputSize } from '../model/spec.js';

/** An image model's names: its classes are their indices. */
export const imageNames = (spec: ModelSpec) => ({
  features: [],
  targets: ['label'],
  classes: Array.from({ length: outputSize(spec) }, (_, i) => String(i)),
});

function bytes(spec: ModelSpec, x: unknown, what: string): { data: Uint8Array; rows: number } {
  const pixels = inputSize(spec);
  const given =
    x instanceof Uint8Array ? { data: x, rows: x.length / pixels } : (x as { data?: unknown; rows?: unknown } | null);
  if (!(given?.data instanceof Uint8Array)) {
    throw new UserError(
      `${what}x must be the images' bytes, a Uint8Array [rows, ${pixels}] or { data: Uint8Array, rows }: ` +
        'this model takes images',
      'data',
    );
  }
  const { data, rows } = given as { data: Uint8Array; rows: number };
  if (!Number.isInteger(rows) || data.length !== rows * pixels) {
    const fix = `give ${pixels} bytes per image`;
    throw new UserError(`${what}x holds ${data.length} bytes, not whole images of ${pixels} pixels: ${fix}`, 'data');
  }
  if (rows === 0) throw new UserError(`${what}x has no images`, 'data');
  return { data, rows };
}

function classIndices(spec: ModelSpec, y: unknown, rows: number, what: string): Uint8Array | Uint32Array {
  const classes = outputSize(spec);
  if (!((ArrayBuffer.isView(y) && !(y instanceof DataView)) || Array.isArray(y))) {
    const got = typeof y;
    throw new UserError(
      `${what}y must be the images' class indices (a typed array such as Uint8Array, or an array of numbers), ` +
        `got ${got}`,
      'data',
    );
  }
  const given = y as ArrayLike<unknown>;
  if (given.length !== rows) {
    throw new UserError(
      `${what}x has ${rows} images and ${what}y ${given.length} labels: give one label per image`,
      'data',
    );
  }
  const labels = y instanceof Uint8Array || y instanceof Uint32Array ? y : new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    const label = Number(given[r]);
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      const fix = `labels are 0 to ${classes - 1}`;
      throw new UserError(`${what}y[${r}] is ${JSON.stringify(given[r])}, not a class of this model: ${fix}`, 'data');
    }
    labels[r] = label;
  }
  return labels;
}

/** Labelled images as a data set; `what` prefixes errors ("testData."). */
export function labelledImages(spec: ModelSpec, x: unknown, y: unknown, what = ''): Dataset {
  const { data, rows } = bytes(spec, x, what);
  return { inputs: data, labels: classIndices(spec, y, rows, what), count: rows, features: inputSize(spec) };
}

/** Images to classify. */
export function unlabelledImages(spec: ModelSpec, x: unknown): Dataset {
  const { data, rows } = bytes(spec, x, '');
  return { inputs: data, labels: new Uint8Array(rows), count: rows, features: inputSize(spec) };
}

/** The training images and, with validationSplit, the last fraction of them held out as validation images. */
export function trainingImages(
  spec: ModelSpec,
  x: unknown,
  y: unknown,
  validationSplit?: number,
): { train: Dataset; val?: Dataset } {
  const all = labelledImages(spec, x, y);
  if (validationSplit === undefined) return { train: all };
  return holdOut(all, validationSplit);
}
