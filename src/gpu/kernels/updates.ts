/**
 * The optimisers' updates over the flat parameter vector, one dispatch each: sgd_update.wgsl, momentum_update.wgsl,
 * adam_update.wgsl and rmsprop_update.wgsl (CPU references sgdUpdate, momentumUpdate, adamUpdate, rmspropUpdate).
 * Each model's settings (optimizerSettings) and its step's rate and values (optimizerStepValues) come from the model
 * table (src/gpu/tables.ts); the Dims hold only the count and each model's stride.
 */
import { adamBiasCorrection, type OptimizerConfig } from '../../model/optimizer.js';
import { defineKernel, SOFTWARE_THREADS, type Stacked, strided, WORKGROUP, words } from './define.js';

/** An optimiser's kernel: outputs params and its state slots, input grads; Dims the count and the model stride. */
const updateKernel = <Name extends string>(name: Name, outputs: number) =>
  defineKernel({
    name,
    outputs,
    inputs: 1,
    models: true,
    step: true,
    constants: { WORKGROUP },
    softwareConstants: SOFTWARE_THREADS,
    launch: (count: number, s: Stacked = {}) => ({
      dims: words(count, s.stride ?? 0),
      groups: strided(count, s.models),
      gridStride: true,
    }),
  });

/** Output params. */
export const sgdUpdate = updateKernel('sgd_update', 1);

/** Outputs params, the momentum buffer. */
export const momentumUpdate = updateKernel('momentum_update', 2);

/** Outputs params, the first and second moments. */
export const adamUpdate = updateKernel('adam_update', 3);

/**
 * Outputs params, the square average, the momentum buffer, the gradient average (a one-float stand-in for a slot
 * that no model of the dispatch keeps: see the WGSL header).
 */
export const rmspropUpdate = updateKernel('rmsprop_update', 4);

/**
 * A model's constant settings as its optimiser's kernel reads them (Model.settings in the WGSL headers), differences
 * such as 1 − β computed here in float64 and rounded to f32 once.
 */
export function optimizerSettings(o: OptimizerConfig): number[] {
  switch (o.name) {
    case 'sgd':
      return [o.weightDecay];
    case 'momentum':
    case 'nesterov':
      return [o.momentum, 1 - o.dampening, o.weightDecay, o.name === 'nesterov' ? 1 : 0];
    case 'adam':
    case 'adamw':
      return [o.beta1, o.beta2, 1 - o.beta1, 1 - o.beta2, o.eps, o.name === 'adamw' ? 0 : o.weightDecay];
    case 'rmsprop':
      return [o.alpha, 1 - o.alpha, o.eps, o.weightDecay, o.momentum, o.centered ? 1 : 0];
  }
}

/**
 * The optimiser's values of one model-table row (Model.opt) for run step `run` (0-based) at rate `lr`, in float64 as
 * PyTorch computes its host scalars, rounded to f32 once. Only adam_update reads them: [lr / (1 − β1^t),
 * √(1 − β2^t), 1 − lr · wd for AdamW (1 for Adam), 0] with t = run + 1.
 */
export function optimizerStepValues(o: OptimizerConfig, lr: number, run: number): number[] {
  if (o.name !== 'adam' && o.name !== 'adamw') return [];
  const { stepSize, bc2Sqrt } = adamBiasCorrection(lr, o.beta1, o.beta2, run + 1);
  return [stepSize, bc2Sqrt, o.name === 'adamw' ? 1 - lr * o.weightDecay : 1, 0];
}
