/** The CLI's CSV files: which --data paths are tables, and reading one into a parsed table. */
import fs from 'node:fs';
import { parseCsv, type CsvTable } from '../data/csv.js';
import { UserError } from '../errors.js';

/** A --data path is a table when it names a .csv file; anything else is an MNIST-style folder. */
export const isTableFile = (file: string | undefined): boolean => file !== undefined && /\.csv$/i.test(file);

/** Reads and parses a CSV file; a file that cannot be read is a one-line error naming it. */
export function readCsvFile(file: string): CsvTable {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : `cannot read the file (${code})`;
    throw new UserError(`${file}: ${why}: give a CSV file with a header row`);
  }
  return parseCsv(text, file);
}

/** Column names for a message: "a", "b", "c". */
export const columnList = (names: string[]): string => names.map((name) => `"${name}"`).join(', ');
