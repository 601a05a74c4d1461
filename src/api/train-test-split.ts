/** trainTestSplit: arrays split into training and test parts by the rule fit's validationSplit uses. */
import { checkTrainingClasses, SPLIT_SEED, splitRows } from '../data/split.js';
import { UserError } from '../errors.js';
import type { Inputs, Labels } from './arrays.js';
import { checkOptionNames } from './wording.js';

/** How trainTestSplit splits. */
export interface SplitOptions {
  /** The fraction of the rows held out as the test part (default 0.2), rounded to whole rows. */
  testSize?: number;
  /** Seeds the shuffle (default a fixed seed: the same split every run). */
  seed?: number;
  /**
   * Keep each class's share in both parts, and a training row of every class. Default: true where `y` holds class
   * labels (strings or whole numbers, one per row); give `false` for a regression's whole-number targets.
   */
  stratify?: boolean;
}

/** One part of a split, in the forms `x` and `y` were given in. */
export interface SplitPart<X extends Inputs, Y extends Labels> {
  x: X;
  y: Y;
}

type Rows = ArrayLike<unknown>;

/** The rows `indices` of `value`, which holds `rows` rows: an array of rows, a flat typed array, or { data, rows }. */
function pick<T>(value: T, rows: number, indices: Uint32Array): T {
  const flat = (data: ArrayLike<unknown>) => {
    const width = data.length / rows;
    const out = ArrayBuffer.isView(data)
      ? new (data.constructor as Float32ArrayConstructor)(indices.length * width)
      : new Array<unknown>(indices.length * width);
    indices.forEach((row, i) => {
      for (let c = 0; c < width; c++) out[i * width + c] = data[row * width + c] as number;
    });
    return out;
  };
  if (Array.isArray(value)) return Array.from(indices, (row) => value[row]) as T;
  if (ArrayBuffer.isView(value)) return flat(value as unknown as Rows) as T;
  const { data } = value as { data: ArrayLike<unknown> };
  return { data: flat(data), rows: indices.length } as T;
}

/** How many rows `value` holds (its width known or not), or undefined for what is no Inputs or Labels. */
function rowCount(value: unknown): number | undefined {
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && 'length' in value)) return (value as Rows).length;
  const { data, rows } = (value ?? {}) as { data?: ArrayLike<unknown>; rows?: unknown };
  return data && typeof data.length === 'number' && Number.isInteger(rows) ? (rows as number) : undefined;
}

/** Refuses `x` unless it holds `rows` rows: as many as y has labels. */
function checkRows(x: unknown, rows: number): void {
  const fix = `give one row of x per label in y (${rows})`;
  if (ArrayBuffer.isView(x)) {
    const values = (x as unknown as Rows).length;
    if (values % rows !== 0)
      throw new UserError(`trainTestSplit: x holds ${values} values, not whole rows: ${fix}`, 'data');
    return;
  }
  const count = rowCount(x);
  if (count === undefined) {
    throw new UserError('trainTestSplit: x must be an array of rows, a typed array, or { data, rows }', 'data');
  }
  if (count !== rows) throw new UserError(`trainTestSplit: x has ${count} rows: ${fix}`, 'data');
}

/**
 * y's class labels, one per row, where it holds them (strings or whole numbers; 3 and "3" are one class), and whether
 * any is a string (then they are classes for sure, not a regression's whole-number targets).
 */
function classLabels(y: unknown): { labels: string[]; named: boolean } | undefined {
  if (!(Array.isArray(y) || ArrayBuffer.isView(y))) return undefined;
  const values = Array.from(y as ArrayLike<unknown>);
  const isLabel = (v: unknown) => typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
  if (!values.every(isLabel)) return undefined;
  return { labels: values.map((v) => String(v).trim()), named: values.some((v) => typeof v === 'string') };
}

/**
 * Splits rows `x` and their labels `y` into a training and a test part, shuffled with a seed and, for class labels,
 * stratified: each class keeps its share in both parts and a training row. It is the rule of fit's validationSplit
 * and of the CLI's --validation-split: a testSize of f holds out the rows that a validationSplit of f does. Each
 * part keeps the form it was given in (rows, a typed array, or { data, rows }), its rows in their original order.
 */
export function trainTestSplit<X extends Inputs, Y extends Labels>(
  x: X,
  y: Y,
  options: SplitOptions = {},
): { train: SplitPart<X, Y>; test: SplitPart<X, Y> } {
  checkOptionNames('trainTestSplit', options, ['testSize', 'seed', 'stratify']);
  const rows = rowCount(y);
  if (rows === undefined) {
    throw new UserError('trainTestSplit: y must be an array of labels, a typed array, or { data, rows }', 'data');
  }
  checkRows(x, rows);
  const testSize = options.testSize ?? 0.2;
  const held = Math.round(testSize * rows);
  if (!(testSize > 0 && testSize < 1) || held < 1 || held >= rows) {
    throw new UserError(
      `trainTestSplit: testSize ${testSize} of ${rows} rows holds out ${Number.isFinite(held) ? held : 'no'} ` +
        'rows: use a fraction between 0 and 1 that leaves rows in both parts',
    );
  }
  const given = classLabels(y);
  const stratify = options.stratify ?? given !== undefined;
  if (stratify && !given) {
    throw new UserError(
      'trainTestSplit: stratify needs class labels, one per row (strings or whole numbers): ' +
        'give stratify: false for targets',
    );
  }
  const names = given ? [...new Set(given.labels)] : [];
  const index = new Map(names.map((name, i) => [name, i]));
  const classOf = Uint32Array.from(given?.labels ?? [], (label) => index.get(label)!);
  const name = (i: number) => names[i];
  const what = () => `trainTestSplit: testSize ${testSize}`;
  const split = splitRows(
    rows,
    held,
    options.seed ?? SPLIT_SEED,
    stratify ? { labels: classOf, name, what } : undefined,
  );
  if (given?.named) {
    const at = (part: Uint32Array) => Array.from(part, (r) => classOf[r]);
    checkTrainingClasses(at(split.kept), at(split.held), name, 'test', 'stratify the split, or give more rows of it');
  }
  const part = (indices: Uint32Array) => ({ x: pick(x, rows, indices), y: pick(y, rows, indices) });
  return { train: part(split.kept), test: part(split.held) };
}
