import type { OptimizerConfig } from '../model/optimizer.js';
import type { LayerParams, ParamTable } from '../model/params.js';
import type { Schedule } from '../model/schedule.js';
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
  /** [total] the flat parameter vector, laid out by paramTable. */
  params: GPUBuffer;
  /** [total] the gradient vector, laid out like params, for an optimiser dispatch; absent when the update is fused
   * into the weight-gradient matmuls (see UpdateRule), which then need no gradient vector. */
  grads?: GPUBuffer;
  /** One [total] buffer per slot of optimizerSlots(name), laid out like params (none for plain SGD). */
  optState: GPUBuffer[];
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
 * How a training step updates the parameters:
 * - fused: plain SGD at a constant rate without weight decay. Each layer's weight-gradient matmul subtracts
 *   lr · gradient from the layer's parameters in its epilogue (lr in its Dims): no gradient vector, no extra dispatch.
 * - optimizer: everything else. The weight-gradient matmuls write the gradient vector, and one dispatch of the
 *   optimiser's kernel (sgd_update, momentum_update, adam_update) updates every parameter after the backward pass,
 *   with the step's rate and values from the step table.
 */
export type UpdateRule = { kind: 'fused'; lr: number } | { kind: 'optimizer'; optimizer: OptimizerConfig };

export function updateRule(optimizer: OptimizerConfig, schedule: Schedule, learningRate: number): UpdateRule {
  const fused = optimizer.name === 'sgd' && optimizer.weightDecay === 0 && schedule.name === 'constant';
  return fused ? { kind: 'fused', lr: learningRate } : { kind: 'optimizer', optimizer };
}

/**
 * One training step on a full batch, as CpuNetwork.forward + backward + the optimiser's update: gather, forward,
 * softmax_xent, then per layer from the top the input gradient through the ReLU below (nn matmul with the mask; not
 * for the first layer) and the weight + bias gradient (tn matmul), then the update (see UpdateRule). Fused, the tn
 * matmul updates the layer's parameters in its epilogue, so the input gradient comes first: it reads the layer's
 * weight before that update, as the CPU's backward pass does (it finishes every gradient before the update).
 * 3·layers + 1 dispatches fused, 3·layers + 2 with the optimiser's dispatch; the step's start, loss slot, rate and
 * optimiser values come from the step table.
 */
export function trainStep(
  table: ParamTable, b: NetBuffers, rows: number, update: UpdateRule, force: MatmulChoice = {},
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
    const { inSize, outSize, weight } = layers[l];
    if (l > 0) {
      specs.push({
        kernel: 'matmul',
        outputs: [b.deltas[l]],
        inputs: [b.deltas[l + 1], b.params, b.acts[l]],
        launch: launch.matmul('nn', { m: rows, n: inSize, k: outSize, flags: MASK, bOff: weight.offset, ...force }),
      });
    }
    specs.push(weightGradient(layers[l], l, b, rows, update, force));
  }
  if (update.kind === 'optimizer') specs.push(optimizerUpdate(table, b, update.optimizer));
  return specs;
}

/**
 * Layer l's weight and bias gradient, dW = dYᵀ · x and db = Σ_rows dY (tn matmul with BIAS_GRAD). Fused, its
 * epilogue subtracts lr · gradient from the layer's parameters; otherwise it writes the gradient into b.grads at
 * the parameters' offsets.
 */
function weightGradient(
  { inSize, outSize, weight, bias }: LayerParams, l: number, b: NetBuffers, rows: number, update: UpdateRule,
  force: MatmulChoice,
): DispatchSpec {
  const fused = update.kind === 'fused';
  return {
    kernel: 'matmul',
    outputs: [fused ? b.params : gradients(b)],
    inputs: [b.deltas[l + 1], b.acts[l], b.acts[l]],
    launch: launch.matmul('tn', {
      m: outSize, n: inSize, k: rows, flags: fused ? BIAS_GRAD | UPDATE : BIAS_GRAD, cOff: weight.offset,
      eOff: bias.offset, lr: fused ? update.lr : 0, ...force,
    }),
  };
}

/** The optimiser's one dispatch over the whole flat parameter vector, after every gradient of the step is written. */
function optimizerUpdate(table: ParamTable, b: NetBuffers, o: OptimizerConfig): DispatchSpec {
  const count = table.total;
  const inputs = [gradients(b)];
  switch (o.name) {
    case 'sgd':
      return { kernel: 'sgd_update', outputs: [b.params], inputs, launch: launch.sgdUpdate(count, o.weightDecay) };
    case 'momentum':
    case 'nesterov':
      return { kernel: 'momentum_update', outputs: [b.params, b.optState[0]], inputs, launch: launch.momentumUpdate(count, o) };
    case 'adam':
    case 'adamw':
      return { kernel: 'adam_update', outputs: [b.params, b.optState[0], b.optState[1]], inputs, launch: launch.adamUpdate(count, o) };
  }
}

function gradients(b: NetBuffers): GPUBuffer {
  if (!b.grads) throw new Error('an optimiser dispatch needs the gradient buffer (NetBuffers.grads)');
  return b.grads;
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
