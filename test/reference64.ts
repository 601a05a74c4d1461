/**
 * Float64 definitions for the tests of the CPU reference, written independently of src/: the activations (with an
 * erf accurate to ~1e-15), the losses, a whole MLP forward pass, and central differences.
 */
import { dropoutHash, dropoutThreshold } from '../src/model/counter-hash.js';
import type { ParamTable } from '../src/model/params.js';
import type { Activation, Loss } from '../src/model/spec.js';

/**
 * erf to about 1e-15: the Taylor series below 3 (its largest term there is ~3e3, so cancellation costs ~1e-13 at
 * worst), Laplace's continued fraction for erfc above (60 terms, converged far below 1e-16 for x >= 3).
 */
export function erf64(x: number): number {
  const z = Math.abs(x);
  let r: number;
  if (z < 3) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 200; n++) {
      term *= (-z * z) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-18) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let f = z;
    for (let k = 60; k >= 1; k--) f = z + k / 2 / f;
    r = 1 - Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}

/** nn.LeakyReLU's negative_slope 0.01 as the float32 that a float32 tensor is multiplied by. */
export const LEAKY = Math.fround(0.01);

/** The activations by their textbook definitions. */
export function activation64(kind: Activation, x: number): number {
  switch (kind) {
    case 'relu':
      return x > 0 ? x : 0;
    case 'leaky-relu':
      return x > 0 ? x : LEAKY * x;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'tanh':
      return Math.tanh(x);
    case 'gelu':
      return 0.5 * x * (1 + erf64(x / Math.SQRT2));
  }
}

/** A loss by name, or 'mse-targets': a regression's mse, whose labels are target rows [rows, classes]. */
export type Loss64 = Loss | 'mse-targets';

/** Mean loss over a batch of outputs [rows, classes]. */
export function loss64(
  kind: Loss64,
  out: ArrayLike<number>,
  labels: ArrayLike<number>,
  rows: number,
  classes: number,
): number {
  let total = 0;
  if (kind === 'mse-targets') {
    for (let i = 0; i < rows * classes; i++) total += (out[i] - labels[i]) ** 2;
    return total / (rows * classes);
  }
  for (let r = 0; r < rows; r++) {
    if (kind === 'mse') {
      for (let c = 0; c < classes; c++) total += (out[r * classes + c] - (c === labels[r] ? 1 : 0)) ** 2;
    } else {
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, out[r * classes + c]);
      let sumExp = 0;
      for (let c = 0; c < classes; c++) sumExp += Math.exp(out[r * classes + c] - max);
      total += max + Math.log(sumExp) - out[r * classes + labels[r]];
    }
  }
  return kind === 'mse' ? total / (rows * classes) : total / rows;
}

/**
 * The MLP's mean loss in float64, with inverted dropout on hidden layers when given (the mask read from the hash
 * under test, a fixed choice as far as the gradient is concerned), and the smallest |pre-activation| (how far the
 * batch is from a kink of relu or leaky relu).
 */
export function network64(
  table: ParamTable,
  kind: Activation,
  lossKind: Loss64,
  params: ArrayLike<number>,
  x: ArrayLike<number>,
  labels: ArrayLike<number>,
  rows: number,
  drop?: { rate: number; seed: number; step: number },
): { loss: number; margin: number } {
  let act: ArrayLike<number> = x;
  let margin = Infinity;
  const { layers } = table;
  for (let l = 0; l < layers.length; l++) {
    const { inSize, outSize, weight, bias } = layers[l];
    const z = new Float64Array(rows * outSize);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outSize; o++) {
        let sum = params[bias.offset + o];
        for (let i = 0; i < inSize; i++) sum += act[r * inSize + i] * params[weight.offset + o * inSize + i];
        z[r * outSize + o] = sum;
      }
    }
    if (l + 1 < layers.length) {
      for (let i = 0; i < z.length; i++) {
        margin = Math.min(margin, Math.abs(z[i]));
        z[i] = activation64(kind, z[i]);
        if (drop) {
          const kept = dropoutHash(drop.seed, drop.step, l + 1, i) >= dropoutThreshold(drop.rate);
          z[i] = kept ? z[i] / (1 - drop.rate) : 0;
        }
      }
    }
    act = z;
  }
  return { loss: loss64(lossKind, act, labels, rows, layers[layers.length - 1].outSize), margin };
}

/** Central differences of loss() with respect to every element of theta (changed in place and restored). */
export function centralDifferences(theta: Float64Array, loss: () => number, h: number): Float64Array {
  const grad = new Float64Array(theta.length);
  for (let i = 0; i < theta.length; i++) {
    const saved = theta[i];
    theta[i] = saved + h;
    const plus = loss();
    theta[i] = saved - h;
    const minus = loss();
    theta[i] = saved;
    grad[i] = (plus - minus) / (2 * h);
  }
  return grad;
}

export const maxAbs = (values: ArrayLike<number>): number => {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]));
  return max;
};
