/**
 * The optimisers' updates over the flat parameter vector, one dispatch each: sgd_update.wgsl, momentum_update.wgsl,
 * adam_update.wgsl and rmsprop_update.wgsl (CPU references sgdUpdate, momentumUpdate, adamUpdate, rmspropUpdate).
 * Their settings go in the Dims; the step's rate and per-step values come from the step table (optimizerStepValues).
 */
import { adamBiasCorrection, type OptimizerConfig } from '../../model/optimizer.js';
import { defineKernel, f32Bits, strided, WORKGROUP, words } from './define.js';

/** An optimiser's kernel: outputs params and its state slots, input grads; Dims the count, then its `settings`. */
const updateKernel = <Name extends string, Args extends unknown[]>(
  name: Name,
  outputs: number,
  settings: (...args: Args) => number[],
) =>
  defineKernel({
    name,
    outputs,
    inputs: 1,
    step: true,
    constants: { WORKGROUP },
    launch: (count: number, ...args: Args) => ({ dims: words(count, ...settings(...args)), groups: strided(count) }),
  });

/** Output params. */
export const sgdUpdate = updateKernel('sgd_update', 1, (weightDecay: number) => [f32Bits(weightDecay)]);

/** Outputs params, the momentum buffer. */
export const momentumUpdate = updateKernel('momentum_update', 2, (o: OptimizerConfig) => [
  f32Bits(o.momentum),
  f32Bits(1 - o.dampening),
  f32Bits(o.weightDecay),
  o.name === 'nesterov' ? 1 : 0,
]);

/** Outputs params, the first and second moments. */
export const adamUpdate = updateKernel('adam_update', 3, (o: OptimizerConfig) => [
  f32Bits(o.beta1),
  f32Bits(o.beta2),
  f32Bits(1 - o.beta1),
  f32Bits(1 - o.beta2),
  f32Bits(o.eps),
  f32Bits(o.name === 'adamw' ? 0 : o.weightDecay),
]);

/**
 * Outputs params, the square average, the momentum buffer, the gradient average (a one-float stand-in for a slot
 * that this run does not keep: see the WGSL header).
 */
export const rmspropUpdate = updateKernel('rmsprop_update', 4, (o: OptimizerConfig) => [
  f32Bits(o.alpha),
  f32Bits(1 - o.alpha),
  f32Bits(o.eps),
  f32Bits(o.weightDecay),
  f32Bits(o.momentum),
  o.centered ? 1 : 0,
]);

/**
 * The optimiser's values of one step-table entry (Step.opt) for run step `run` (0-based) at rate `lr`, in float64 as
 * PyTorch computes its host scalars, rounded to f32 once. Only adam_update reads them: [lr / (1 − β1^t),
 * √(1 − β2^t), 1 − lr · wd for AdamW (1 for Adam), 0] with t = run + 1.
 */
export function optimizerStepValues(o: OptimizerConfig, lr: number, run: number): number[] {
  if (o.name !== 'adam' && o.name !== 'adamw') return [];
  const { stepSize, bc2Sqrt } = adamBiasCorrection(lr, o.beta1, o.beta2, run + 1);
  return [stepSize, bc2Sqrt, o.name === 'adamw' ? 1 - lr * o.weightDecay : 1, 0];
}
