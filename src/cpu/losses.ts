/**
 * Losses of the CPU reference on the last layer's outputs, each returning the batch's mean loss and, when the
 * gradient array is given, writing d(loss)/d(outputs). Softmax-cross-entropy itself lives in ops.ts beside the
 * kernels that came first.
 */
import type { Loss } from '../model/spec.js';
import { softmaxCrossEntropy } from './ops.js';

/**
 * Mean squared error against one-hot targets, PyTorch's nn.MSELoss() (reduction 'mean', over every element):
 * loss = Σ (out − onehot(label))² / (rows · classes), gradient 2 · (out − onehot) / (rows · classes).
 * dOut, out: [rows, classes]; labels: [rows]. Kernel: shaders/mse_onehot.wgsl.
 */
export function mseOneHot(
  dOut: Float32Array | null, out: Float32Array, labels: Uint32Array, rows: number, classes: number,
): number {
  const n = rows * classes;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const row = r * classes;
    const label = labels[r];
    for (let c = 0; c < classes; c++) {
      const diff = out[row + c] - (c === label ? 1 : 0);
      total += diff * diff;
      if (dOut) dOut[row + c] = (2 * diff) / n;
    }
  }
  return total / n;
}

/** The loss a spec names: mean over the batch, gradient into dOut when given. */
export function lossForward(
  kind: Loss, dOut: Float32Array | null, out: Float32Array, labels: Uint32Array, rows: number, classes: number,
): number {
  return kind === 'mse'
    ? mseOneHot(dOut, out, labels, rows, classes)
    : softmaxCrossEntropy(dOut, out, labels, rows, classes);
}
