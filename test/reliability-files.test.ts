/**
 * No torn files: a process killed (SIGKILL, no chance to clean up) at random moments while it writes model files and
 * checkpoints leaves each file whole, the old one or the new one, and loadable; the temporary files it leaves are never
 * read as the file and are removed by the next write; the file and its folder are flushed in the order that makes
 * the rename durable.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../src/io/atomic.js';
import { paramTable } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { loadCheckpoint, readModel as loadModel, saveCheckpoint, writeModel as saveModel } from './model-files.js';
import { checkpointOf, WRITER_SPEC, writerFiles } from './reliability-writer.js';

const root = path.resolve(import.meta.dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-files-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Temporary files that writers of `file` left in its folder. */
const temps = (file: string) =>
  fs.readdirSync(path.dirname(file)).filter((name) => name.startsWith(`.${path.basename(file)}.`));

/** The generation a file holds, checking that it is whole: every parameter equal (a torn file would mix or fail). */
function generationOf(kind: 'model' | 'checkpoint', file: string): number {
  const params = kind === 'model' ? loadModel(file).params : loadCheckpoint(file).state.params;
  expect(params.length).toBe(paramTable(WRITER_SPEC).total);
  expect(
    params.every((v) => v === params[0]),
    `${file} mixes generations`,
  ).toBe(true);
  if (kind === 'checkpoint') expect(loadCheckpoint(file).state.step).toBe(params[0]);
  return params[0];
}

/** Starts the writer, kills it `delayMs` after it starts writing; resolves to the generations it reported. */
function killWriter(delayMs: number): Promise<{ model: number; checkpoint: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/reliability-writer.ts'), dir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (out === '') setTimeout(() => child.kill('SIGKILL'), delayMs);
      out += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`the writer stopped by itself: ${err}`));
      const last = (kind: string) => Number([...out.matchAll(new RegExp(`^${kind} (\\d+)$`, 'gm'))].pop()?.[1] ?? NaN);
      resolve({ model: last('model'), checkpoint: last('checkpoint') });
    });
  });
}

describe('a writer killed at random moments', () => {
  it('leaves every model file and checkpoint whole: the last one it reported, or the next', async () => {
    const files = writerFiles(dir);
    saveModel(files.model, WRITER_SPEC, new Float32Array(paramTable(WRITER_SPEC).total));
    saveCheckpoint(files.checkpoint, checkpointOf(0));
    const rng = new Rng(7);
    const expected = { model: 0, checkpoint: 0 };
    let killedMidWrite = 0;
    let writes = 0;
    // At least 25 kills, and more on a busy machine (where a writer gets through fewer writes before its kill) until
    // enough writes happened and some kill landed inside one.
    for (let kill = 0; kill < 25 || ((writes <= 25 || killedMidWrite === 0) && kill < 200); kill++) {
      const delay = rng.uniform(0, 50);
      const reported = await killWriter(delay);
      for (const kind of ['model', 'checkpoint'] as const) {
        // Nothing reported by this writer: the file is still the one the last writer left.
        const before = Number.isNaN(reported[kind]) ? expected[kind] : reported[kind];
        const now = generationOf(kind, files[kind]);
        expect([before, before + 1], `${kind} after kill ${kill} at ${delay.toFixed(1)} ms`).toContain(now);
        writes += now - expected[kind];
        expected[kind] = now;
        // A temporary file left behind means the kill landed inside a write (after the open, before the rename).
        const left = temps(files[kind]).length;
        if (left > 0) killedMidWrite++;
        // A writer that finished a write removed what the writers killed before it left: at most its own remains.
        // (One killed before finishing any write leaves its file to the next writer that finishes one.)
        if (!Number.isNaN(reported[kind]))
          expect(left, `${kind} temporary files after kill ${kill}`).toBeLessThanOrEqual(1);
      }
    }
    // The test means something only if the writers wrote, and some kills landed inside a write.
    expect(writes).toBeGreaterThan(25);
    expect(killedMidWrite).toBeGreaterThan(0);
    // A final write removes whatever the last writers left.
    saveModel(files.model, WRITER_SPEC, new Float32Array(paramTable(WRITER_SPEC).total));
    saveCheckpoint(files.checkpoint, checkpointOf(0));
    expect(temps(files.model)).toEqual([]);
    expect(temps(files.checkpoint)).toEqual([]);
  });
});

describe('writeFileAtomic', () => {
  afterEach(() => vi.restoreAllMocks());

  it('flushes the file before the rename and the folder after it', () => {
    const file = path.join(dir, 'order.json');
    const calls: string[] = [];
    const fdNames = new Map<number, string>();
    const open = fs.openSync;
    vi.spyOn(fs, 'openSync').mockImplementation((name, ...rest) => {
      const fd = open(name, ...rest);
      fdNames.set(
        fd,
        String(name) === path.dirname(file)
          ? 'folder'
          : path.basename(String(name)).endsWith('.tmp')
            ? 'temp'
            : String(name),
      );
      return fd;
    });
    const fsync = fs.fsyncSync;
    vi.spyOn(fs, 'fsyncSync').mockImplementation((fd) => {
      calls.push(`fsync ${fdNames.get(fd)}`);
      fsync(fd);
    });
    const rename = fs.renameSync;
    vi.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      calls.push(`rename to ${path.basename(String(to))}`);
      rename(from, to);
    });
    writeFileAtomic(file, '{"ok":true}');
    expect(calls).toEqual(['fsync temp', 'rename to order.json', 'fsync folder']);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"ok":true}');
  });

  it('never reads a temporary file as the file, and removes only those of writers that no longer exist', () => {
    const file = path.join(dir, 'stray.safetensors');
    saveModel(file, WRITER_SPEC, new Float32Array(paramTable(WRITER_SPEC).total).fill(3));
    // A writer killed mid-write left half a file; another process, still alive, is writing one of its own.
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const deadTemp = path.join(dir, `.stray.safetensors.${dead}.1700000000000.tmp`);
    const liveTemp = path.join(dir, `.stray.safetensors.${process.ppid}.1700000000000.tmp`);
    fs.writeFileSync(deadTemp, fs.readFileSync(file).subarray(0, 1000));
    fs.writeFileSync(liveTemp, 'partial');
    expect(loadModel(file).params[0]).toBe(3);
    saveModel(file, WRITER_SPEC, new Float32Array(paramTable(WRITER_SPEC).total).fill(4));
    expect(loadModel(file).params[0]).toBe(4);
    expect(fs.existsSync(deadTemp)).toBe(false);
    expect(fs.existsSync(liveTemp)).toBe(true);
  });
});
