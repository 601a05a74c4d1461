/**
 * CSV text without quotes, its bytes pushed a chunk at a time (by readCsvFile from a file, by readCsvBlob from a Blob)
 * into columns: every cell as a float32 number, and a column's texts as codes into its few distinct values (a column
 * of classes), so that a table larger than one string can hold (and many times larger than its float32 values) is
 * never in memory as text. The cells are those scanUnquoted reads.
 */
import { UserError } from '../errors.js';
import { emptyFile } from './csv.js';
import { type Cells, type ParsedCells, readDecimal } from './csv-cells.js';

/** Bytes read at a time: large enough that reading costs little per byte, small beside any table worth streaming. */
export const CHUNK_BYTES = 16 * 1024 * 1024;

/** A column with more distinct texts than this keeps numbers only (and the texts of cells that are none). */
export const MAX_DISTINCT_TEXTS = 4096;

/** The most elements one typed array holds in Node (2^32). */
const MAX_ARRAY_LENGTH = 2 ** 32;

export interface StreamOptions {
  /** Bytes read at a time (default CHUNK_BYTES). */
  chunkBytes?: number;
  /** Called after each chunk with the bytes read so far, the file's size, and the rows read so far. */
  onProgress?: (bytesRead: number, totalBytes: number, rows: number) => void;
}

/**
 * A table's bytes, pushed a chunk at a time (a chunk may end inside a line or a character), scanned into columns
 * line by line; `end` gives the cells, or undefined where the text needs Papa Parse: a quote, or line ends other than
 * all \n or all \r\n. The first byte-order mark is dropped, as parseCsv drops it.
 */
export class UnquotedCsvStream {
  /** Bytes pushed so far. */
  bytesRead = 0;
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly scanner: LineScanner;
  /** The bytes of the line not yet ended, in tail[0, tailLength). */
  private tail = new Uint8Array(0);
  private tailLength = 0;
  private started = false;
  private blank = true;
  private needsPapa = false;

  /** `totalBytes`, the size of the whole text, tells how many rows to make room for. */
  constructor(
    private readonly file: string,
    totalBytes: number,
  ) {
    this.scanner = new LineScanner(file, totalBytes);
  }

  /** The data rows scanned so far. */
  get rows(): number {
    return this.scanner.rows;
  }

  /** Scans the lines `bytes` ends; false once the text needs Papa Parse (then the rest need not be pushed). */
  push(bytes: Uint8Array): boolean {
    if (this.needsPapa) return false;
    this.bytesRead += bytes.length;
    const last = bytes.lastIndexOf(10);
    if (last < 0) {
      this.keep(bytes);
      return true;
    }
    // Whole lines only, decoded on their own: a \n is never part of a longer UTF-8 sequence.
    let start = 0;
    if (this.tailLength > 0) {
      start = bytes.indexOf(10) + 1;
      this.keep(bytes.subarray(0, start));
      const line = this.tail.subarray(0, this.tailLength);
      this.tailLength = 0;
      if (!this.scan(line)) return false;
    }
    if (!this.scan(bytes.subarray(start, last + 1))) return false;
    this.keep(bytes.subarray(last + 1));
    return true;
  }

  /** The cells, once every byte is pushed (the last line needs no line end); an empty file is a UserError. */
  end(): ParsedCells | undefined {
    if (this.needsPapa || !this.scan(this.tail.subarray(0, this.tailLength))) return undefined;
    this.tailLength = 0;
    if (this.blank) throw emptyFile(this.file);
    return this.scanner.result();
  }

  /** Appends bytes to the line not yet ended; a line longer than the tail grows it. */
  private keep(bytes: Uint8Array): void {
    const length = this.tailLength + bytes.length;
    if (length > this.tail.length)
      this.tail = grown(this.tail.subarray(0, this.tailLength), Math.max(length, 2 * this.tail.length));
    this.tail.set(bytes, this.tailLength);
    this.tailLength = length;
  }

