import type { DropoutConfig } from '../backend.js';
import { type ParamTable, paramTable, view } from '../model/params.js';
import { type ModelSpec, outputSize } from '../model/spec.js';
import { activationBackward, activationForward } from './activations.js';
import { biasAdd, columnSum } from './bias.js';
import { dropout, dropoutBackward } from './dropout.js';
import { modelLoss } from './losses.js';
import { matmulNN, matmulNT, matmulTN } from './matmul.js';

/** Dropout for one training forward pass: its settings, and the run's step count (0-based) that keys its masks. */
export type DropoutStep = DropoutConfig & { step: number };

/** Each array a network of `spec` for `maxRows` rows keeps (floats): activations, pre-activations, deltas, gradient. */
export function networkLengths(spec: ModelSpec, maxRows: number): number[] {
  const last = spec.layers.length - 1;
  return [
    ...spec.layers.map((width) => maxRows * width),
    ...spec.layers.map((width, l) => (l > 0 && l < last ? maxRows * width : 0)),
    ...spec.layers.map((width, l) => (l > 0 ? maxRows * width : 0)),
    paramTable(spec).total,
  ];
}

/**
 * The arrays and the forward pass's bookkeeping of a network, allocated once for a maximum batch and reused: what the
 * reference's network and the wasm backend's share. Each computes the layers with its own kernels.
 */
export abstract class LayeredNetwork {
  readonly table: ParamTable;
  /** The flat gradient vector, laid out like the parameters. */
  readonly grads: Float32Array;
  /**
   * acts[0] is the input batch, acts[l] the input of layer l: the output of hidden layer l after its activation (and
   * dropout, when training with it); acts[layers] the last layer's outputs (logits).
   */
  protected readonly acts: Float32Array[];
  /** pre[l]: hidden layer l's output before its activation, which every activation's backward reads. */
  protected readonly pre: Float32Array[];
  /** Gradient of the loss with respect to each layer's pre-activation output (from layer 1). */
  protected readonly deltas: Float32Array[];
  /** The dropout of the last forward pass, which backward() must repeat. */
  protected lastDropout: DropoutStep | null = null;

  /** `floats` allocates each array, zeroed, in the order networkLengths lists them. */
  constructor(
    readonly spec: ModelSpec,
    readonly maxRows: number,
    floats: (length: number) => Float32Array,
  ) {
    this.table = paramTable(spec);
    const lengths = networkLengths(spec, maxRows);
    const layers = spec.layers.length;
    const arrays = lengths.map((length) => floats(length));
    this.acts = arrays.slice(0, layers);
    this.pre = arrays.slice(layers, 2 * layers);
    this.deltas = arrays.slice(2 * layers, 3 * layers);
    this.grads = arrays[3 * layers];
  }

  /** The input batch [maxRows, layers[0]] that forward() reads: fill its first rows·inSize values. */
  get input(): Float32Array {
    return this.acts[0];
  }

  /**
   * Runs the forward pass on the first `rows` rows of `input`, with dropout on the hidden layers when it is given
   * (training); returns the last layer's outputs [rows, classes] (a view).
   */
  forward(params: Float32Array, rows: number, drop: DropoutStep | null = null): Float32Array {
    this.lastDropout = drop && drop.rate > 0 ? drop : null;
    this.forwardRows(params, 0, rows);
    return this.acts[this.table.layers.length].subarray(0, rows * outputSize(this.spec));
  }

  /**
   * The forward pass without dropout on rows first .. first+rows-1 of `input` only: each row's outputs depend on that
   * row alone, so a batch run in slices gets bitwise the outputs of one pass. Returns the outputs of rows
   * 0 .. first+rows-1 (a view).
   */
  forwardSlice(params: Float32Array, first: number, rows: number): Float32Array {
    this.lastDropout = null;
    this.forwardRows(params, first, rows);
    return this.acts[this.table.layers.length].subarray(0, (first + rows) * outputSize(this.spec));
  }

  protected abstract forwardRows(params: Float32Array, first: number, rows: number): void;

  /**
   * After forward(): the mean loss of the batch against `labels` (class indices [rows], or a regression's targets
   * [rows, outputs]), with the gradient of every parameter written into `grads`.
   */
  abstract backward(params: Float32Array, labels: Uint32Array | Float32Array, rows: number): number;
}

/**
 * Forward and backward passes of the whole MLP on the CPU, composed from the reference ops in the same order the GPU
 * records its dispatches.
 */
export class CpuNetwork extends LayeredNetwork {
  constructor(spec: ModelSpec, maxRows: number) {
    super(spec, maxRows, (length) => new Float32Array(length));
  }

  protected forwardRows(params: Float32Array, first: number, rows: number): void {
    const { layers } = this.table;
    const { activation } = this.spec;
    for (let l = 0; l < layers.length; l++) {
      const { inSize, outSize, weight, bias } = layers[l];
      const hidden = l + 1 < layers.length;
      const z = (hidden ? this.pre[l + 1] : this.acts[l + 1]).subarray(first * outSize);
      matmulNT(z, this.acts[l].subarray(first * inSize), view(params, weight), rows, outSize, inSize);
      biasAdd(z, view(params, bias), rows, outSize);
      if (hidden) {
        const out = this.acts[l + 1].subarray(first * outSize);
        activationForward(activation, out, z, rows * outSize);
        const d = this.lastDropout;
        if (d) dropout(out, out, d.seed, d.step, l + 1, d.rate, rows * outSize);
      }
    }
  }

  backward(params: Float32Array, labels: Uint32Array | Float32Array, rows: number): number {
    const { layers } = this.table;
    const last = layers.length - 1;
    const loss = modelLoss(this.spec, this.deltas[last + 1], this.acts[last + 1], labels, rows, layers[last].outSize);
    const d = this.lastDropout;
    for (let l = last; l >= 0; l--) {
      const { inSize, outSize, weight, bias } = layers[l];
      const delta = this.deltas[l + 1];
      matmulTN(view(this.grads, weight), delta, this.acts[l], outSize, inSize, rows);
      columnSum(view(this.grads, bias), delta, rows, outSize);
      if (l > 0) {
        // Gradient through the layer, then back through the dropout and the activation that produced its input.
        const below = this.deltas[l];
        const count = rows * inSize;
        matmulNN(below, delta, view(params, weight), rows, inSize, outSize);
        if (d) dropoutBackward(below, below, d.seed, d.step, l, d.rate, count);
        activationBackward(this.spec.activation, below, below, this.pre[l], count);
      }
    }
    return loss;
  }
}
