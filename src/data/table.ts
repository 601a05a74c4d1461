/**
 * Tables as data sets: every column but the targets is a feature, standardised on the host with statistics of the
 * training rows only, so that both backends receive the same bits. No Node imports: the browser reads tables too.
 */
import type { Dataset } from '../backend.js';
import { type Naming, UserError } from '../errors.js';
import type { Task } from '../model/spec.js';
import {
  featureStandardisation,
  fitStandardisation,
  standardise,
  type TableDescription,
  targetStandardisation,
} from '../model/table.js';
import { type CsvTable, classColumn, columnIndices, columnList, numericColumnParts, numericColumns } from './csv.js';
import { limitRows, SPLIT_SEED, splitRows, validationRows, validationSplitRows } from './split.js';

export interface TableOptions {
  task: Task;
  /** The target columns (one for classification, one or more for regression); default the last column. */
  targets?: string[];
  /** A table of test rows with the same columns; without one, `testSplit` of the rows are held out. */
  test?: CsvTable;
  /** The fraction of the rows held out as the test set when there is no test table (default 0.2). */
  testSplit?: number;
  /** Train on the first this many training rows only. */
  trainLimit?: number;
  /**
   * Hold this fraction of the training rows out as a validation set, as src/data/split.ts chooses them (they do not
   * fit the standardisation).
   */
  validationSplit?: number;
  /** A model's description to read the tables against (its columns, classes and statistics) instead of fitting one. */
  description?: TableDescription;
}

export interface TableSets {
  train: Dataset;
  test: Dataset;
  val?: Dataset;
  /** The description fitted on the training rows (or the one given). */
  description: TableDescription;
}

/** The fraction of a table's rows held out as its test set when there is no test table. */
export const DEFAULT_TEST_SPLIT = 0.2;

/** The targets (named, default the last column) and the features (every other column) of a table for a task. */
export function tableColumns(
  table: CsvTable,
  task: Task,
  targets = [table.columns[table.columns.length - 1]],
): Columns {
  columnIndices(table, targets, 'target');
  if (new Set(targets).size !== targets.length)
    throw new UserError((n) => `${n('target')} names a column twice: name each target once`, 'target');
  if (task === 'classification' && targets.length !== 1) {
    throw new UserError(
      (n) =>
        `a classification predicts one column, ${n('target')} names ${targets.length}: ` +
        `give one, or ${n('task')} regression for several`,
      'target',
    );
  }
  const features = table.columns.filter((name) => !targets.includes(name));
  if (features.length === 0) {
    throw new UserError(
      (n) =>
        `${table.file}: no feature columns: every column but ${n('target')} is a feature, ` +
        `and the file has only ${columnList(targets)}`,
      'target',
    );
  }
  return { features, targets };
}

/** Rows as read, from a CSV table or arrays (src/api/arrays.ts): raw features [rows, features] and labels. */
export interface RawRows {
  features: Float32Array;
  labels: Uint32Array | Float32Array;
  rows: number;
  /** A classification's classes: the given ones, or the table's. */
  classes?: string[];
}

/** The columns a table's model reads: features, targets and (classification) the class names. */
export interface Columns {
  features: string[];
  targets: string[];
  classes?: string[];
}

/**
 * Reads a table's features, unstandardised, and, where `labelled`, its labels: classes (given, or the table's own) or
 * targets (without, zeros).
 */
export function readRows(table: CsvTable, columns: Columns, task: Task, labelled: boolean): RawRows {
  const features = numericColumns(table, columns.features);
  const rows = table.cells.rows;
  if (!labelled) {
    const labels = task === 'regression' ? new Float32Array(rows * columns.targets.length) : new Uint32Array(rows);
    return { features, labels, rows };
  }
  return { features, rows, ...readLabels(table, columns, task) };
}

/** A table's labels: classes (given, or the table's own) or a regression's targets. */
function readLabels(table: CsvTable, columns: Columns, task: Task): Pick<RawRows, 'labels' | 'classes'> {
  if (task === 'regression') return { labels: numericColumns(table, columns.targets, 'target') };
  return classColumn(table, columns.targets[0], columns.classes);
}

