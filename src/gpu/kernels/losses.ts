/**
 * The loss kernels, each one workgroup whose threads' sums are reduced in a fixed order: softmax_cross_entropy.wgsl,
 * mse_onehot.wgsl and mse_targets.wgsl (a training batch's loss and output gradient; CPU references
 * softmaxCrossEntropy, mseOneHot, mseTargets) and argmax_count.wgsl (an evaluation batch's correct count and loss
 * sum; argmaxCount and modelLoss).
 */
import type { Loss, Task } from '../../model/spec.js';
import { defineKernel, f32Bits, words } from './define.js';

const ONE_WORKGROUP: [number, number, number] = [1, 1, 1];

/**
 * Outputs the logits' gradient and the loss slots; inputs logits, labels; the loss slot from the step table.
 * `smoothing` is the label smoothing ε (ModelSpec.labelSmoothing).
 */
export const softmaxCrossEntropy = defineKernel({
  name: 'softmax_cross_entropy',
  outputs: 2,
  inputs: 2,
  step: true,
  launch: (rows: number, classes: number, smoothing?: number) => ({
    dims: words(rows, classes, f32Bits(smoothing ?? 0)),
    groups: ONE_WORKGROUP,
  }),
});

/** The same bindings as softmaxCrossEntropy, for a model trained with the MSE loss. */
export const mseOnehot = defineKernel({
  name: 'mse_onehot',
  outputs: 2,
  inputs: 2,
  step: true,
  launch: (rows: number, classes: number) => ({ dims: words(rows, classes), groups: ONE_WORKGROUP }),
});

/** The same bindings as mseOnehot, the labels being a regression's target rows. */
export const mseTargets = defineKernel({
  name: 'mse_targets',
  outputs: 2,
  inputs: 2,
  step: true,
  launch: (rows: number, outputs: number) => ({ dims: words(rows, outputs), groups: ONE_WORKGROUP }),
});

/** argmax_count.wgsl's d.loss: each loss against class labels, and mse against a regression's targets. */
const LOSS_KINDS = { 'softmax-cross-entropy': 0, mse: 1, 'mse-targets': 2 } as const;

/**
 * Output the evaluation slots {loss sum, correct}; inputs logits, labels (or targets); the slot from the step table.
 */
export const argmaxCount = defineKernel({
  name: 'argmax_count',
  outputs: 1,
  inputs: 2,
  step: true,
  constants: {
    SOFTMAX_CROSS_ENTROPY: LOSS_KINDS['softmax-cross-entropy'],
    MSE: LOSS_KINDS.mse,
    MSE_TARGETS: LOSS_KINDS['mse-targets'],
  },
  launch: (rows: number, classes: number, loss: Loss, task: Task, smoothing?: number) => ({
    dims: words(rows, classes, LOSS_KINDS[task === 'regression' ? 'mse-targets' : loss], f32Bits(smoothing ?? 0)),
    groups: ONE_WORKGROUP,
  }),
});
