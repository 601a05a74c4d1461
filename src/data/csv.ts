/**
 * Tables from CSV text: a header row, then one row per sample. Errors name the file, the row (1 is the first after
 * the header) and the column; nothing is imputed. No Node imports: the browser demo reads files the same way.
 */
import { UserError } from '../errors.js';
import { type Cells, DECIMAL, type PapaParse, type ParsedCells, parseWithPapa, scanUnquoted } from './csv-cells.js';

export interface CsvTable {
  /** Where the text came from, for messages. */
  file: string;
  /** The header's column names, trimmed. */
  columns: string[];
  /** The data rows' cells. */
  cells: Cells;
}

/**
 * Parses CSV text with a header row. Blank lines are skipped; every other row must have one cell per column. Text
 * with a quote character (or line ends other than \n or \r\n) is read by Papa Parse, loaded on the first such file.
 */
export async function parseCsv(text: string, file: string): Promise<CsvTable> {
  const body = withoutMark(text, file);
  return checkedTable(file, scanUnquoted(body) ?? parseWithPapa((await import('papaparse')).default, body));
}

/** parseCsv where Papa Parse can be loaded synchronously (Node's require, in csv-file.ts). */
export function parseCsvSync(text: string, file: string, loadPapa: () => PapaParse): CsvTable {
  const body = withoutMark(text, file);
  return checkedTable(file, scanUnquoted(body) ?? parseWithPapa(loadPapa(), body));
}

