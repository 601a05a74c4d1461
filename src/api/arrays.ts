/**
 * Arrays as data sets, by way of a table's rows (RawRows) and the CSV path's own functions: the standardisation and
 * the classes are the CLI's for the same numbers.
 */
import type { Dataset } from '../backend.js';
import { sortClasses } from '../data/csv.js';
import { validationSplitRows } from '../data/split.js';
import { fitDescription, type RawRows, range, rowsAsDataset } from '../data/table.js';
import { UserError } from '../errors.js';
import { inputSize, type ModelSpec, outputSize, type Task } from '../model/spec.js';
import type { TableDescription } from '../model/table.js';

/** Rows of inputs: `number[][]`, a row-major Float32Array, or values with their row count; images as Uint8Array. */
export type Inputs =
  | readonly (readonly number[])[]
  | Float32Array
  | Uint8Array
  | { data: ArrayLike<number>; rows: number };

/** A typed array of numbers: class numbers, or targets row-major. */
export type NumberArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

/**
 * Labels, one per row of `x`: a classifier's class names or numbers (3 and "3" are one class; numbers, a typed array
 * included, come back from predict as numbers), a regression's targets (`number[]` or a typed array for one output,
 * else rows as Inputs takes them), an image model's class indices.
 */
export type Labels =
  | readonly (string | number)[]
  | readonly (readonly number[])[]
  | NumberArray
  | { data: ArrayLike<number>; rows: number };

const isNumberArray = (value: unknown): value is NumberArray =>
  ArrayBuffer.isView(value) && !(value instanceof DataView);

interface Matrix {
  data: Float32Array;
  rows: number;
}

const finite = (value: number, where: string): number => {
  const v = Math.fround(value);
  if (typeof value !== 'number' || !Number.isFinite(v)) {
    throw new UserError(
      `${where} is ${typeof value === 'number' ? value : (JSON.stringify(value) ?? String(value))}, ` +
        'not a finite float32 number: every value needs one (nothing is filled in)',
      'data',
    );
  }
  return v;
};

/** `value` as rows of `width` numbers; `what` names it in errors ("validationData.y"), `unit` its values. */
export function toMatrix(value: unknown, width: number, what: string, unit: string): Matrix {
  let given = isNumberArray(value) ? { data: value, rows: Math.floor(value.length / width) } : value;
  if (Array.isArray(value)) {
    value.forEach((row: unknown, r) => {
      if (!Array.isArray(row)) {
        throw new UserError(
          `${what}[${r}] is a ${row === null ? 'null' : typeof row}, not a row: give ${what} as rows of ${width} ` +
            `${unit}, e.g. [[${Array.from({ length: width }, (_, c) => c % 2).join(', ')}]] for one row`,
          'data',
        );
      }
      if (row.length !== width) {
        throw new UserError(`${what}[${r}] has ${row.length} values, the model takes ${width} ${unit} per row`, 'data');
      }
    });
    given = { data: value.flat(), rows: value.length };
  }
  const { data, rows } = (given ?? {}) as { data?: ArrayLike<number>; rows?: number };
  if (!data || typeof data.length !== 'number' || !Number.isInteger(rows)) {
    throw new UserError(
      `${what} must be an array of rows, a Float32Array, or { data, rows }, got ${typeof value}`,
      'data',
    );
  }
  if (data.length !== rows! * width) {
    throw new UserError(
      `${what} holds ${data.length} values, not ${rows} rows of ${width} ${unit}: give ${width} per row`,
      'data',
    );
  }
  const where = (i: number) => `${what}[${Math.floor(i / width)}][${i % width}]`;
  // A Float32Array is used as it is (read only: the sessions standardise a copy), so a large table is not held twice.
  if (data instanceof Float32Array) {
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) finite(data[i], where(i));
    return { data, rows: rows! };
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = finite(data[i], where(i));
  return { data: out, rows: rows! };
}

/** Class labels as names, trimmed as a CSV cell is, and whether all were numbers. */
function classNames(y: unknown, what: string): { names: string[]; numbers: boolean } {
  if (!Array.isArray(y) && !isNumberArray(y)) {
    throw new UserError(
      `${what} must be an array of class labels (numbers or strings) or a typed array of class numbers, ` +
        `got ${y === null ? 'null' : typeof y}`,
      'data',
    );
  }
  const labels: unknown[] = Array.from(y);
  const names = labels.map((label: unknown, r) => {
    const name = typeof label === 'number' || typeof label === 'string' ? String(label).trim() : '';
    if (name === '')
      throw new UserError(
        `${what}[${r}] is ${JSON.stringify(label) ?? String(label)}: ` +
          'every row needs its class, a number or a non-empty string',
        'data',
      );
    return name;
  });
  return { names, numbers: labels.every((label) => typeof label === 'number') };
}

/** A regression's targets: one per row for a single output, else rows of `outputs`. */
function targetRows(y: unknown, outputs: number, what: string): Matrix {
  if (outputs === 1 && ((Array.isArray(y) && y.every((v) => !Array.isArray(v))) || isNumberArray(y))) {
    const values = y as ArrayLike<number>;
    return { data: Float32Array.from(values, (v, r) => finite(v, `${what}[${r}]`)), rows: values.length };
  }
  return toMatrix(y, outputs, what, 'targets');
}

/** A table's rows from arrays, and whether a classifier's labels were numbers. */
type ArrayRows = RawRows & { classType?: 'number' };

