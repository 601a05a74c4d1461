/** Reading a CSV file from disk into a parsed table. Node only (csv.ts parses text anywhere). */
import { constants } from 'node:buffer';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { UserError } from '../errors.js';
import { type CsvTable, checkedTable, parseCsvSync } from './csv.js';
import type { PapaParse } from './csv-cells.js';
import { checkTableMemory, estimateTable, READING_FACTOR, SAMPLE_BYTES } from './csv-memory.js';
import { streamQuoted } from './csv-quoted.js';
import { CHUNK_BYTES, type StreamOptions, UnquotedCsvStream } from './csv-stream.js';

/** Papa Parse, required only for a file that needs it (see csv-cells.ts). */
const loadPapa = (): PapaParse => createRequire(import.meta.url)('papaparse') as PapaParse;

export interface CsvFileOptions extends StreamOptions {
  /** The largest file read whole, as one string, for Papa Parse (default the longest string Node holds). */
  maxStringLength?: number;
  /**
   * Bytes of memory the caller will hold per byte of the table as float32 (default 1.25, reading alone; the CLI's
   * train says 2.5, for the training and test rows it copies out): a file whose table, estimated from its size and
   * first lines, needs more than `availableMemory` is refused before it is read.
   */
  memoryFactor?: number;
  /** Bytes of memory free for the table (default process.availableMemory(): the machine's, or its cgroup's limit). */
  availableMemory?: number;
}

/**
 * Reads and parses a CSV file with a header row, synchronously (parseCsv, for text anywhere, is async); a file that
 * cannot be read is a one-line UserError naming it. A file without quotes is streamed into columns of float32
 * numbers (see csv-stream.ts), whatever its size; one with quotes is read whole by Papa Parse, or, where it is
 * longer than a string holds, a piece of whole records at a time (csv-quoted.ts).
 */
export function readCsvFile(file: string, options: CsvFileOptions = {}): CsvTable {
  const maxLength = options.maxStringLength ?? constants.MAX_STRING_LENGTH;
  const fd = attempt(file, () => fs.openSync(file, 'r'));
  try {
    const stat = attempt(file, () => fs.fstatSync(fd));
    // A pipe's bytes can be read once only, so it is read whole, in case Papa Parse needs them.
    const whole = !stat.isFile();
    if (!whole) {
      checkMemory(fd, file, stat.size, options);
      const streamed = attempt(file, () => streamFile(fd, stat.size, file, options));
      if (streamed) return checkedTable(file, streamed);
      if (stat.size > maxLength) {
        let position = 0;
        const readFromStart = (into: Uint8Array) => {
          const bytes = fs.readSync(fd, into, 0, into.length, position);
          position += bytes;
          return bytes;
        };
        const parse = () => streamQuoted(readFromStart, stat.size, file, loadPapa(), maxLength, options);
        return checkedTable(file, attempt(file, parse));
      }
    }
    const tooLong = () =>
      new UserError(`${file}: read whole, as a pipe is, it is more than one string holds: save it to a file first`);
    const text = attempt(file, () => fs.readFileSync(whole ? fd : file, 'utf8'), tooLong);
    return parseCsvSync(text, file, loadPapa);
  } finally {
    fs.closeSync(fd);
  }
}

/** Refuses a file whose table would not fit in memory (csv-memory.ts), from the file's size and first lines. */
function checkMemory(fd: number, file: string, size: number, options: CsvFileOptions): void {
  const sample = new Uint8Array(Math.min(SAMPLE_BYTES, size));
  const read = attempt(file, () => fs.readSync(fd, sample, 0, sample.length, 0));
  const estimate = estimateTable(sample.subarray(0, read), size);
  const available = options.availableMemory ?? process.availableMemory();
  if (estimate) checkTableMemory(file, estimate, options.memoryFactor ?? READING_FACTOR, available);
}

/** The file's cells, read a chunk at a time, or undefined where it needs Papa Parse (see UnquotedCsvStream). */
function streamFile(fd: number, totalBytes: number, file: string, options: StreamOptions) {
  const stream = new UnquotedCsvStream(file, totalBytes);
  const chunk = new Uint8Array(options.chunkBytes ?? CHUNK_BYTES);
  for (let bytes = fs.readSync(fd, chunk); bytes > 0; bytes = fs.readSync(fd, chunk)) {
    if (!stream.push(chunk.subarray(0, bytes))) return undefined;
    options.onProgress?.(stream.bytesRead, totalBytes, stream.rows);
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
