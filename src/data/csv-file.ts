/** Reading a CSV file from disk into a parsed table. Node only (csv.ts parses text anywhere). */
import { constants } from 'node:buffer';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { UserError } from '../errors.js';
import { type CsvTable, checkedTable, parseCsvSync } from './csv.js';
import type { PapaParse } from './csv-cells.js';
import { CHUNK_BYTES, type StreamOptions, UnquotedCsvStream } from './csv-stream.js';

/** Papa Parse, required only for a file that needs it (see csv-cells.ts). */
const loadPapa = (): PapaParse => createRequire(import.meta.url)('papaparse') as PapaParse;

export interface CsvFileOptions extends StreamOptions {
  /** The largest file read whole, as one string, for Papa Parse (default the longest string Node holds). */
  maxStringLength?: number;
}

/**
 * Reads and parses a CSV file with a header row, synchronously (parseCsv, for text anywhere, is async); a file that
 * cannot be read is a one-line UserError naming it. A file without quotes is streamed into columns of float32
 * numbers (see csv-stream.ts), whatever its size; one with quotes is read whole by Papa Parse.
 */
export function readCsvFile(file: string, options: CsvFileOptions = {}): CsvTable {
  const maxLength = options.maxStringLength ?? constants.MAX_STRING_LENGTH;
  const fd = attempt(file, () => fs.openSync(file, 'r'));
  try {
    const stat = attempt(file, () => fs.fstatSync(fd));
    // A pipe's bytes can be read once only, so it is read whole, in case Papa Parse needs them.
    const whole = !stat.isFile();
    if (!whole) {
      const streamed = attempt(file, () => streamFile(fd, stat.size, file, options));
      if (streamed) return checkedTable(file, streamed);
      if (stat.size > maxLength) throw tooLargeWhole(file, maxLength, stat.size);
    }
    const text = attempt(
      file,
      () => fs.readFileSync(whole ? fd : file, 'utf8'),
      () =>
        whole
          ? new UserError(
              `${file}: read whole, as a pipe is, it is more than one string holds: save it to a file first`,
            )
          : tooLargeWhole(file, maxLength, stat.size),
    );
    return parseCsvSync(text, file, loadPapa);
  } finally {
    fs.closeSync(fd);
  }
}

/** The file's cells, read a chunk at a time, or undefined where it needs Papa Parse (see UnquotedCsvStream). */
function streamFile(fd: number, totalBytes: number, file: string, options: StreamOptions) {
  const stream = new UnquotedCsvStream(file, totalBytes);
  const chunk = new Uint8Array(options.chunkBytes ?? CHUNK_BYTES);
  for (let bytes = fs.readSync(fd, chunk); bytes > 0; bytes = fs.readSync(fd, chunk)) {
    if (!stream.push(chunk.subarray(0, bytes))) return undefined;
    options.onProgress?.(stream.bytesRead, totalBytes);
  }
  return stream.end();
}

/** `read()`, with a file system error as a one-line UserError naming the file; other errors pass. */
function attempt<T>(file: string, read: () => T, tooLong?: () => UserError): T {
  try {
    return read();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof UserError || code === undefined) throw error;
    if (code === 'ERR_STRING_TOO_LONG' && tooLong) throw tooLong();
    const known: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'a folder, not a file' };
    const why = known[code];
    if (why) throw new UserError(`${file}: ${why}: give a CSV file with a header row`);
    throw new UserError(`${file}: cannot read the file (${code}): check that it exists and that you may read it`);
  }
}

const sizeText = (bytes: number) =>
  bytes < 2 ** 20 ? `${Math.ceil(bytes / 2 ** 10)} kB` : `${Math.ceil(bytes / 2 ** 20)} MB`;

function tooLargeWhole(file: string, maxLength: number, bytes: number): UserError {
  return new UserError(
    `${file}: a file with quoted cells (or line ends other than \\n or \\r\\n) is read whole, ` +
      `and this one (${sizeText(bytes)}) is more than one string holds (${sizeText(maxLength)}): ` +
      'write it without quotes and with \\n or \\r\\n line ends (then any size streams), or split it',
  );
}
