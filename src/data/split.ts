/**
 * How rows are split into a training part and a held-out part (validation or test), the one rule that fit's
 * validationSplit, trainTestSplit, the CLI and tableSets share: a seeded shuffle, stratified by class for a
 * classifier so that each class keeps its share in both parts and never loses its last training row.
 */
import type { Dataset } from '../backend.js';
import { type Field, type Naming, UserError, type Wording } from '../errors.js';
import { Rng } from '../model/rng.js';

/** The seed of a split given none: the same held-out rows for every training seed. */
export const SPLIT_SEED = 0x5eed;

/** A split's two parts as row indices, each in ascending order (the rows' own order). */
export interface RowSplit {
  kept: Uint32Array;
  held: Uint32Array;
}

const rowRange = (from: number, to: number) => Uint32Array.from({ length: to - from }, (_, i) => from + i);

/**
 * How many rows a validation split of `split` holds out of `rows` training rows: the fraction rounded to whole rows,
 * at least one, and leaving at least one to train on.
 */
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

/** The rows of each class, in row order, the classes in the order they first appear: `labels` are class indices. */
function rowsByClass(labels: ArrayLike<number>): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let r = 0; r < labels.length; r++) {
    const rows = groups.get(labels[r]);
    if (rows) rows.push(r);
    else groups.set(labels[r], [r]);
  }
  return groups;
}

/**
 * Per class, how many of its rows are held out: its share of `held` (largest remainders round the shares to whole
 * rows that sum to `held`), never all of its rows, so that training sees every class. Undefined where `held` rows
 * cannot be found that way.
 */
function stratifiedCounts(sizes: number[], held: number): number[] | undefined {
  const total = sizes.reduce((a, b) => a + b, 0);
  const quota = sizes.map((n) => (n * held) / total);
  const counts = quota.map((q, c) => Math.max(0, Math.min(Math.floor(q), sizes[c] - 1)));
  const byRemainder = sizes.map((_, c) => c).sort((a, b) => quota[b] - counts[b] - (quota[a] - counts[a]) || a - b);
  let left = held - counts.reduce((a, b) => a + b, 0);
  while (left > 0) {
    const before = left;
    for (const c of byRemainder) {
      if (left > 0 && counts[c] < sizes[c] - 1) {
        counts[c]++;
        left--;
      }
    }
    if (left === before) return undefined;
  }
  return counts;
}

/**
 * Splits `rows` rows into `held` held-out ones and the rest, shuffled by `seed`. Given class indices per row, each
 * class gives its share of the held-out rows and keeps a training row. `name` names a class in errors, `what` the
 * setting that asked for the split ("validationSplit 0.2"), and `field` is that setting.
 */
export function splitRows(
  rows: number,
  held: number,
  seed = SPLIT_SEED,
  classes?: { labels: ArrayLike<number>; name: (label: number) => string; what: Wording; field?: Field },
): RowSplit {
  const rng = new Rng(seed);
  if (!classes) {
    const order = rng.shuffle(rowRange(0, rows));
    return { kept: order.slice(held).sort(), held: order.slice(0, held).sort() };
  }
  // Classes in the order they first appear: the split depends on which rows share a class, not on how they are named.
  const groups = [...rowsByClass(classes.labels).entries()];
  const counts = stratifiedCounts(
    groups.map(([, members]) => members.length),
    held,
  );
  if (!counts) {
    const [label, members] = groups.reduce((a, b) => (b[1].length < a[1].length ? b : a));
    const name = classes.name(label);
    throw new UserError(
      (n) =>
        `${classes.what(n)} holds out ${held} of ${rows} rows, which leaves class "${name}" ` +
        `(${members.length} rows) none to train on: use a smaller fraction, or more rows of "${name}"`,
      classes.field,
    );
  }
  const out: number[] = [];
  groups.forEach(([, members], c) => {
    const order = rng.shuffle(Uint32Array.from(members));
    // One push per row: spreading hundreds of thousands of rows as arguments overflows the stack.
    for (const row of order.subarray(0, counts[c])) out.push(row);
  });
  const heldRows = Uint32Array.from(out).sort();
  const isHeld = new Uint8Array(rows);
  for (const r of heldRows) isHeld[r] = 1;
  return { kept: rowRange(0, rows).filter((r) => !isHeld[r]), held: heldRows };
}

