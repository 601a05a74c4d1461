/**
 * A CSV file with quoted cells, too large to be read as one string, read by Papa Parse a piece at a time into the
 * streamed table's float32 columns (csv-stream.ts). Pieces end at line ends outside quotes (an even number of quote
 * characters before them, as RFC 4180 quoting keeps), so that each holds whole records and parses on its own; every
 * piece is parsed with the line end Papa Parse found in the first.
 */
import { UserError } from '../errors.js';
import { emptyFile } from './csv.js';
import type { Newline, PapaParse, ParsedCells } from './csv-cells.js';
import { CHUNK_BYTES, ColumnTable, type StreamOptions } from './csv-stream.js';

/**
 * The table's cells, read by `read` (which fills its argument from the start and gives how many bytes it wrote, 0 at
 * the end) and parsed by `papa` piece by piece; a record longer than `maxStringLength` is refused in one line.
 */
export function streamQuoted(
  read: (into: Uint8Array) => number,
  totalBytes: number,
  file: string,
  papa: PapaParse,
  maxStringLength: number,
  options: StreamOptions = {},
): ParsedCells {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const buffer = new Uint8Array(options.chunkBytes ?? CHUNK_BYTES);
  const pieces = new RecordPieces(file, totalBytes, papa);
  let pending = '';
  let scanned = 0;
  let evenQuotes = true;
  let bytesRead = 0;
  for (let done = false; !done; ) {
    const bytes = read(buffer);
    done = bytes === 0;
    bytesRead += bytes;
    pending += decoder.decode(buffer.subarray(0, bytes), { stream: !done });
    // The last line end outside quotes, from where the previous scan stopped.
    let end = -1;
    for (let i = scanned; i < pending.length; i++) {
      const code = pending.charCodeAt(i);
      if (code === 34) evenQuotes = !evenQuotes;
      else if (code === 10 && evenQuotes) end = i + 1;
    }
    scanned = pending.length;
    if (done) end = pending.length;
    if (end > 0) {
      const failed = pieces.parse(pending.slice(0, end));
      if (failed) return failed;
      pending = pending.slice(end);
      scanned -= end;
    }
    if (pending.length > maxStringLength) {
      throw new UserError(
        `${file}: the record after row ${pieces.rows} runs past ${maxStringLength} characters ` +
          '(a quoted cell left open, or line ends of \\r alone?): close every quoted cell with a " ' +
          '(write "" for a quote inside one), and end lines with \\n or \\r\\n',
      );
    }
    options.onProgress?.(bytesRead, totalBytes, pieces.rows);
  }
  return pieces.result();
}

/** Pieces of whole records parsed one after another into one table: the header from the first non-blank row. */
class RecordPieces {
  private header?: string[];
  private table?: ColumnTable;
  private newline?: Newline;
  private charsParsed = 0;

  constructor(
    private readonly file: string,
    private readonly totalBytes: number,
    private readonly papa: PapaParse,
  ) {}

  get rows(): number {
    return this.table?.rows ?? 0;
  }

  /** Adds the rows of `text`; the ragged row or the unclosed quote where there is one. */
  parse(text: string): ParsedCells | undefined {
    const first = !this.newline;
    const piece = first && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    if (first && piece.trim() === '') {
      // Blank lines before the header: the header comes in a later piece.
      this.charsParsed += text.length;
      return undefined;
    }
    const parsed = this.papa.parse<string[]>(piece, {
      delimiter: ',',
      skipEmptyLines: true,
      ...(this.newline ? { newline: this.newline } : {}),
    });
    this.newline ??= parsed.meta.linebreak as Newline;
    const rowsBefore = this.table?.rows ?? 0;
    const error = parsed.errors[0];
    if (error) {
      const row = error.row === undefined ? undefined : first ? error.row : rowsBefore + error.row + 1;
      return { unclosedQuote: { row, message: error.message } };
    }
    let rows = parsed.data;
    if (!this.header) {
      this.header = rows[0] ?? [];
      this.table = new ColumnTable(this.file, this.header);
      rows = rows.slice(1);
    }
    const table = this.table!;
    const width = this.header.length;
    for (const [i, cells] of rows.entries()) {
      if (cells.length !== width) return { header: this.header, ragged: { row: table.rows + 1, cells: cells.length } };
      table.reserve(
        table.rows + 1,
        this.charsParsed + Math.floor(((i + 1) * text.length) / rows.length),
        this.totalBytes,
      );
      for (let column = 0; column < width; column++) table.store(cells[column], column, 0, cells[column].length);
      table.rows++;
    }
    this.charsParsed += text.length;
    return undefined;
  }

  result(): ParsedCells {
    if (!this.header || !this.table) throw emptyFile(this.file);
    return { header: this.header, cells: this.table.cells() };
  }
}
