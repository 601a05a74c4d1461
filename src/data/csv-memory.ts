/**
 * How much memory a CSV file's table will take, estimated before it is read from its size and its first lines, so
 * that a file the machine cannot hold is refused at once rather than after minutes of reading.
 */
import { UserError } from '../errors.js';

/** Bytes of the file's start that the estimate reads: enough lines to tell their length. */
export const SAMPLE_BYTES = 256 * 1024;

/** Bytes a reader holds per byte of the table as float32 while reading: the table, grown once or twice as rows come. */
export const READING_FACTOR = 1.25;

export interface TableEstimate {
  rows: number;
  columns: number;
  /** The table's cells as float32. */
  bytes: number;
}

/**
 * The rows and columns of a file of `totalBytes` whose first bytes are `sample`: columns from the header (commas
 * outside quotes are not told apart: an estimate), rows from the length of the whole lines after it. Undefined for a
 * sample without a whole line after its header.
 */
export function estimateTable(sample: Uint8Array, totalBytes: number): TableEstimate | undefined {
  const headerEnd = sample.indexOf(10);
  if (headerEnd < 0) return undefined;
  let columns = 1;
  for (let i = 0; i < headerEnd; i++) if (sample[i] === 44) columns++;
  const lastEnd = sample.lastIndexOf(10);
  let lines = 0;
  for (let i = headerEnd + 1; i <= lastEnd; i++) if (sample[i] === 10) lines++;
  if (lines === 0) return undefined;
  const rows = Math.ceil(((totalBytes - headerEnd - 1) * lines) / (lastEnd - headerEnd));
  return { rows, columns, bytes: rows * columns * 4 };
}

const size = (bytes: number) =>
  bytes < 2 ** 30 ? `${(bytes / 2 ** 20).toFixed(1)} MB` : `${(bytes / 2 ** 30).toFixed(1)} GB`;

/**
 * Refuses a table whose holder needs `factor` times its float32 bytes, more than the `available` bytes of memory,
 * in one line naming both.
 */
export function checkTableMemory(file: string, estimate: TableEstimate, factor: number, available: number): void {
  const need = estimate.bytes * factor;
  if (need <= available) return;
  const shape = `${estimate.rows.toLocaleString('en-US')} rows x ${estimate.columns} columns`;
  throw new UserError(
    `${file}: its table (about ${shape}) needs about ${size(need)} of memory, ` +
      `more than the ${size(available)} available: free memory, or use fewer rows (split the file) or columns`,
  );
}
