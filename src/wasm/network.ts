import { activationBackward, activationForward } from '../cpu/activations.js';
import { dropout, dropoutBackward } from '../cpu/dropout.js';
import { modelLoss } from '../cpu/losses.js';
import { LayeredNetwork, networkLengths } from '../cpu/network.js';
import { paramTable, view } from '../model/params.js';
import type { ModelSpec } from '../model/spec.js';
import { bytesFor, ptr, type WasmKernels } from './kernels.js';

/** Each layer's weights, transposed for the forward pass (floats). */
const transposedLengths = (spec: ModelSpec): number[] =>
  paramTable(spec).layers.map(({ inSize, outSize }) => inSize * outSize);

/**
 * The forward and backward passes of CpuNetwork (src/cpu/network.ts) on the wasm kernels, in the same order and with
 * the same contract: the matmuls, bias, ReLU and the updates in WebAssembly SIMD, split across threads; the loss,
 * dropout's masks and the other activations as the reference computes them, on the same memory (their work grows with
 * the layers' widths, not their products, and keeping them shared keeps their bits the reference's).
 */
export class WasmNetwork extends LayeredNetwork {
  /** Each layer's weights transposed to (in, out), the layout the forward matmul reads along its rows. */
  private readonly transposed: Float32Array[];
  /** Whether the parameters may have changed since the weights were last transposed: after every backward pass. */
  private stale = true;

  /** Bytes of memory a network of `spec` for `maxRows` rows takes. */
  static bytes(spec: ModelSpec, maxRows: number): number {
    return bytesFor([...networkLengths(spec, maxRows), ...transposedLengths(spec)]);
  }

  constructor(
    private readonly kernels: WasmKernels,
    spec: ModelSpec,
    maxRows: number,
  ) {
    super(spec, maxRows, (length) => kernels.floats(length));
    this.transposed = transposedLengths(spec).map((length) => kernels.floats(length));
  }

  protected forwardRows(params: Float32Array, first: number, rows: number): void {
    const { layers } = this.table;
    const { activation } = this.spec;
    const { kernels } = this;
    for (let l = 0; l < layers.length; l++) {
      const { inSize, outSize, weight, bias } = layers[l];
      const hidden = l + 1 < layers.length;
      const z = (hidden ? this.pre[l + 1] : this.acts[l + 1]).subarray(first * outSize);
      const wt = this.transposed[l];
      if (this.stale) kernels.run('transpose', [ptr(wt), ptr(view(params, weight)), outSize, inSize], inSize * outSize);
      const x = this.acts[l].subarray(first * inSize);
      kernels.matmul(z, x, wt, view(params, bias), { m: rows, n: outSize, k: inSize, rs: inSize, ps: 1 });
      if (hidden) {
        const out = this.acts[l + 1].subarray(first * outSize);
        const count = rows * outSize;
        if (activation === 'relu') kernels.run('relu', [ptr(out), ptr(z), count], count);
        else activationForward(activation, out, z, count);
        const d = this.lastDropout;
        if (d) dropout(out, out, d.seed, d.step, l + 1, d.rate, count);
      }
    }
    this.stale = false;
  }

  backward(params: Float32Array, labels: Uint32Array | Float32Array, rows: number): number {
    const { layers } = this.table;
    const { kernels } = this;
    const last = layers.length - 1;
    // The optimiser updates the parameters next: the forward pass after it transposes them again.
    this.stale = true;
    const loss = modelLoss(this.spec, this.deltas[last + 1], this.acts[last + 1], labels, rows, layers[last].outSize);
    const d = this.lastDropout;
    for (let l = last; l >= 0; l--) {
      const { inSize, outSize, weight, bias } = layers[l];
      const delta = this.deltas[l + 1];
      const gradW = { m: outSize, n: inSize, k: rows, rs: 1, ps: outSize };
      kernels.matmul(view(this.grads, weight), delta, this.acts[l], null, gradW);
      kernels.run('column_sum', [ptr(view(this.grads, bias)), ptr(delta), rows, outSize], rows * outSize);
      if (l > 0) {
        const below = this.deltas[l];
        const count = rows * inSize;
        const dims = { m: rows, n: inSize, k: outSize, rs: outSize, ps: 1 };
        kernels.matmul(below, delta, view(params, weight), null, dims);
        if (d) dropoutBackward(below, below, d.seed, d.step, l, d.rate, count);
        if (this.spec.activation === 'relu')
          kernels.run('relu_backward', [ptr(below), ptr(below), ptr(this.pre[l]), count], count);
        else activationBackward(this.spec.activation, below, below, this.pre[l], count);
      }
    }
    return loss;
  }
}