  /** Decodes and scans whole lines; false where they need Papa Parse. */
  private scan(bytes: Uint8Array): boolean {
    if (bytes.length === 0) return true;
    let text = this.decoder.decode(bytes);
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.blank && text.trim() !== '') this.blank = false;
    if (text.includes('"') || !this.scanner.scan(text)) this.needsPapa = true;
    return !this.needsPapa;
  }
}

/** Lines split at commas into a ColumnTable, from the first non-blank one, the header, to the first ragged row. */
class LineScanner {
  /** Characters of the lines scanned before the current text. */
  private charsScanned = 0;
  private header?: string[];
  private table?: ColumnTable;
  private ragged?: { row: number; cells: number };
  private sawLf = false;
  private sawCrlf = false;

  constructor(
    private readonly file: string,
    private readonly totalBytes: number,
  ) {}

  get rows(): number {
    return this.table?.rows ?? 0;
  }

  /** Scans whole lines (the last one's end may be the file's); false where their line ends need Papa Parse's guess. */
  scan(text: string): boolean {
    if (!this.sameLineEnds(text)) return false;
    const end = text.length;
    for (let lineStart = 0; lineStart < end; ) {
      let next = text.indexOf('\n', lineStart);
      if (next < 0) next = end;
      const lineEnd = next > lineStart && text.charCodeAt(next - 1) === 13 ? next - 1 : next;
      if (lineEnd > lineStart) this.line(text, lineStart, lineEnd);
      lineStart = next + 1;
    }
    this.charsScanned += end;
    return true;
  }

  result(): ParsedCells {
    if (!this.header || !this.table) return { header: [], cells: { rows: 0, text: () => '', decimal: () => NaN } };
    if (this.ragged) return { header: this.header, ragged: this.ragged };
    return { header: this.header, cells: this.table.cells() };
  }

  /** Every \r in a \r\n and every \n in one, or no \r at all, through the whole file (as scanUnquoted asks). */
  private sameLineEnds(text: string): boolean {
    if (!text.includes('\r')) {
      this.sawLf ||= text.includes('\n');
    } else {
      const crlfs = count(text, '\r\n');
      if (count(text, '\r') !== crlfs) return false;
      this.sawCrlf = true;
      this.sawLf ||= count(text, '\n') > crlfs;
    }
    return !(this.sawLf && this.sawCrlf);
  }

  private line(text: string, start: number, end: number): void {
    if (!this.header) {
      this.header = text.slice(start, end).split(',');
      this.table = new ColumnTable(this.file, this.header);
      return;
    }
    const table = this.table!;
    if (this.ragged) return;
    table.reserve(table.rows + 1, this.charsScanned + start, this.totalBytes);
    const width = this.header.length;
    let column = 0;
    let cellStart = start;
    // indexOf finds commas fastest; past the line's end it looks only as far as the next line's first comma, except
    // in a file of one column, whose lines have none: it searches those within the line.
    const line = width > 1 ? text : text.slice(start, end);
    const offset = width > 1 ? 0 : start;
    for (let at = line.indexOf(',', start - offset) + offset; at >= offset && at < end; ) {
      if (column < width) table.store(text, column, cellStart, at);
      column++;
      cellStart = at + 1;
      at = line.indexOf(',', cellStart - offset) + offset;
    }
    if (column < width) table.store(text, column, cellStart, end);
    if (++column !== width) this.ragged = { row: table.rows + 1, cells: column };
    else table.rows++;
  }
}

/** A column's texts: codes into its distinct texts while it has few, else the texts of its cells that are no number. */
interface ColumnTexts {
  codes?: Uint16Array;
  ids: Map<string, number>;
  distinct: string[];
  notNumbers: Map<number, string>;
}

/** Rows of float32 values, row-major, and each column's texts, growing as rows arrive. */
export class ColumnTable {
  rows = 0;
  private capacity = 0;
  private values = new Float32Array(0);
  private readonly texts: ColumnTexts[];
  private readonly width: number;

