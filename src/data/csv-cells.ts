/**
 * A CSV table's cells, and how a cell becomes a number. Papa Parse reads any CSV; text without a quote character
 * (almost every numeric table) is scanned here to the same cells as offsets into the text, ten times as fast, and
 * without Papa Parse, which the callers load only for the rest (so that a page that reads no CSV never holds it).
 */

/**
 * What this file uses of Papa Parse's module, as the caller loaded it; written out rather than imported, so that the
 * published declarations need no @types/papaparse.
 */
/** The line ends Papa Parse reads. */
export type Newline = '\r' | '\n' | '\r\n';

export interface PapaParse {
  parse<T>(
    text: string,
    config: { delimiter: string; skipEmptyLines: boolean; newline?: Newline },
  ): { data: T[]; errors: { row?: number; message: string }[]; meta: { linebreak: string } };
}

/** A table's data cells, row by row (blank lines skipped), one per column. */
export interface Cells {
  readonly rows: number;
  /**
   * The cell as written (untrimmed). A table streamed from a file (csv-stream.ts) keeps, of a column of thousands of
   * different texts, only those of the cells that are no number; for the others it throws a UserError.
   */
  text(row: number, column: number): string;
  /**
   * The cell's value where it is a decimal number (exactly as Number() reads it, in float64), else NaN; a table
   * streamed from a file holds it rounded to float32, which is all that numericColumns reads of it.
   */
  decimal(row: number, column: number): number;
  /** Where every cell's value is already a float32, row-major: decimal(row, column) is values[row · width + column]. */
  readonly floats?: { values: Float32Array; width: number };
  /** Where a column keeps its few distinct texts: text(row, column) is distinct[codes[row]]. */
  codes?(column: number): { codes: Uint16Array; distinct: readonly string[] } | undefined;
}

/** The header row's cells and the data cells, or where a row has the wrong number of cells. */
export type ParsedCells =
  | { header: string[]; cells: Cells }
  | { header: string[]; ragged: { row: number; cells: number } }
  | { header?: undefined; unclosedQuote: { row?: number; message: string } };

/** A decimal number as people write one: an optional sign, digits with an optional point, an optional exponent. */
export const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const slowDecimal = (cell: string): number => {
  const trimmed = cell.trim();
  return DECIMAL.test(trimmed) ? Number(trimmed) : NaN;
};

/** Exact powers of ten: every one up to 1e22 is a float64 without rounding. */
const POWERS = Array.from({ length: 23 }, (_, k) => 10 ** k);
const isSpace = (code: number) => code === 32 || code === 9;

/**
 * text[start, end) as a decimal number, as slowDecimal reads it. Digits up to 2^53 and a power of ten up to 22 make
 * one correctly rounded operation, the value Number() gives (Clinger's fast path); anything else goes to slowDecimal.
 */
export function readDecimal(text: string, start: number, end: number): number {
  let s = start;
  let e = end;
  while (s < e && isSpace(text.charCodeAt(s))) s++;
  while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
  let i = s;
  const sign = text.charCodeAt(i);
  if (sign === 45 || sign === 43) i++;
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  for (let d = text.charCodeAt(i) - 48; i < e && d >= 0 && d <= 9; d = text.charCodeAt(++i) - 48) {
    mantissa = mantissa * 10 + d;
    digits++;
  }
  if (i < e && text.charCodeAt(i) === 46) {
    for (let d = text.charCodeAt(++i) - 48; i < e && d >= 0 && d <= 9; d = text.charCodeAt(++i) - 48) {
      mantissa = mantissa * 10 + d;
      digits++;
      scale--;
    }
  }
  if (i < e && (text.charCodeAt(i) | 32) === 101) {
    const expSign = text.charCodeAt(++i);
    const negative = expSign === 45;
    if (negative || expSign === 43) i++;
    let exponent = 0;
    let expDigits = 0;
    for (let d = text.charCodeAt(i) - 48; i < e && d >= 0 && d <= 9 && exponent < 1000; d = text.charCodeAt(++i) - 48) {
      exponent = exponent * 10 + d;
      expDigits++;
    }
    if (expDigits === 0) return slowDecimal(text.slice(start, end));
    scale += negative ? -exponent : exponent;
  }
  if (i !== e || digits === 0 || mantissa > Number.MAX_SAFE_INTEGER || scale < -22 || scale > 22) {
    return slowDecimal(text.slice(start, end));
  }
  const value = scale >= 0 ? mantissa * POWERS[scale] : mantissa / POWERS[-scale];
  return sign === 45 ? -value : value;
}

/**
 * Papa Parse's cells of text without a quote character: lines split at commas. Only where its guess of the newline
 * is certain (no \r, or every \n and \r in a \r\n) is the text scanned here; else undefined.
 */
export function scanUnquoted(text: string): ParsedCells | undefined {
  if (text.includes('"')) return undefined;
  const crlf = text.includes('\r');
  if (crlf && !(count(text, '\r') === count(text, '\r\n') && count(text, '\n') === count(text, '\r\n')))
    return undefined;
  const newline = crlf ? 2 : 1;
  let header: string[] | undefined;
  let columns = 0;
  const capacity = count(text, '\n') + 1;
  let starts = new Uint32Array(0);
  const ends = new Uint32Array(capacity);
  let rows = 0;
  for (let lineStart = 0; lineStart <= text.length; ) {
    let next = text.indexOf('\n', lineStart);
    if (next < 0) next = text.length + newline - 1;
    const lineEnd = next - newline + 1;
    if (lineEnd > lineStart) {
      if (!header) {
        header = text.slice(lineStart, lineEnd).split(',');
        columns = header.length;
        starts = new Uint32Array(capacity * columns);
      } else {
        let cells = 1;
        const at = rows * columns;
        starts[at] = lineStart;
        for (
          let comma = text.indexOf(',', lineStart);
          comma >= 0 && comma < lineEnd;
          comma = text.indexOf(',', comma + 1)
        ) {
          if (cells < columns) starts[at + cells] = comma + 1;
          cells++;
        }
        if (cells !== columns) return { header, ragged: { row: rows + 1, cells } };
        ends[rows++] = lineEnd;
      }
    }
    lineStart = next + 1;
  }
  if (!header) return { header: [], cells: rowCells([]) };
  const end = (row: number, column: number) =>
    column + 1 < columns ? starts[row * columns + column + 1] - 1 : ends[row];
  return {
    header,
    cells: {
      rows,
      text: (row, column) => text.slice(starts[row * columns + column], end(row, column)),
      decimal: (row, column) => readDecimal(text, starts[row * columns + column], end(row, column)),
    },
  };
}

/** Any CSV text, read by Papa Parse (quoting, CRLF or CR line ends), blank lines skipped. */
export function parseWithPapa(papa: PapaParse, text: string): ParsedCells {
  const parsed = papa.parse<string[]>(text, { delimiter: ',', skipEmptyLines: true });
  const error = parsed.errors[0];
  if (error) return { unclosedQuote: { row: error.row, message: error.message } };
  const [header = [], ...rows] = parsed.data;
  const ragged = rows.findIndex((row) => row.length !== header.length);
  if (ragged >= 0) return { header, ragged: { row: ragged + 1, cells: rows[ragged].length } };
  return { header, cells: rowCells(rows) };
}

function rowCells(rows: string[][]): Cells {
  return {
    rows: rows.length,
    text: (row, column) => rows[row][column],
    decimal: (row, column) => {
      const cell = rows[row][column];
      return readDecimal(cell, 0, cell.length);
    },
  };
}

function count(text: string, what: string): number {
  let n = 0;
  for (let at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + what.length)) n++;
  return n;
}
