/** Seeded tables for the CLI's table tests, written as CSV files. */
import fs from 'node:fs';
import { Rng } from '../src/model/rng.js';

/** Rows of cells as CSV text with a header row. */
export const csv = (header: string[], rows: (string | number)[][]) =>
  `${[header, ...rows].map((row) => row.join(',')).join('\n')}\n`;

export function writeCsv(file: string, header: string[], rows: (string | number)[][]): string {
  fs.writeFileSync(file, csv(header, rows));
  return file;
}

/** Three clusters in the plane named by colour (sorted: blue, green, red), with a constant and a noise column. */
export function colourRows(count: number, seed: number): (string | number)[][] {
  const rng = new Rng(seed);
  const centres: [string, number, number][] = [
    ['red', 2, 1],
    ['green', -1, 2],
    ['blue', 0, -2],
  ];
  return Array.from({ length: count }, (_, i) => {
    const [name, cx, cy] = centres[i % 3];
    const x = cx + rng.uniform(-1.2, 1.2);
    const y = cy + rng.uniform(-1.2, 1.2);
    return [x.toFixed(4), (10 * y).toFixed(3), 7, rng.uniform(-1, 1).toFixed(3), name];
  });
}
export const COLOUR_HEADER = ['x', 'y', 'constant', 'noise', 'colour'];

/** A smooth, noise-free target of two features, y = 3a − 2b + ab + 10 over a, b in [−1, 1]; and b's twin target. */
export function smoothRows(count: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const a = rng.uniform(-1, 1);
    const b = rng.uniform(-1, 1);
    return [
      Number(a.toFixed(5)),
      Number(b.toFixed(5)),
      Number((3 * a - 2 * b + a * b + 10).toFixed(5)),
      Number((a + 4 * b * b).toFixed(5)),
    ];
  });
}
export const SMOOTH_HEADER = ['a', 'b', 'y', 'z'];
