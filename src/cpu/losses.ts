/**
 * The losses of the CPU reference, on the last layer's outputs against the labels: the reference of
 * shaders/softmax_cross_entropy.wgsl, shaders/mse_onehot.wgsl and shaders/argmax_count.wgsl. Each loss returns the
 * batch's mean loss and, when the gradient array is given, writes d(loss)/d(outputs). Matrices are row-major.
 */
import type { Loss } from '../model/spec.js';

/**
 * Fused softmax and cross-entropy over a batch: returns the mean loss, -mean(log softmax(logits)[label]), and when
 * dLogits is given writes its gradient, (softmax - onehot(label)) / rows. Subtracting each row's maximum keeps exp()
 * finite for any logits. dLogits and logits are (rows, classes), labels is (rows).
 * Kernel: shaders/softmax_cross_entropy.wgsl.
 */
export function softmaxCrossEntropy(
  dLogits: Float32Array | null, logits: Float32Array, labels: Uint32Array, rows: number, classes: number,
): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const row = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[row + c]);
    let sumExp = 0;
    for (let c = 0; c < classes; c++) sumExp += Math.exp(logits[row + c] - max);
    const label = labels[r];
    total += Math.log(sumExp) - (logits[row + label] - max);
    if (dLogits) {
      for (let c = 0; c < classes; c++) {
        const p = Math.exp(logits[row + c] - max) / sumExp;
        dLogits[row + c] = (p - (c === label ? 1 : 0)) / rows;
      }
    }
  }
  return total / rows;
}

/**
 * Mean squared error against one-hot targets, PyTorch's nn.MSELoss() (reduction 'mean', over every element):
 * loss = Σ (out − onehot(label))² / (rows · classes), gradient 2 · (out − onehot) / (rows · classes).
 * dOut and out are (rows, classes), labels is (rows). Kernel: shaders/mse_onehot.wgsl.
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

/**
 * How many rows have their largest output at the label, the first maximum winning a tie. logits is (rows, classes),
 * labels is (rows). Kernel: shaders/argmax_count.wgsl, which also sums the batch's loss (lossForward · rows).
 */
export function argmaxCount(logits: Float32Array, labels: Uint32Array, rows: number, classes: number): number {
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const row = r * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[row + c] > logits[row + best]) best = c;
    if (best === labels[r]) correct++;
  }
  return correct;
}
