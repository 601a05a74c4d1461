import { expect } from 'vitest';
import type { Dataset } from '../src/backend.js';
import { Rng } from '../src/model/rng.js';

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
export function randomDataset(rng: Rng, count: number, features: number): Dataset {
  return {
    pixels: Uint8Array.from({ length: count * features }, () => rng.below(256)),
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

/**
 * Asserts |actual - expected| <= atol + rtol·|expected| elementwise. On failure the message names the worst element,
 * the first few mismatches and the largest absolute and relative errors, so a wrong index shows at once.
 * NaN never passes.
 */
export function expectClose(
  actual: ArrayLike<number>, expected: ArrayLike<number>, { atol, rtol }: Tolerance, label = 'values',
): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const mismatches: string[] = [];
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
      if (mismatches.length < 5) mismatches.push(`[${i}] got ${a}, want ${e}`);
    }
  }
  if (count > 0) {
    const message =
      `${label}: ${count} of ${expected.length} outside atol ${atol} + rtol ${rtol}; ` +
      `worst [${worst}] got ${actual[worst]}, want ${expected[worst]}; ` +
      `max abs err ${maxAbs.toExponential(2)}, max rel err ${maxRel.toExponential(2)}; first: ${mismatches.join('; ')}`;
    expect.fail(message);
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
