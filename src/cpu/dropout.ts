/**
 * Inverted dropout on a hidden layer's output at training time, in the CPU reference: the reference of the dropout
 * step of shaders/activation.wgsl. Each element is kept with probability 1 − rate and scaled by 1 / (1 − rate), so
 * the expected value is unchanged and evaluation uses the plain network. Which elements are kept is decided by
 * dropoutHash(seed, step, layer, index) (src/model/counter-hash.ts), a pure function, so the backward pass recomputes
 * the mask instead of storing it, exactly as a GPU kernel would.
 * x, y, dy, dx: [rows, width] row-major, count = rows · width; index is the element's position in that array.
 */
import { dropoutHash, dropoutThreshold } from '../model/counter-hash.js';

/**
 * y = x · keep / (1 − rate) (y may be x). layer: the hidden layer's index, 1 for the first.
 * Kernel: shaders/activation.wgsl (after the activation).
 */
export function dropout(
  y: Float32Array,
  x: Float32Array,
  seed: number,
  step: number,
  layer: number,
  rate: number,
  count: number,
): void {
  const threshold = dropoutThreshold(rate);
  const scale = 1 / (1 - rate);
  for (let i = 0; i < count; i++) y[i] = dropoutHash(seed, step, layer, i) >= threshold ? x[i] * scale : 0;
}

/**
 * dx = dy · keep / (1 − rate), with the mask of the same (seed, step, layer): the same linear map as the forward.
 * Kernel: shaders/activation.wgsl (before the activation's backward).
 */
export const dropoutBackward = dropout;
