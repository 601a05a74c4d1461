import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';

/** What writeFileAtomic writes: bytes, text, or pieces of either one after another (so no one string holds it all). */
export type FileData = Uint8Array | string | Iterable<Uint8Array | string>;

/**
 * Writes a file so that a reader (or a crash at any moment) sees the complete old file or the complete new one: the
 * bytes go to ".NAME.PID.TIME.tmp" in the same folder, are flushed, and that file is renamed over the target (atomic
 * in POSIX). Those that a killed writer left behind are removed by the next write.
 */
export function writeFileAtomic(file: string, data: FileData): void {
  const dir = path.dirname(path.resolve(file));
  const base = path.basename(file);
  const temp = path.join(dir, `.${base}.${process.pid}.${Date.now()}.tmp`);
  const pieces = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
  const fd = fs.openSync(temp, 'w');
  try {
    try {
      for (const piece of pieces) {
        const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
        // writeSync may write less than asked (a full disk, a signal): go on until every byte is written or it throws.
        for (let done = 0; done < bytes.byteLength; ) done += fs.writeSync(fd, bytes, done);
      }
      // Flushed before the rename: otherwise a power cut can leave the new name pointing at an empty or partial file.
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  // Make the rename itself durable: it lives in the folder, which has its own buffers.
  const dirFd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
  removeStaleTemps(dir, base);
}

/** Removes `base`'s temporary files of writers that no longer exist (a live one may be writing its own). */
function removeStaleTemps(dir: string, base: string): void {
  const prefix = `.${base}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return; // tidying up is not worth failing a write that has succeeded
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const match = /^(\d+)\.\d+\.tmp$/.exec(name.slice(prefix.length));
    if (match && !processExists(Number(match[1]))) fs.rmSync(path.join(dir, name), { force: true });
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, but is someone else's
  }
}

/** A file's bytes, as a plain Uint8Array; `what` names it in the one-line error ("model file", "checkpoint"). */
export function readFileBytes(file: string, what: string): Uint8Array {
  try {
    const bytes = fs.readFileSync(file);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (error) {
    throw new UserError(`${file}: cannot read the ${what} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
