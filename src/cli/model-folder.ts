/**
 * An ensemble on disk: a folder of model files named 1.safetensors, 2.safetensors, ... (best first), that sweep
 * --ensemble writes and that predict and eval take as --model DIR (the mean of the members' answers).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';

const MEMBER = /^(\d+)\.safetensors$/;

/** Whether `file` names a folder (an ensemble's) rather than a model file. */
export const isFolder = (file: string): boolean => fs.existsSync(file) && fs.statSync(file).isDirectory();

/** Fails before any work where --out DIR cannot take an ensemble: a file, or a folder that holds other files. */
export function checkModelFolder(flag: string, dir: string): void {
  const parent = path.dirname(path.resolve(dir));
  try {
    fs.accessSync(parent, fs.constants.W_OK);
  } catch {
    throw new UserError(`--${flag} ${dir}: folder ${parent} does not exist or is not writable`);
  }
  if (!fs.existsSync(dir)) return;
  if (!isFolder(dir)) throw new UserError(`--${flag} ${dir} is a file: --ensemble writes a folder, give a new name`);
  const other = fs.readdirSync(dir).find((name) => !MEMBER.test(name));
  if (other !== undefined) {
    throw new UserError(`--${flag} ${dir} holds ${other}, which is no ensemble's model: give a new or empty folder`);
  }
}

/**
 * Writes the models as `dir`'s 1.safetensors, 2.safetensors, ...: into a new folder beside it, which then takes its
 * place, so that the folder never mixes the members of two sweeps.
 */
export function writeModelFolder(dir: string, models: Uint8Array[]): void {
  const target = path.resolve(dir);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}`);
  fs.mkdirSync(temp);
  try {
    models.forEach((bytes, i) => writeFileAtomic(path.join(temp, `${i + 1}.safetensors`), bytes));
    const old = `${temp}.old`;
    if (fs.existsSync(target)) fs.renameSync(target, old);
    fs.renameSync(temp, target);
    fs.rmSync(old, { recursive: true, force: true });
  } catch (error) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

/** The model files of an ensemble's folder, in their order. */
export function modelFolderFiles(dir: string): string[] {
  const names = fs
    .readdirSync(dir)
    .filter((name) => MEMBER.test(name))
    .sort((a, b) => Number(MEMBER.exec(a)![1]) - Number(MEMBER.exec(b)![1]));
  if (names.length === 0) {
    throw new UserError(`${dir} is a folder without models (1.safetensors, ...): give a model file or sweep's folder`);
  }
  return names.map((name) => path.join(dir, name));
}