/** The text without its byte-order mark; an empty file is an error. */
function withoutMark(text: string, file: string): string {
  if (text.trim() === '') throw emptyFile(file);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The error for a file of nothing but white space. */
export const emptyFile = (file: string): UserError =>
  new UserError(`${file}: the file is empty: a CSV file needs a header row of column names, then rows of data`);

/** The table of parsed cells, once its header names every column once and every row has one cell per column. */
export function checkedTable(file: string, parsed: ParsedCells): CsvTable {
  if (parsed.header === undefined) {
    const { row, message } = parsed.unclosedQuote;
    const where = row === undefined ? '' : ` row ${row}:`;
    throw new UserError(
      `${file}:${where} ${message.toLowerCase()}: close every quoted cell with a " (write "" for a quote inside one)`,
    );
  }
  const columns = parsed.header.map((name) => name.trim());
  columns.forEach((name, i) => {
    if (name === '')
      throw new UserError(`${file}: column ${i + 1} of the header has no name: give every column a name`);
    const before = columns.indexOf(name);
    if (before < i) {
      throw new UserError(
        `${file}: the header names "${name}" twice (columns ${before + 1} and ${i + 1}): give each column its own name`,
      );
    }
  });
  if ('ragged' in parsed) {
    const { row, cells } = parsed.ragged;
    throw new UserError(
      `${file}: row ${row} has ${cells} cells, the header has ${columns.length} columns: ` +
        'give every row one cell per column',
    );
  }
  if (parsed.cells.rows === 0) throw new UserError(`${file}: the file has a header but no rows of data`);
  return { file, columns, cells: parsed.cells };
}

/** A cell in a message, in quotes; one with a line end in it as JSON writes it, so that the message stays one line. */
const quoted = (cell: string): string => (/[\r\n]/.test(cell) ? JSON.stringify(cell) : `"${cell}"`);

/** Column names for a message: "a", "b", "c". */
export const columnList = (names: string[]): string => names.map((name) => `"${name}"`).join(', ');

/** The index of each named column; a missing one is an error listing the columns (naming `field`, which named it). */
export function columnIndices(table: CsvTable, names: string[], field?: 'target'): number[] {
  return names.map((name) => {
    const index = table.columns.indexOf(name);
    if (index < 0) {
      throw new UserError(
        (n) =>
          `${table.file}: no column named "${name}"${field ? ` for ${n(field)}` : ''}: ` +
          `the columns are ${columnList(table.columns)}`,
        field,
      );
    }
    return index;
  });
}

/** The named columns as float32 [rows, names]; a non-number is an error naming the `kind` of cell. */
export function numericColumns(table: CsvTable, names: string[], kind: 'feature' | 'target' = 'feature'): Float32Array {
  return numericColumnParts(table, names, kind, [null])[0];
}

/**
 * The named columns as float32, one array [part's rows, names] per part (ascending, disjoint lists of rows; null for
 * every row), without the whole table's copy; every row is checked, in order, as numericColumns checks them, in a
 * part or not.
 */
export function numericColumnParts(
  table: CsvTable,
  names: string[],
  kind: 'feature' | 'target',
  parts: readonly (Uint32Array | null)[],
): Float32Array[] {
  const indices = Int32Array.from(columnIndices(table, names));
  const { cells } = table;
  const { rows } = cells;
  const width = indices.length;
  // Each row's part (-1: none), and its place there.
  const owner = new Int8Array(rows).fill(-1);
  parts.forEach((part, p) => {
    if (part) for (const row of part) owner[row] = p;
    else owner.fill(p);
  });
  const outs = parts.map((part) => new Float32Array((part?.length ?? rows) * width));
  const next = new Int32Array(parts.length);
  // A streamed table's float32 cells are read straight from its array: a call per cell costs more than the copy.
  const floats = cells.floats?.values;
  const stride = cells.floats?.width ?? 0;
  const row = new Float32Array(width);
  for (let r = 0; r < rows; r++) {
    if (floats) for (let j = 0, at = r * stride; j < width; j++) row[j] = floats[at + indices[j]];
    else for (let j = 0; j < width; j++) row[j] = cells.decimal(r, indices[j]);
    for (let j = 0; j < width; j++) if (!Number.isFinite(row[j])) throw notNumber(table, r, indices[j], kind);
    const p = owner[r];
    if (p >= 0) outs[p].set(row, next[p]++ * width);
  }
  return outs;
}

function notNumber(table: CsvTable, row: number, column: number, kind: string): UserError {
  const cell = table.cells.text(row, column).trim();
  const what = cell === '' ? 'is empty' : `holds ${quoted(cell)}, which is not a finite number`;
  return new UserError(
    `${table.file}: row ${row + 1}, column "${table.columns[column]}" ${what}: ` +
      `every ${kind} cell needs a number (nothing is filled in), so fix the cell or drop the row`,
  );
}

/** Orders class names: as numbers where all are (so "2" before "10"), else by UTF-16 code units, in every locale. */
export function sortClasses(names: Iterable<string>): string[] {
  const distinct = [...new Set(names)];
  const numeric = distinct.every((name) => DECIMAL.test(name));
  return distinct.sort(
    numeric ? (a, b) => Number(a) - Number(b) || (a < b ? -1 : 1) : (a, b) => (a < b ? -1 : a > b ? 1 : 0),
  );
}

/** A column's cells as text, trimmed. */
export function textColumn(table: CsvTable, name: string): string[] {
  const [c] = columnIndices(table, [name]);
  return Array.from({ length: table.cells.rows }, (_, r) => table.cells.text(r, c).trim());
}

/** A column of class names (trimmed): `classes` fixes their order (a model's), else the sorted distinct values. */
export function classColumn(
  table: CsvTable,
  name: string,
  classes?: string[],
): { classes: string[]; labels: Uint32Array } {
  const [column] = columnIndices(table, [name]);
  // A streamed column of few texts gives each row's code into them: each text is read once, not once a row.
  const coded = table.cells.codes?.(column);
  const texts = coded ? coded.distinct.map((text) => text.trim()) : textColumn(table, name);
  const order = classes ?? sortClasses(texts);
  const index = new Map(order.map((label, i) => [label, i]));
  const labelOf = Int32Array.from(texts, (text) => (text === '' ? -1 : (index.get(text) ?? -1)));
  const rows = table.cells.rows;
  const labels = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    const text = coded ? coded.codes[r] : r;
    const label = labelOf[text];
    if (label < 0) throw notAClass(table, r, name, texts[text], order);
    labels[r] = label;
  }
  return { classes: order, labels };
}

function notAClass(table: CsvTable, row: number, name: string, cell: string, order: string[]): UserError {
  if (cell === '') {
    return new UserError(
      `${table.file}: row ${row + 1}, column "${name}" is empty: ` +
        'every row needs its class, so fill the cell or drop the row',
    );
  }
  const known = order.length > 8 ? `${order.slice(0, 8).join(', ')}, ...` : order.join(', ');
  return new UserError(
    `${table.file}: row ${row + 1}, column "${name}" holds the class ${quoted(cell)}, ` +
      `which the training data does not have (its classes: ${known})`,
  );
}
