/**
 * The activation kernels: activation.wgsl (every hidden activation with dropout, forward and backward; CPU references
 * activationForward, activationBackward, dropout, dropoutBackward). ReLU without dropout runs in the matmul epilogues
 * instead (matmul.wgsl's RELU and MASK).
 */
import type { DropoutConfig } from '../../backend.js';
import { dropoutThreshold } from '../../model/counter-hash.js';
import { ACTIVATIONS, type Activation, LEAKY_SLOPE } from '../../model/spec.js';
import { defineKernel, f32Bits, kindConstants, strided, WORKGROUP, words } from './define.js';

/** Dropout on one hidden layer's output: its settings, and the layer's index (1 for the first). */
export type LayerDropout = DropoutConfig & { layer: number };

/** Output y (in place backward); input x, the pre-activation; the run step (dropout's masks) from the step table.
 * The activation over `count` values, forward or backward, with the dropout of one hidden layer when given. */
export const activation = defineKernel({
  name: 'activation',
  outputs: 1,
  inputs: 1,
  step: true,
  // d.kind: an activation's index in ACTIVATIONS, which the WGSL names RELU, LEAKY_RELU, SIGMOID, TANH, GELU.
  constants: { WORKGROUP, ...kindConstants(ACTIVATIONS) },
  launch: (count: number, kind: Activation, backward: boolean, dropout?: LayerDropout) => {
    // Rate 0 is threshold 0 (keep everything): the kernel then skips the hash.
    const { rate = 0, seed = 0, layer = 0 } = dropout ?? {};
    return {
      dims: words(
        count,
        ACTIVATIONS.indexOf(kind),
        backward ? 1 : 0,
        layer,
        seed,
        dropoutThreshold(rate),
        f32Bits(1 / (1 - rate)),
        f32Bits(LEAKY_SLOPE),
      ),
      groups: strided(count),
    };
  },
});
