/** Arrays for the API's tests: the table tests' colour clusters (string classes) and smooth regression, as rows. */
import { colourRows, smoothRows } from './table-fixtures.js';

/** Three clusters in the plane named by colour, with a constant and a noise column: x [count, 4], y class names. */
export function colours(count: number, seed: number): { x: number[][]; y: string[] } {
  const rows = colourRows(count, seed);
  return { x: rows.map((row) => row.slice(0, 4).map(Number)), y: rows.map((row) => String(row[4])) };
}

/** y = 3a − 2b + ab + 10 over a, b in [−1, 1] (and z = a + 4b², the second target): x [count, 2]. */
export function smooth(count: number, seed: number): { x: number[][]; y: number[]; yz: number[][] } {
  const rows = smoothRows(count, seed);
  return { x: rows.map((r) => [r[0], r[1]]), y: rows.map((r) => r[2]), yz: rows.map((r) => [r[2], r[3]]) };
}
