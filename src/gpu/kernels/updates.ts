/**
 * The optimisers' updates over the flat parameter vector, one dispatch each: sgd_update.wgsl, momentum_update.wgsl,
 * adam_update.wgsl and rmsprop_update.wgsl (CPU references sgdUpdate, momentumUpdate, adamUpdate, rmspropUpdate).
 * Their settings go in the Dims; the step's rate and per-step values come from the step table (optimizerStepValues).
 */
import { adamBiasCorrection, type OptimizerConfig } from '../../model/optimizer.js';
import { defineKernel, f32Bits, strided, WORKGROUP, words } from './define.js';

/** Output params; input grads. */
export const sgdUpdate = defineKernel({
  name: 'sgd_update',
  outputs: 1,
  inputs: 1,
  step: true,
  constants: { WORKGROUP },
  launch: (count: number, weightDecay: number) => ({
    dims: words(count, f32Bits(weightDecay)),
    groups: strided(count),
  }),
});

/** Outputs params, the momentum buffer; input grads. */
export const momentumUpdate = defineKernel({
  name: 'momentum_update',
  outputs: 2,
  inputs: 1,
  step: true,
  constants: { WORKGROUP },
  launch: (count: number, o: OptimizerConfig) => ({
    dims: words(
      count,
      f32Bits(o.momentum),
      f32Bits(1 - o.dampening),
      f32Bits(o.weightDecay),
      o.name === 'nesterov' ? 1 : 0,
    ),
    groups: strided(count),
  }),
});

/** Outputs params, the first and second moments; input grads. */
export const adamUpdate = defineKernel({
  name: 'adam_update',
  outputs: 3,
  inputs: 1,
  step: true,
  constants: { WORKGROUP },
  launch: (count: number, o: OptimizerConfig) => ({
    dims: words(
      count,
      f32Bits(o.beta1),
      f32Bits(o.beta2),
      f32Bits(1 - o.beta1),
      f32Bits(1 - o.beta2),
      f32Bits(o.eps),
      f32Bits(o.name === 'adamw' ? 0 : o.weightDecay),
    ),
    groups: strided(count),
  }),
});

/**
 * Outputs params, the square average, the momentum buffer, the gradient average (a one-float stand-in for a slot
 * that this run does not keep: see the WGSL header); input grads.
 */
export const rmspropUpdate = defineKernel({
  name: 'rmsprop_update',
  outputs: 4,
  inputs: 1,
  step: true,
  constants: { WORKGROUP },
  launch: (count: number, o: OptimizerConfig) => ({
    dims: words(
      count,
      f32Bits(o.alpha),
      f32Bits(1 - o.alpha),
      f32Bits(o.eps),
      f32Bits(o.weightDecay),
      f32Bits(o.momentum),
      o.centered ? 1 : 0,
    ),
    groups: strided(count),
  }),
});

/**
 * The optimiser's values of one step-table entry (Step.opt) for run step `run` (0-based) at rate `lr`: computed on
 * the CPU in float64 as PyTorch computes its host scalars, rounded to f32 once when the table is written. Only
 * adam_update reads them: [step_size = lr / (1 − β1^t), bc2_sqrt = √(1 − β2^t), decay = 1 − lr · wd for
 * AdamW (1 for Adam), 0] with t = run + 1. The other optimisers need no more than the entry's run and lr.
 */
export function optimizerStepValues(o: OptimizerConfig, lr: number, run: number): number[] {
  if (o.name !== 'adam' && o.name !== 'adamw') return [];
  const { stepSize, bc2Sqrt } = adamBiasCorrection(lr, o.beta1, o.beta2, run + 1);
  return [stepSize, bc2Sqrt, o.name === 'adamw' ? 1 - lr * o.weightDecay : 1, 0];
}
