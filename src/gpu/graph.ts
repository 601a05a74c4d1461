import type { ParamTable } from '../model/params.js';
import { BIAS, BIAS_GRAD, launch, MASK, RELU, UPDATE } from './kernels.js';
import type { MatmulChoice } from './matmul.js';
import type { DispatchSpec } from './program.js';

/** A labelled byte data set on the GPU, packed 4 bytes to a u32 (see gather.wgsl). */
export interface DataBuffers {
  pixels: GPUBuffer;
  labels: GPUBuffer;
}

/** Everything a training step or an evaluation batch reads or writes; sized for `rows` up to the session's maximum. */
export interface NetBuffers {
  /** [total] the flat parameter vector, laid out by paramTable. (No gradient vector: each layer's weight-gradient
   * matmul applies its SGD update in its epilogue.) */
  params: GPUBuffer;
  /** acts[0]: the gathered input [rows, layers[0]]; acts[l]: layer l's output [rows, layers[l]] (after ReLU, logits last). */
  acts: GPUBuffer[];
  /** deltas[l], l >= 1: the loss gradient with respect to layer l's pre-activation output, [rows, layers[l]]. */
  deltas: GPUBuffer[];
  /** [rows] u32: the gathered batch's labels. */
  batchLabels: GPUBuffer;
  /** [steps per epoch] f32: each training step's mean loss, at slot = step. */
  losses: GPUBuffer;
  /** [evaluation batches] {loss sum, correct}. */
  evalOut: GPUBuffer;
  /** [samples] u32: the epoch's order of the training set. */
  order: GPUBuffer;
  /** [256] f32: byte to normalised input. */
  lut: GPUBuffer;
  train: DataBuffers;
  test: DataBuffers;
}

/**
 * The forward pass on `rows` gathered rows: one nt matmul per layer, with the bias and (for hidden layers) the ReLU
 * in its epilogue. The same order as CpuNetwork.forward.
 */
function forward(table: ParamTable, b: NetBuffers, rows: number, force: MatmulChoice): DispatchSpec[] {
  const last = table.layers.length - 1;
  return table.layers.map(({ inSize, outSize, weight, bias }, l) => ({
    kernel: 'matmul',
    outputs: [b.acts[l + 1]],
    inputs: [b.acts[l], b.params, b.params],
    launch: launch.matmul('nt', {
      m: rows, n: outSize, k: inSize, flags: l < last ? BIAS | RELU : BIAS, bOff: weight.offset, eOff: bias.offset,
      ...force,
    }),
  }));
}

/**
 * One SGD step on a full batch, as CpuNetwork.forward + backward + ops.sgdUpdate: gather, forward, softmax_xent,
 * then per layer from the top the input gradient through the ReLU below (nn matmul with the mask; not for the first
 * layer) and the weight + bias gradient (tn matmul), which subtracts lr · gradient from the layer's parameters in its
 * epilogue. The input gradient comes first because it reads the layer's weight before that update, as the CPU's
 * backward pass does (it finishes every gradient before ops.sgdUpdate). 3·layers + 1 dispatches; the step's start
 * and loss slot come from the step table.
 */
export function trainStep(
  table: ParamTable, b: NetBuffers, rows: number, learningRate: number, force: MatmulChoice = {},
): DispatchSpec[] {
  const { layers } = table;
  const last = layers.length - 1;
  const specs: DispatchSpec[] = [
    gather(table, b, b.train, rows, true),
    ...forward(table, b, rows, force),
    {
      kernel: 'softmax_xent',
      outputs: [b.deltas[last + 1], b.losses],
      inputs: [b.acts[last + 1], b.batchLabels],
      launch: launch.softmaxXent(rows, layers[last].outSize),
    },
  ];
  for (let l = last; l >= 0; l--) {
    const { inSize, outSize, weight, bias } = layers[l];
    if (l > 0) {
      specs.push({
        kernel: 'matmul',
        outputs: [b.deltas[l]],
        inputs: [b.deltas[l + 1], b.params, b.acts[l]],
        launch: launch.matmul('nn', { m: rows, n: inSize, k: outSize, flags: MASK, bOff: weight.offset, ...force }),
      });
    }
    specs.push({
      kernel: 'matmul',
      outputs: [b.params],
      inputs: [b.deltas[l + 1], b.acts[l], b.acts[l]],
      launch: launch.matmul('tn', {
        m: outSize, n: inSize, k: rows, flags: BIAS_GRAD | UPDATE, cOff: weight.offset, eOff: bias.offset,
        lr: learningRate, ...force,
      }),
    });
  }
  return specs;
}

/** One evaluation batch of `rows` test rows: gather (in stored order), forward, argmax_count into the batch's slot. */
export function evalBatch(table: ParamTable, b: NetBuffers, rows: number, force: MatmulChoice = {}): DispatchSpec[] {
  const last = table.layers.length - 1;
  return [
    gather(table, b, b.test, rows, false),
    ...forward(table, b, rows, force),
    {
      kernel: 'argmax_count',
      outputs: [b.evalOut],
      inputs: [b.acts[last + 1], b.batchLabels],
      launch: launch.argmaxCount(rows, table.layers[last].outSize),
    },
  ];
}

function gather(table: ParamTable, b: NetBuffers, set: DataBuffers, rows: number, useOrder: boolean): DispatchSpec {
  return {
    kernel: 'gather',
    outputs: [b.acts[0], b.batchLabels],
    inputs: [set.pixels, set.labels, b.order, b.lut],
    launch: launch.gather(rows, table.layers[0].inSize, useOrder),
  };
}