/** The rows of `x` with the labels of `y` (indices into `classes`, from y where not given, or targets). */
function rawRows(spec: ModelSpec, x: unknown, y: unknown, names: string, classes?: string[]): ArrayRows {
  const { data: features, rows } = toMatrix(x, inputSize(spec), `${names}x`, 'features');
  let raw: ArrayRows;
  if (spec.task === 'regression') {
    raw = { features, labels: targetRows(y, outputSize(spec), `${names}y`).data, rows };
  } else {
    const { names: labels, numbers } = classNames(y, `${names}y`);
    const order = classes ?? sortClasses(labels);
    const index = new Map(order.map((name, i) => [name, i]));
    raw = {
      features,
      rows,
      classes: order,
      ...(numbers ? { classType: 'number' as const } : {}),
      labels: Uint32Array.from(labels, (name, r) => {
        const i = index.get(name);
        if (i === undefined) {
          throw new UserError(
            `${names}y[${r}] is the class "${name}", which the model does not have (its classes: ${order.join(', ')})`,
            'data',
          );
        }
        return i;
      }),
    };
  }
  const labelRows = raw.labels.length / (spec.task === 'regression' ? outputSize(spec) : 1);
  if (labelRows !== rows)
    throw new UserError(`${names}x has ${rows} rows and ${names}y ${labelRows}: give one label per row`, 'data');
  if (rows === 0) throw new UserError(`${names}x has no rows`, 'data');
  return raw;
}

/** Default column names: features x0, x1, ...; targets y, or y0, y1, ... */
export const defaultNames = (prefix: string, count: number, single = prefix) =>
  count === 1 && single ? [single] : Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/**
 * The training set and the `validationSplit` of the rows held out of it (src/data/split.ts: shuffled, a classifier's
 * stratified), standardised by `description` or one fitted on the training rows; the classes are the description's,
 * else the columns', else y's own.
 */
export function trainingSets(
  spec: ModelSpec,
  x: unknown,
  y: unknown,
  columns: { features: string[]; targets: string[]; classes?: string[]; validationSplit?: number },
  description?: TableDescription,
): { train: Dataset; val?: Dataset; description: TableDescription } {
  const raw = rawRows(spec, x, y, '', description?.classes ?? columns.classes);
  const task = spec.task;
  if (task === 'classification' && raw.classes!.length < 2) {
    throw new UserError(
      `y holds one class (${raw.classes![0]}): a classifier learns to tell two or more apart, ` +
        'so give rows of at least two classes',
      'data',
    );
  }
  if (task === 'classification' && raw.classes!.length !== outputSize(spec)) {
    const k = raw.classes!.length;
    throw new UserError(
      `y holds ${k} classes (${raw.classes!.slice(0, 8).join(', ')}${k > 8 ? ', ...' : ''}) and the model has ` +
        `outputs ${outputSize(spec)}: create it with outputs: ${k}, or give its classes`,
      'layers',
    );
  }
  const classes = task === 'classification' ? { labels: raw.labels, name: (i: number) => raw.classes![i] } : undefined;
  const split = validationSplitRows(columns.validationSplit, raw.rows, classes);
  const named = { features: columns.features, targets: columns.targets, classes: raw.classes };
  const fitted = () => fitDescription(raw, split.kept, named, task);
  // The first fit's labels fix the type predict gives them back in.
  const d = description ?? (raw.classType ? { ...fitted(), classType: raw.classType } : fitted());
  return {
    train: rowsAsDataset(raw, split.kept, d, task),
    ...(split.held.length > 0 ? { val: rowsAsDataset(raw, split.held, d, task) } : {}),
    description: d,
  };
}

/** Labelled rows read against a model's description; `names` prefixes errors ("testData."). */
export function labelledSet(spec: ModelSpec, d: TableDescription, x: unknown, y: unknown, names = ''): Dataset {
  const raw = rawRows(spec, x, y, names, d.classes);
  return rowsAsDataset(raw, range(0, raw.rows), d, spec.task);
}

/** Rows to predict, standardised with the model's description. */
export function inputSet(spec: ModelSpec, d: TableDescription, x: unknown): Dataset {
  const { data: features, rows } = toMatrix(x, inputSize(spec), 'x', 'features');
  if (rows === 0) throw new UserError('x has no rows', 'data');
  const width = spec.task === 'regression' ? outputSize(spec) : 1;
  const labels = spec.task === 'regression' ? new Float32Array(rows * width) : new Uint32Array(rows);
  return rowsAsDataset({ features, labels, rows }, range(0, rows), d, spec.task);
}

/**
 * The inputs and outputs of a model for rows `x` and labels `y` where its options leave them out: x's columns, and a
 * classifier's distinct classes or a regression's targets per row.
 */
export function shapeOf(x: unknown, y: unknown, task: Task): { inputs: number; outputs: number } {
  const width = (value: unknown, what: string): number => {
    if (Array.isArray(value) && Array.isArray(value[0])) return value[0].length;
    if (value && typeof value === 'object' && 'rows' in value && 'data' in value) {
      const { data, rows } = value as { data: ArrayLike<number>; rows: number };
      return data.length / rows;
    }
    if (what === 'y' && (Array.isArray(value) || isNumberArray(value))) return 1;
    throw new UserError(
      `give the model's ${what === 'x' ? 'inputs' : 'outputs'}: ${what} does not show them`,
      'layers',
    );
  };
  const inputs = width(x, 'x');
  return { inputs, outputs: task === 'regression' ? width(y, 'y') : new Set(classNames(y, 'y').names).size };
}
