import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { type FileData, writeFileAtomic } from '../io/atomic.js';
import { cliIo } from './io.js';

/** Fails before any work, not after an hour of it, where an output file cannot be written (or is not `extensions`). */
export function checkOutputFile(flag: string, file: string | undefined, extensions?: string[]): void {
  if (file === undefined) return;
  if (extensions && !extensions.includes(path.extname(file).toLowerCase())) {
    throw new UserError(
      `--${flag} ${file}: only ${extensions.join(', ')} files are written: name it e.g. ${flag}${extensions[0]}`,
    );
  }
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) || '/' : '.';
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UserError(`--${flag} ${file}: folder ${dir} does not exist or is not writable`);
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
    throw new UserError(`--${flag} ${file} is a folder: give a file name`);
  }
}

/** Writes `contents()` to `file` (atomically) where one is given, and says so: "`done` FILE". */
export function writeOutput(file: string | undefined, contents: () => FileData, done: string): void {
  if (file === undefined) return;
  writeFileAtomic(file, contents());
  cliIo().stdout.write(`${done} ${file}\n`);
}

/** A JSON report's text. */
export const reportText = (report: unknown): string => `${JSON.stringify(report, null, 2)}\n`;
