/**
 * The loss kernels, one workgroup each, its threads' sums reduced in a fixed order: softmax_cross_entropy, mse_onehot
 * and mse_targets (a training batch's loss and output gradient; CPU softmaxCrossEntropy, mseOneHot, mseTargets) and
 * argmax_count (an evaluation batch's correct count and loss sum; CPU argmaxCount and modelLoss).
 */
import { LOSSES, type Loss, type Task } from '../../model/spec.js';
import { defineKernel, f32Bits, kindConstants, SOFTWARE_THREADS, WORKGROUP, words } from './define.js';

/** One workgroup per model. */
const perModel = (models: number): [number, number, number] => [1, 1, models];

/** Each model's block of the outputs (and their gradient) and of the labels (0: shared), in elements. */
export interface LossStrides {
  models: number;
  outputs: number;
  labels: number;
}

const ONE: LossStrides = { models: 1, outputs: 0, labels: 0 };

/** A training loss: outputs the outputs' gradient and the loss slots; inputs the outputs, the labels (or targets);
 * the loss slot from the step table, each model's active flag from the model table. */
const lossKernel = <Name extends string>(name: Name, smoothed: boolean) =>
  defineKernel({
    name,
    outputs: 2,
    inputs: 2,
    models: true,
    step: true,
    constants: { WORKGROUP },
    softwareConstants: SOFTWARE_THREADS,
    launch: (rows: number, classes: number, smoothing?: number, s: LossStrides = ONE) => ({
      dims: words(rows, classes, ...(smoothed ? [f32Bits(smoothing ?? 0)] : []), s.outputs, s.labels),
      groups: perModel(s.models),
    }),
  });

/** `smoothing` is the label smoothing ε (ModelSpec.labelSmoothing). */
export const softmaxCrossEntropy = lossKernel('softmax_cross_entropy', true);

/** For a model trained with the MSE loss against one-hot labels (no smoothing: pass 0). */
export const mseOnehot = lossKernel('mse_onehot', false);

/** The labels being a regression's target rows, `classes` its outputs (no smoothing: pass 0). */
export const mseTargets = lossKernel('mse_targets', false);

/** argmax_count.wgsl's d.loss: the index of each loss against class labels, then mse against a regression's targets. */
const LOSS_KINDS = [...LOSSES, 'mse-targets'] as const;

/**
 * Output the evaluation slots {loss sum, correct}; inputs logits, labels (or targets); the slot from the step table.
 */
export const argmaxCount = defineKernel({
  name: 'argmax_count',
  outputs: 1,
  inputs: 2,
  models: true,
  step: true,
  constants: { WORKGROUP, ...kindConstants(LOSS_KINDS) },
  softwareConstants: SOFTWARE_THREADS,
  launch: (rows: number, classes: number, loss: Loss, task: Task, smoothing?: number, s: LossStrides = ONE) => ({
    dims: words(
      rows,
      classes,
      LOSS_KINDS.indexOf(task === 'regression' ? 'mse-targets' : loss),
      f32Bits(smoothing ?? 0),
      s.outputs,
      s.labels,
    ),
    groups: perModel(s.models),
  }),
});