  constructor(
    private readonly file: string,
    private readonly header: string[],
  ) {
    this.width = header.length;
    this.texts = header.map(() => ({ codes: new Uint16Array(0), ids: new Map(), distinct: [], notNumbers: new Map() }));
  }

  /**
   * Room for `rows` rows, from the row that starts `scanned` characters into a file of `totalBytes`: as many rows as
   * that suggests the file holds, and a little more, so that a file of similar lines grows its arrays once or twice.
   */
  reserve(rows: number, scanned: number, totalBytes: number): void {
    if (rows <= this.capacity) return;
    // A thousand rows tell the length of a line well; the first ones (after the header) not yet.
    const estimate = rows < 1024 ? 1024 : Math.ceil((rows * totalBytes) / Math.max(scanned, 1) / 0.98);
    const most = Math.floor(MAX_ARRAY_LENGTH / this.width);
    if (rows > most) {
      throw new UserError(
        `${this.file}: row ${rows} makes more than ${MAX_ARRAY_LENGTH} cells, more than one array holds: ` +
          'split the file, or drop columns it does not need',
      );
    }
    this.capacity = Math.min(most, Math.max(rows, estimate, Math.floor(this.capacity * 1.25)));
    try {
      this.values = grown(this.values, this.capacity * this.width);
      for (const texts of this.texts) if (texts.codes) texts.codes = grown(texts.codes, this.capacity);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      const gigabytes = ((this.capacity * this.width * 4) / 2 ** 30).toFixed(1);
      throw new UserError(
        `${this.file}: cannot allocate the ${gigabytes} GB its numbers need (as float32) after ${rows} rows: ` +
          'free memory, or split the file',
      );
    }
  }

  /** Stores text[start, end) as row `this.rows`, column `column`. */
  store(text: string, column: number, start: number, end: number): void {
    const row = this.rows;
    const value = Math.fround(readDecimal(text, start, end));
    this.values[row * this.width + column] = value;
    const texts = this.texts[column];
    if (texts.codes) {
      const cell = text.slice(start, end);
      let code = texts.ids.get(cell);
      if (code === undefined) {
        code = texts.distinct.length;
        if (code === MAX_DISTINCT_TEXTS) {
          this.forgetCodes(column);
          if (!Number.isFinite(value)) texts.notNumbers.set(row, cell);
          return;
        }
        texts.ids.set(cell, code);
        texts.distinct.push(cell);
      }
      texts.codes[row] = code;
    } else if (!Number.isFinite(value)) {
      texts.notNumbers.set(row, text.slice(start, end));
    }
  }

  /** Replaces a column's codes, once it has too many distinct texts, by the texts of its cells that are no number. */
  private forgetCodes(column: number): void {
    const texts = this.texts[column];
    for (let row = 0; row < this.rows; row++) {
      if (!Number.isFinite(this.values[row * this.width + column]))
        texts.notNumbers.set(row, texts.distinct[texts.codes![row]]);
    }
    texts.codes = undefined;
    texts.ids.clear();
    texts.distinct = [];
  }

  cells(): Cells {
    const { rows, width, texts, values } = this;
    return {
      rows,
      floats: { values, width },
      codes: (column) => {
        const { codes, distinct } = texts[column];
        return codes && { codes, distinct };
      },
      decimal: (row, column) => values[row * width + column],
      text: (row, column) => {
        const { codes, distinct, notNumbers } = texts[column];
        if (codes) return distinct[codes[row]];
        const cell = notNumbers.get(row);
        if (cell !== undefined) return cell;
        throw new UserError(
          `${this.file}: column "${this.header[column].trim()}" has more than ${MAX_DISTINCT_TEXTS} ` +
            'different values, too many to read as classes: ' +
            'predict it as a number (a regression), or give it fewer classes',
        );
      },
    };
  }
}

function grown<T extends Float32Array | Uint16Array | Uint8Array>(array: T, length: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(length);
  bigger.set(array);
  return bigger;
}

/** How many times `what` occurs in `text`. */
function count(text: string, what: string): number {
  let n = 0;
  for (let at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + what.length)) n++;
  return n;
}
