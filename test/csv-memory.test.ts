/** A CSV file's table estimated from its size and first lines, and refused before reading where memory is short. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { estimateTable, SAMPLE_BYTES } from '../src/data/csv-memory.js';
import { Rng } from '../src/model/rng.js';
import { readCsvFile } from '../src/node.js';
import { expectUserError } from './user-error.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-memory-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));

/** A table of `rows` rows of `columns` random numbers of varying length, as text. */
function tableText(rng: Rng, rows: number, columns: number): string {
  const header = Array.from({ length: columns }, (_, c) => `c${c}`).join(',');
  const lines = Array.from({ length: rows }, () =>
    Array.from({ length: columns }, () => rng.uniform(-100, 100).toFixed(Math.floor(rng.next() * 7))).join(','),
  );
  return `${header}\n${lines.join('\n')}\n`;
}

describe('a CSV table estimated from its first lines', () => {
  it('has its rows within 3% and its columns exactly, from a sample of its start', () => {
    const rng = new Rng(4);
    for (const [rows, columns] of [
      [40_000, 9],
      [9_000, 29],
      [120_000, 3],
    ]) {
      const bytes = new TextEncoder().encode(tableText(rng, rows, columns));
      const estimate = estimateTable(bytes.subarray(0, SAMPLE_BYTES), bytes.length)!;
      expect(estimate.columns).toBe(columns);
      expect(Math.abs(estimate.rows - rows) / rows).toBeLessThan(0.03);
      expect(estimate.bytes).toBe(estimate.rows * columns * 4);
    }
    expect(estimateTable(new TextEncoder().encode('a,b\n1,'), 1000)).toBeUndefined();
  });

  it('refuses, before reading, a file whose table needs more memory than is available, naming both', async () => {
    const file = path.join(dir, 'big.csv');
    fs.writeFileSync(file, tableText(new Rng(5), 20_000, 10));
    // 20,000 rows x 10 columns as float32 is 800 kB; reading it takes 1.25 times that, training 2.5 times.
    const progress: number[] = [];
    const read = (availableMemory: number, memoryFactor?: number) =>
      readCsvFile(file, { availableMemory, memoryFactor, onProgress: (bytes) => progress.push(bytes) });
    const error = await expectUserError(
      () => read(2 ** 20, 2.5),
      /^.*big\.csv: its table \(about (19|20),\d{3} rows x 10 columns\) needs about 1\.\d MB of memory, more than the 1\.0 MB available: free memory, or use fewer rows \(split the file\) or columns$/,
      undefined,
    );
    expect(error.message).not.toContain('\n');
    expect(progress).toEqual([]);
    expect(read(2 ** 20).cells.rows).toBe(20_000);
    expect(progress.at(-1)).toBe(fs.statSync(file).size);
  });
});
