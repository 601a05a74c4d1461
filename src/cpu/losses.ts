/**
 * The losses of the CPU reference, on the last layer's outputs against the labels (class indices) or a regression's
 * targets: the reference of shaders/softmax_cross_entropy.wgsl, shaders/mse_onehot.wgsl, shaders/mse_targets.wgsl
 * and shaders/argmax_count.wgsl. Each loss returns the batch's mean loss and, when the gradient array is given,
 * writes d(loss)/d(outputs). Matrices are row-major.
 */
import type { ModelSpec } from '../model/spec.js';

/**
 * Fused softmax and cross-entropy over a batch, with label smoothing ε (nn.CrossEntropyLoss(label_smoothing=ε)): the
 * target is (1 − ε)·onehot(label) + ε / classes, so a row's loss is (1 − ε)·(−log p_label) + ε·mean_c(−log p_c);
 * the gradient is (softmax − target) / rows. Subtracting each row's maximum keeps exp() finite for any logits.
 * dLogits and logits are (rows, classes), labels is (rows). Kernel: shaders/softmax_cross_entropy.wgsl.
 */
export function softmaxCrossEntropy(
  dLogits: Float32Array | null,
  logits: Float32Array,
  labels: Uint32Array,
  rows: number,
  classes: number,
  smoothing = 0,
): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const row = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[row + c]);
    let sumExp = 0;
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      sumExp += Math.exp(logits[row + c] - max);
      sum += logits[row + c] - max;
    }
    const label = labels[r];
    // −log p_c = log(sumExp) − (z_c − max): the target's weights sum to 1, so the loss is log(sumExp) less their z.
    total += Math.log(sumExp) - ((1 - smoothing) * (logits[row + label] - max) + smoothing * (sum / classes));
    if (dLogits) {
      for (let c = 0; c < classes; c++) {
        const p = Math.exp(logits[row + c] - max) / sumExp;
        dLogits[row + c] = (p - ((1 - smoothing) * (c === label ? 1 : 0) + smoothing / classes)) / rows;
      }
    }
  }
  return total / rows;
}

/**
 * Mean squared error over n elements, PyTorch's nn.MSELoss() (reduction 'mean'): loss = Σ (out − target)² / n,
 * gradient 2 · (out − target) / n.
 */
function meanSquaredError(dOut: Float32Array | null, out: Float32Array, target: (i: number) => number, n: number) {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const diff = out[i] - target(i);
    total += diff * diff;
    if (dOut) dOut[i] = (2 * diff) / n;
  }
  return total / n;
}

/**
 * MSE against one-hot targets (1 at the label): dOut and out are (rows, classes), labels is (rows).
 * Kernel: shaders/mse_onehot.wgsl.
 */
export function mseOneHot(
  dOut: Float32Array | null,
  out: Float32Array,
  labels: Uint32Array,
  rows: number,
  classes: number,
): number {
  return meanSquaredError(dOut, out, (i) => (i % classes === labels[Math.floor(i / classes)] ? 1 : 0), rows * classes);
}

/** MSE against a regression's targets: dOut, out and targets are (rows, outputs). Kernel: shaders/mse_targets.wgsl. */
export function mseTargets(
  dOut: Float32Array | null,
  out: Float32Array,
  targets: Float32Array,
  rows: number,
  outputs: number,
): number {
  return meanSquaredError(dOut, out, (i) => targets[i], rows * outputs);
}

/**
 * The loss a model trains and evaluates with: its loss against the class labels (softmax-cross-entropy with its
 * smoothing, or mse against one-hot targets), or mse against the target rows (regression). labels is (rows) or
 * (rows, outputs).
 */
export function modelLoss(
  spec: Pick<ModelSpec, 'task' | 'loss' | 'labelSmoothing'>,
  dOut: Float32Array | null,
  out: Float32Array,
  labels: Uint32Array | Float32Array,
  rows: number,
  outputs: number,
): number {
  if (spec.task === 'regression') {
    if (!(labels instanceof Float32Array)) throw new Error('a regression loss needs float32 target rows');
    return mseTargets(dOut, out, labels, rows, outputs);
  }
  if (!(labels instanceof Uint32Array)) throw new Error('a classification loss needs u32 class labels');
  return spec.loss === 'mse'
    ? mseOneHot(dOut, out, labels, rows, outputs)
    : softmaxCrossEntropy(dOut, out, labels, rows, outputs, spec.labelSmoothing ?? 0);
}

/**
 * How many rows have their largest output at the label, the first maximum winning a tie. logits is (rows, classes),
 * labels is (rows). Kernel: shaders/argmax_count.wgsl, which also sums the batch's loss (modelLoss · rows; for a
 * regression model only that).
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
