import { paramTable, view, type ParamTable } from '../model/params.js';
import type { ModelSpec } from '../model/spec.js';
import * as ops from './ops.js';

/**
 * Forward and backward passes of the whole MLP on the CPU, composed from the reference ops in the same order the GPU
 * records its dispatches. Activations and gradients are allocated once for a maximum batch and reused.
 */
export class CpuNetwork {
  readonly table: ParamTable;
  /** The flat gradient vector, laid out like the parameters. */
  readonly grads: Float32Array;
  /** acts[0] is the input batch, acts[l] the output of layer l (after ReLU for hidden layers, logits for the last). */
  private readonly acts: Float32Array[];
  /** Gradient of the loss with respect to each layer's pre-activation output. */
  private readonly deltas: Float32Array[];

  constructor(readonly spec: ModelSpec, readonly maxRows: number) {
    this.table = paramTable(spec);
    this.grads = new Float32Array(this.table.total);
    this.acts = spec.layers.map((width) => new Float32Array(maxRows * width));
    this.deltas = spec.layers.map((width) => new Float32Array(maxRows * width));
  }

  /** The input batch [maxRows, layers[0]] that forward() reads: fill its first rows·inSize values. */
  get input(): Float32Array {
    return this.acts[0];
  }

  /** Runs the forward pass on the first `rows` rows of `input`; returns the logits [rows, classes] (a view). */
  forward(params: Float32Array, rows: number): Float32Array {
    const { layers } = this.table;
    for (let l = 0; l < layers.length; l++) {
      const { inSize, outSize, weight, bias } = layers[l];
      const out = this.acts[l + 1];
      ops.matmulNT(out, this.acts[l], view(params, weight), rows, outSize, inSize);
      ops.biasAdd(out, view(params, bias), rows, outSize);
      if (l + 1 < layers.length) ops.relu(out, out, rows * outSize);
    }
    return this.acts[layers.length].subarray(0, rows * layers[layers.length - 1].outSize);
  }

  /**
   * After forward(): the mean loss of the batch, with the gradient of every parameter written into `grads`.
   */
  backward(params: Float32Array, labels: Uint32Array, rows: number): number {
    const { layers } = this.table;
    const last = layers.length - 1;
    const loss = ops.softmaxCrossEntropy(this.deltas[last + 1], this.acts[last + 1], labels, rows, layers[last].outSize);
    for (let l = last; l >= 0; l--) {
      const { inSize, outSize, weight, bias } = layers[l];
      const delta = this.deltas[l + 1];
      ops.matmulTN(view(this.grads, weight), delta, this.acts[l], outSize, inSize, rows);
      ops.columnSum(view(this.grads, bias), delta, rows, outSize);
      if (l > 0) {
        // Gradient through the layer, then through the ReLU that produced its input.
        const below = this.deltas[l];
        ops.matmulNN(below, delta, view(params, weight), rows, inSize, outSize);
        ops.reluBackward(below, below, this.acts[l], rows * inSize);
      }
    }
    return loss;
  }
}
