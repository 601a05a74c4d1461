/**
 * Reading a CSV Blob (a File a person chose or dropped on a page, or any Blob in Node) into a table a chunk at a time,
 * so that a large table without quotes never sits in memory as one string, and a page can show how far it has read.
 */
import { UserError } from '../errors.js';
import { type CsvTable, checkedTable, parseCsv } from './csv.js';
import type { ParsedCells } from './csv-cells.js';
import { UnquotedCsvStream } from './csv-stream.js';

/** Bytes a Blob is read at a time: enough that a read costs little per byte, few enough to scan between frames. */
export const BLOB_CHUNK_BYTES = 2 ** 20;

/** The options of readCsvBlob. */
export interface CsvBlobOptions {
  /** The name errors give the table (default a File's name, else "the CSV"). */
  name?: string;
  /** Bytes read at a time (default 1 MiB). */
  chunkBytes?: number;
  /** Called after each chunk with the bytes read so far and the Blob's size; the last call has both equal. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/**
 * Reads and parses a CSV Blob with a header row: the same table, and the same one-line UserErrors, as parseCsv gives
 * for the Blob's text (its first byte-order mark dropped once, as readCsvFile drops it). Text without quotes, with
 * `\n` or `\r\n` line ends, is read a chunk at a time into columns of float32 numbers (each chunk awaited, so a page
 * stays responsive); other text is read whole, as one string, for Papa Parse, so a quoted file can be only as large
 * as a string the page or Node can hold.
 */
export async function readCsvBlob(blob: Blob, options: CsvBlobOptions = {}): Promise<CsvTable> {
  const file = options.name ?? (blob as Partial<File>).name ?? 'the CSV';
  const chunkBytes = options.chunkBytes ?? BLOB_CHUNK_BYTES;
  if (!(Number.isInteger(chunkBytes) && chunkBytes > 0))
    throw new UserError(`chunkBytes is ${chunkBytes}: give a whole number of bytes above 0`);
  const cells = await streamed(blob, file, chunkBytes, options.onProgress);
  if (cells) return checkedTable(file, cells);
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await attempt(file, () => blob.arrayBuffer()));
  const table = await parseCsv(text, file);
  options.onProgress?.(blob.size, blob.size);
  return table;
}

/** The Blob's cells, read a chunk at a time, or undefined where its text needs Papa Parse. */
async function streamed(
  blob: Blob,
  file: string,
  chunkBytes: number,
  onProgress: CsvBlobOptions['onProgress'],
): Promise<ParsedCells | undefined> {
  const total = blob.size;
  const stream = new UnquotedCsvStream(file, total);
  for (let at = 0; at < total; at += chunkBytes) {
    const bytes = await attempt(file, () => blob.slice(at, at + chunkBytes).arrayBuffer());
    if (!stream.push(new Uint8Array(bytes))) return undefined;
    onProgress?.(stream.bytesRead, total);
  }
  return stream.end();
}

/** `read()`, where a Blob that cannot be read (a File deleted or changed since it was chosen) is a one-line error. */
async function attempt(file: string, read: () => Promise<ArrayBuffer>): Promise<ArrayBuffer> {
  try {
    return await read();
  } catch (error) {
    const why = error instanceof Error ? error.name : String(error);
    throw new UserError(`${file}: cannot read the file (${why}): check that it still exists, then choose it again`);
  }
}
