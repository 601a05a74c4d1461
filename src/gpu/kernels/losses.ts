/**
 * The loss kernels, one workgroup each, its threads' sums reduced in a fixed order: softmax_cross_entropy, mse_onehot
 * and mse_targets (a training batch's loss and output gradient; CPU softmaxCrossEntropy, mseOneHot, mseTargets) and
 * argmax_count (an evaluation batch's correct count and loss sum; CPU argmaxCount and modelLoss).
 */
import { LOSSES, type Loss, type Task } from '../../model/spec.js';
import { defineKernel, f32Bits, kindConstants, words } from './define.js';

const ONE_WORKGROUP: [number, number, number] = [1, 1, 1];

/** A training loss: outputs the outputs' gradient and the loss slots; inputs the outputs, the labels (or targets);
 * the loss slot from the step table. */
const lossKernel = <Name extends string, Args extends unknown[]>(name: Name, dims: (...args: Args) => number[]) =>
  defineKernel({
    name,
    outputs: 2,
    inputs: 2,
    step: true,
    launch: (...args: Args) => ({ dims: words(...dims(...args)), groups: ONE_WORKGROUP }),
  });

/** `smoothing` is the label smoothing ε (ModelSpec.labelSmoothing). */
export const softmaxCrossEntropy = lossKernel(
  'softmax_cross_entropy',
  (rows: number, classes: number, smoothing?: number) => [rows, classes, f32Bits(smoothing ?? 0)],
);

/** For a model trained with the MSE loss against one-hot labels. */
export const mseOnehot = lossKernel('mse_onehot', (rows: number, classes: number) => [rows, classes]);

/** The labels being a regression's target rows. */
export const mseTargets = lossKernel('mse_targets', (rows: number, outputs: number) => [rows, outputs]);

/** argmax_count.wgsl's d.loss: the index of each loss against class labels, then mse against a regression's targets. */
const LOSS_KINDS = [...LOSSES, 'mse-targets'] as const;

/**
 * Output the evaluation slots {loss sum, correct}; inputs logits, labels (or targets); the slot from the step table.
 */
export const argmaxCount = defineKernel({
  name: 'argmax_count',
  outputs: 1,
  inputs: 2,
  step: true,
  constants: kindConstants(LOSS_KINDS),
  launch: (rows: number, classes: number, loss: Loss, task: Task, smoothing?: number) => ({
    dims: words(
      rows,
      classes,
      LOSS_KINDS.indexOf(task === 'regression' ? 'mse-targets' : loss),
      f32Bits(smoothing ?? 0),
    ),
    groups: ONE_WORKGROUP,
  }),
});
