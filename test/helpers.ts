import { expect } from 'vitest';
import type { ImageDataset } from '../src/backend.js';
import { type ParamTable, view } from '../src/model/params.js';
import type { Rng } from '../src/model/rng.js';

/** Fresh random floats in [low, high) from a seeded generator. */
export function randomArray(rng: Rng, length: number, low = -1, high = 1): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniform(low, high);
  return out;
}

/** Random class labels in [0, classes). */
export function randomLabels(rng: Rng, length: number, classes: number): Uint32Array {
  const out = new Uint32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.below(classes);
  return out;
}

/** A random labelled byte data set of `count` samples: pixels 0..255, labels 0..9. */
export function randomDataset(rng: Rng, count: number, features: number): ImageDataset {
  return {
    inputs: Uint8Array.from({ length: count * features }, () => rng.below(256)),
    labels: Uint8Array.from({ length: count }, () => rng.below(10)),
    count,
    features,
  };
}

export interface Tolerance {
  /** Absolute part: matters for values near zero. */
  atol: number;
  /** Relative part, times |expected|. */
  rtol: number;
}

/** How two arrays differ under a tolerance: what expectClose and expectTensorsClose report. */
interface Differences {
  /** Elements outside the tolerance (NaN always is). */
  count: number;
  /** The index furthest outside the tolerance (or nearest to it, when none is outside). */
  worst: number;
  maxAbs: number;
  maxRel: number;
  /** The first few elements outside the tolerance, as "[i] got a, want e". */
  first: string[];
}

function differences(actual: ArrayLike<number>, expected: ArrayLike<number>, { atol, rtol }: Tolerance): Differences {
  const first: string[] = [];
  let count = 0;
  let worst = -1;
  let worstExcess = -Infinity;
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const err = Math.abs(a - e);
    const allowed = atol + rtol * Math.abs(e);
    const excess = Number.isNaN(err) ? Infinity : err - allowed;
    if (!Number.isNaN(err)) {
      maxAbs = Math.max(maxAbs, err);
      if (e !== 0) maxRel = Math.max(maxRel, err / Math.abs(e));
    }
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
    if (excess > 0) {
      count++;
      if (first.length < 5) first.push(`[${i}] got ${a}, want ${e}`);
    }
  }
  return { count, worst, maxAbs, maxRel, first };
}

const describeDifferences = (d: Differences, actual: ArrayLike<number>, expected: ArrayLike<number>): string =>
  `worst [${d.worst}] got ${actual[d.worst]}, want ${expected[d.worst]}; ` +
  `max abs err ${d.maxAbs.toExponential(2)}, max rel err ${d.maxRel.toExponential(2)}; first: ${d.first.join('; ')}`;

/**
 * Asserts |actual - expected| <= atol + rtol·|expected| elementwise. On failure the message names the worst element,
 * the first few mismatches and the largest absolute and relative errors, so a wrong index shows at once.
 * NaN never passes.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  label = 'values',
): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const d = differences(actual, expected, tol);
  if (d.count > 0) {
    expect.fail(
      `${label}: ${d.count} of ${expected.length} outside atol ${tol.atol} + rtol ${tol.rtol}; ` +
        describeDifferences(d, actual, expected),
    );
  }
}

export interface TensorTolerance {
  /** The bound on ‖got − want‖ / ‖want‖ of each tensor. */
  relative: number;
  /** Also every element within this, as expectClose checks. */
  elementwise?: Tolerance;
}

/**
 * A parameter vector (or an optimiser slot laid out like one) against the reference, one tensor at a time: each
 * weight and bias within `relative` as a whole, and with `elementwise` element by element too. A failure names the
 * tensor and, as expectClose does, its worst element, its first mismatches (elements outside `elementwise`, or
 * outside rtol `relative` without it) and its largest errors.
 */
export function expectTensorsClose(
  table: ParamTable,
  got: Float32Array,
  want: Float32Array,
  tol: TensorTolerance,
  label: string,
): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  for (const entry of table.entries) {
    const [actual, expected] = [view(got, entry), view(want, entry)];
    const error = relativeError(actual, expected);
    if (!(error < tol.relative)) {
      const d = differences(actual, expected, tol.elementwise ?? { atol: 0, rtol: tol.relative });
      expect.fail(
        `${label} ${entry.name}: relative error ${error.toExponential(2)}, not below ${tol.relative}; ` +
          describeDifferences(d, actual, expected),
      );
    }
    if (tol.elementwise) expectClose(actual, expected, tol.elementwise, `${label} ${entry.name}`);
  }
}

/** ‖a − b‖ / ‖b‖ over whole arrays: one number for a whole tensor or parameter vector. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i] - expected[i]) ** 2;
    norm += expected[i] ** 2;
  }
  return Math.sqrt(diff) / Math.sqrt(norm);
}
