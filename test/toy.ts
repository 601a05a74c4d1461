import type { Dataset } from '../src/backend.js';
import { Rng } from '../src/model/rng.js';

/**
 * A learnable toy set: 16 byte features, the label is which quarter of the features holds
 * the brightest sum.
 */
export function toyDataset(seed: number, count: number): Dataset {
  const rng = new Rng(seed);
  const features = 16;
  const pixels = new Uint8Array(count * features);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    let bestSum = -1;
    for (let q = 0; q < 4; q++) {
      let sum = 0;
      for (let f = 0; f < 4; f++) {
        const v = rng.below(256);
        pixels[i * features + q * 4 + f] = v;
        sum += v;
      }
      if (sum > bestSum) [best, bestSum] = [q, sum];
    }
    labels[i] = best;
  }
  return { inputs: pixels, labels, count, features };
}