/** Rows `indices` of a raw table as a data set, standardised with the description's statistics. */
export function rowsAsDataset(raw: RawRows, indices: Uint32Array, d: TableDescription, task: Task): Dataset {
  const width = d.features.length;
  const outputs = task === 'classification' ? 1 : d.targets.length;
  const { features: inputs, labels } = pick(raw, indices, width, outputs);
  standardise(inputs, width, featureStandardisation(d));
  if (labels instanceof Float32Array) standardise(labels, outputs, targetStandardisation(d, outputs));
  return { inputs, labels, count: indices.length, features: width };
}

/** The row indices from..to-1. */
export function range(from: number, to: number): Uint32Array {
  const rows = new Uint32Array(to - from);
  for (let i = 0; i < rows.length; i++) rows[i] = from + i;
  return rows;
}

/** A table read against a model's description: its features, standardised, and the labels where `labelled`. */
export function readTable(table: CsvTable, d: TableDescription, task: Task, labelled = true): Dataset {
  return rowsAsDataset(readRows(table, d, task, labelled), range(0, table.cells.rows), d, task);
}

/**
 * The test rows of a split: a seeded `fraction` of the rows, in the file's order, the same rows for every run;
 * stratified by a classification's `classes` (class indices per row, and the name of each), as src/data/split.ts does.
 */
export function heldOutRows(
  file: string,
  rows: number,
  fraction: number,
  classes?: { labels: ArrayLike<number>; name: (label: number) => string },
): Uint32Array {
  const held = Math.round(fraction * rows);
  if (!(fraction > 0 && fraction < 1) || held < 1 || held >= rows) {
    throw new UserError(
      (n) =>
        `${file}: ${n('testSplit')} ${fraction} of its ${rows} rows ` +
        `holds out ${Number.isFinite(held) ? held : 'no'} rows: ` +
        `give a fraction between 0 and 1 that leaves rows for both training and testing, or a separate test file`,
      'testSplit',
    );
  }
  const what = (n: Naming) => `${file}: ${n('testSplit')} ${fraction}`;
  return splitRows(rows, held, SPLIT_SEED, classes && { ...classes, what, field: 'testSplit' }).held;
}

/** The rows `indices` of `raw` (`width` features, `outputs` labels per row), end to end. */
function pick(raw: RawRows, indices: Uint32Array, width: number, outputs: number): RawRows {
  return {
    features: pickRows(raw.features, indices, width),
    labels: pickRows(raw.labels, indices, outputs),
    rows: indices.length,
    ...(raw.classes ? { classes: raw.classes } : {}),
  };
}

/**
 * A table's rows, unstandardised: the test table's or a seeded fraction held out, then trainLimit training rows. The
 * features go from the table straight into the training and the test rows, so the table is never copied whole.
 */
