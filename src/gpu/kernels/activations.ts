/**
 * The activation kernels: activation.wgsl (every hidden activation with dropout, forward and backward; CPU references
 * activationForward, activationBackward, dropout, dropoutBackward). ReLU without dropout runs in the matmul epilogues
 * instead (matmul.wgsl's RELU and MASK).
 */
import { ACTIVATIONS, type Activation, LEAKY_SLOPE } from '../../model/spec.js';
import {
  defineKernel,
  f32Bits,
  kindConstants,
  SOFTWARE_THREADS,
  type Stacked,
  strided,
  WORKGROUP,
  words,
} from './define.js';

/** Output y (in place backward); input x, the pre-activation; the model table (each model's dropout, its run step).
 * The activation over `count` values, forward or backward, with each model's dropout on hidden layer `dropoutLayer`
 * (1 for the first) when given (training steps). */
export const activation = defineKernel({
  name: 'activation',
  outputs: 1,
  inputs: 1,
  models: true,
  step: true,
  // d.kind: an activation's index in ACTIVATIONS, which the WGSL names RELU, LEAKY_RELU, SIGMOID, TANH, GELU.
  constants: { WORKGROUP, ...kindConstants(ACTIVATIONS) },
  softwareConstants: SOFTWARE_THREADS,
  launch: (count: number, kind: Activation, backward: boolean, dropoutLayer?: number, s: Stacked = {}) => ({
    dims: words(
      count,
      ACTIVATIONS.indexOf(kind),
      backward ? 1 : 0,
      dropoutLayer ?? 0,
      dropoutLayer === undefined ? 0 : 1,
      f32Bits(LEAKY_SLOPE),
      s.stride ?? 0,
    ),
    groups: strided(count, s.models),
    gridStride: true,
  }),
});