/**
 * Refuses a split whose training part lacks a class its held-out part has, naming the class: nothing could learn it.
 * `held` names the held-out part ("validation") and `fix` says what to change.
 */
export function checkTrainingClasses(
  trainLabels: ArrayLike<number>,
  heldLabels: ArrayLike<number>,
  name: (index: number) => string,
  held: string,
  fix: string,
): void {
  const trained = new Set(Array.from(trainLabels));
  const missing = Array.from(heldLabels).find((label) => !trained.has(label));
  if (missing !== undefined) {
    throw new UserError(
      `the ${held} rows hold the class "${name(missing)}" and the training rows none: ` +
        `nothing could learn it; ${fix}`,
    );
  }
}

/** Rows `indices` of a data set (`labelWidth` labels per row), copied. */
export function pickRows(set: Dataset, indices: Uint32Array, labelWidth = 1): Dataset {
  const inputs = new (set.inputs.constructor as Uint8ArrayConstructor | Float32ArrayConstructor)(
    indices.length * set.features,
  );
  const labels = new (set.labels.constructor as Uint32ArrayConstructor)(indices.length * labelWidth);
  indices.forEach((row, i) => {
    inputs.set(set.inputs.subarray(row * set.features, (row + 1) * set.features), i * set.features);
    labels.set(set.labels.subarray(row * labelWidth, (row + 1) * labelWidth), i * labelWidth);
  });
  return { inputs, labels, count: indices.length, features: set.features };
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

/**
 * The training and validation rows of `rows` rows by a validationSplit of `split` (none held out where undefined),
 * stratified by a classifier's `classes` (class indices per row, and the name of each).
 */
export function validationSplitRows(
  split: number | undefined,
  rows: number,
  classes?: { labels: ArrayLike<number>; name: (label: number) => string },
): RowSplit {
  if (split === undefined) return { kept: rowRange(0, rows), held: new Uint32Array(0) };
  const what = (n: Naming) => `${n('validationSplit')} ${split}`;
  const stratify = classes && { ...classes, what, field: 'validationSplit' as const };
  return splitRows(rows, validationRows(split, rows), SPLIT_SEED, stratify);
}

/**
 * Holds `split` (a fraction) of a data set's samples out as a validation set, by splitRows' rule with the fixed
 * seed: stratified where the labels are class indices (integer arrays), shuffled where they are targets (Float32Array,
 * `labelWidth` per sample). Both parts are copies, each in the set's order.
 */
export function holdOut(set: Dataset, split: number, labelWidth = 1): { train: Dataset; val: Dataset } {
  const classes =
    set.labels instanceof Float32Array ? undefined : { labels: set.labels.subarray(0, set.count), name: String };
  const rows = validationSplitRows(split, set.count, classes);
  return { train: pickRows(set, rows.kept, labelWidth), val: pickRows(set, rows.held, labelWidth) };
}

/**
 * k-fold cross-validation's folds of `rows` rows, shuffled by `seed`: fold f holds out every k-th row of the shuffled
 * order from the f-th on, per class where class indices are given (stratified, as scikit-learn's StratifiedKFold),
 * so each fold keeps each class's share. Each fold's training and held-out rows, ascending.
 */
export function kFolds(rows: number, k: number, seed: number, labels?: ArrayLike<number>): RowSplit[] {
  if (!Number.isInteger(k) || k < 2 || k > rows) {
    throw new UserError(
      (n) => `${n('folds')} ${k} does not fit ${rows} training rows: use an integer from 2 to ${rows}`,
      'folds',
    );
  }
  const rng = new Rng(seed);
  const groups = labels ? [...rowsByClass(Array.from({ length: rows }, (_, r) => labels[r])).values()] : [];
  const dealt = labels ? groups.map((g) => rng.shuffle(Uint32Array.from(g))) : [rng.shuffle(rowRange(0, rows))];
  const foldOf = new Uint8Array(rows);
  let next = 0; // classes continue the deal where the last one ended, so the folds' sizes differ by one at most
  for (const group of dealt) for (const row of group) foldOf[row] = next++ % k;
  return Array.from({ length: k }, (_, f) => ({
    kept: rowRange(0, rows).filter((r) => foldOf[r] !== f),
    held: rowRange(0, rows).filter((r) => foldOf[r] === f),
  }));
}