export function tableRows(table: CsvTable, options: TableOptions): { train: RawRows; test: RawRows; columns: Columns } {
  const { task } = options;
  const given = options.description;
  const named = given ?? tableColumns(table, task, options.targets);
  // Errors come in the order of a whole read: every feature cell, then the labels, then the test table, then the split.
  const featuresFirst = (error: unknown, columns?: Columns): never => {
    numericColumnParts(table, named.features, 'feature', []);
    if (columns && options.test) readRows(options.test, columns, task, true);
    throw error;
  };
  let read: Pick<RawRows, 'labels' | 'classes'>;
  try {
    read = readLabels(table, named, task);
  } catch (error) {
    featuresFirst(error);
  }
  const { labels, classes } = read!;
  const rows = table.cells.rows;
  const columns: Columns = { features: named.features, targets: named.targets, classes };
  const outputs = task === 'classification' ? 1 : columns.targets.length;
  let trainRows: Uint32Array;
  let testRows: Uint32Array | undefined;
  try {
    if (options.test) {
      trainRows = range(0, rows);
    } else {
      const fraction = options.testSplit ?? DEFAULT_TEST_SPLIT;
      // Too few rows per class to stratify is refused below, by checkClasses, in the words of a table.
      const stratify = classes && 2 * classes.length <= rows - Math.round(fraction * rows);
      const byClass = stratify ? { labels, name: (i: number) => classes[i] } : undefined;
      testRows = heldOutRows(table.file, rows, fraction, byClass);
      const held = new Uint8Array(rows);
      for (const row of testRows) held[row] = 1;
      trainRows = new Uint32Array(rows - testRows.length);
      for (let row = 0, n = 0; row < rows; row++) if (!held[row]) trainRows[n++] = row;
    }
    trainRows = trainRows.subarray(0, limitRows(table.file, options.trainLimit, trainRows.length, 'rows'));
    const split = options.validationSplit;
    const fitted = trainRows.length - (split === undefined ? 0 : validationRows(split, trainRows.length));
    if (classes) checkClasses(table.file, columns.targets[0], classes, fitted);
  } catch (error) {
    featuresFirst(error, columns);
  }
  const parts = [trainRows!, ...(testRows ? [testRows] : [])];
  const features = numericColumnParts(table, columns.features, 'feature', parts);
  const set = (indices: Uint32Array, part: Float32Array): RawRows => ({
    features: part,
    labels: pickRows(labels, indices, outputs),
    rows: indices.length,
    ...(classes ? { classes } : {}),
  });
  const test = testRows ? set(testRows, features[1]) : readRows(options.test!, columns, task, true);
  return { train: set(trainRows!, features[0]), test, columns };
}

/** The rows `indices` of `values` ([rows, width]), end to end. */
function pickRows<T extends Float32Array | Uint32Array>(values: T, indices: Uint32Array, width: number): T {
  const out = new (values.constructor as new (length: number) => T)(indices.length * width);
  indices.forEach((row, i) => {
    out.set(values.subarray(row * width, (row + 1) * width), i * width);
  });
  return out;
}

/** tableRows' sets, standardised with the description given or fitted on the training rows but the validation ones. */
export function tableSets(table: CsvTable, options: TableOptions): TableSets {
  const { task } = options;
  const { train, test, columns } = tableRows(table, options);
  const classes =
    task === 'classification' ? { labels: train.labels, name: (i: number) => columns.classes![i] } : undefined;
  const { kept, held } = validationSplitRows(options.validationSplit, train.rows, classes);
  const description = options.description ?? fitDescription(train, kept, columns, task);
  return {
    train: rowsAsDataset(train, kept, description, task),
    test: rowsAsDataset(test, range(0, test.rows), description, task),
    ...(held.length > 0 ? { val: rowsAsDataset(train, held, description, task) } : {}),
    description,
  };
}

/** A classification needs two classes at least, and a few training rows of each. */
function checkClasses(file: string, target: string, classes: string[], rows: number): void {
  if (classes.length < 2) {
    throw new UserError(
      (n) =>
        `${file}: column "${target}" holds one class only ("${classes[0]}"): a classifier needs at least 2; ` +
        `to predict another column, name it with ${n('target')}`,
      'target',
    );
  }
  if (2 * classes.length > rows) {
    throw new UserError(
      (n) =>
        `${file}: column "${target}" holds ${classes.length} classes for ${rows} training rows, ` +
        'fewer than 2 rows per class: ' +
        'a classifier needs several rows of each class; ' +
        `if "${target}" is a number to predict, use ${n('task')} regression`,
      'task',
    );
  }
}

/** The standardisation of the training rows `rows`, and the classes or the targets' statistics. */
export function fitDescription(raw: RawRows, rows: Uint32Array, columns: Columns, task: Task): TableDescription {
  const width = columns.features.length;
  const { mean, std } = fitStandardisation(raw.features, rows.length, width, rows);
  const d: TableDescription = {
    features: columns.features,
    featureMean: mean,
    featureStd: std,
    targets: columns.targets,
  };
  if (task === 'classification') return { ...d, classes: columns.classes };
  const outputs = columns.targets.length;
  const fitted = fitStandardisation(raw.labels as Float32Array, rows.length, outputs, rows);
  return { ...d, targetMean: fitted.mean, targetStd: fitted.std };
}
