/** Reading a CSV file from disk into a parsed table. Node only (csv.ts parses text anywhere). */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { UserError } from '../errors.js';
import { type CsvTable, parseCsvSync } from './csv.js';
import type { PapaParse } from './csv-cells.js';

/** Papa Parse, required only for a file that needs it (see csv-cells.ts). */
const loadPapa = (): PapaParse => createRequire(import.meta.url)('papaparse') as PapaParse;

/**
 * Reads and parses a CSV file with a header row, synchronously (parseCsv, for text anywhere, is async); a file that
 * cannot be read is a one-line UserError naming it.
 */
export function readCsvFile(file: string): CsvTable {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const known: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'a folder, not a file' };
    const why = known[code] ?? `cannot read the file (${code})`;
    throw new UserError(`${file}: ${why}: give a CSV file with a header row`);
  }
  return parseCsvSync(text, file, loadPapa);
}
