import type { DropoutConfig } from '../backend.js';
import type { OptimizerConfig } from '../model/optimizer.js';
import type { LayerParams, ParamTable } from '../model/params.js';
import type { Schedule } from '../model/schedule.js';
import type { Activation, Loss, Task } from '../model/spec.js';
import type { LayerDropout } from './kernels/activations.js';
import { BIAS, BIAS_GRAD, MASK, RELU, UPDATE } from './kernels/matmul.js';
import { type KernelName, type Launch, launch } from './kernels.js';
import type { MatmulChoice } from './matmul-variants.js';

/** One dispatch as a layer describes it: which kernel, on which buffers (CPU argument order), with which sizes. */
export interface DispatchSpec {
  kernel: KernelName;
  outputs: GPUBuffer[];
  inputs: GPUBuffer[];
  launch: Launch;
}

/**
 * A labelled data set on the GPU: byte images with byte labels, packed 4 bytes to a u32 (gathered by gather.wgsl),
 * or float32 inputs with 32-bit label words (gather_floats.wgsl).
 */
export interface DataBuffers {
  bytes: boolean;
  inputs: GPUBuffer;
  labels: GPUBuffer;
}

/** Everything a training step or an evaluation batch reads or writes; sized for `rows` up to the session's maximum. */
export interface NetBuffers {
  /** [total] the flat parameter vector, laid out by paramTable. */
  params: GPUBuffer;
  /** [total] the gradient vector, laid out like params, for an optimiser dispatch; absent when the update is fused
   * into the weight-gradient matmuls (see UpdateRule), which then need no gradient vector. */
  grads?: GPUBuffer;
  /** One [total] buffer per slot of optimizerSlots(optimizer), laid out like params (none for plain SGD). */
  optState: GPUBuffer[];
  /**
   * RMSprop's kernel binds every slot it may keep: a one-float stand-in for each this run does not (never accessed).
   */
  unusedSlots: GPUBuffer[];
  /** acts[0]: the gathered input [rows, layers[0]]; acts[l]: layer l's output [rows, layers[l]] (after the activation
   * and dropout, logits last). */
  acts: GPUBuffer[];
  /** pre[l], hidden layers l only: layer l's output before its activation [rows, layers[l]], which the activation
   * kernel reads, forward and backward. Empty when every hidden layer runs the fused ReLU (see fusedRelu). */
  pre: GPUBuffer[];
  /** deltas[l], l >= 1: the loss gradient with respect to layer l's pre-activation output, [rows, layers[l]]. */
  deltas: GPUBuffer[];
  /** [rows] u32: the gathered batch's labels; for regression [rows, outputs] f32, its targets. */
  batchLabels: GPUBuffer;
  /** [steps per epoch] f32: each training step's mean loss, at slot = step. */
  losses: GPUBuffer;
  /** [evaluation batches of the test set, then of the validation set, then of the training set] {loss sum, correct}. */
  evalOut: GPUBuffer;
  /** [samples] u32: the epoch's order of the training set. */
  order: GPUBuffer;
  /** [256] f32: byte to normalised input. */
  lut: GPUBuffer;
  train: DataBuffers;
  test?: DataBuffers;
  val?: DataBuffers;
}

/** What the graph needs of the model beyond its parameter table. */
export interface NetConfig {
  activation: Activation;
  loss: Loss;
  /** softmax-cross-entropy's label smoothing (ModelSpec.labelSmoothing). */
  labelSmoothing?: number;
  /** A regression model learns mse against target rows (mse_targets), a classifier its loss against labels. */
  task: Task;
  /** Dropout on the hidden layers' outputs in training steps (none at evaluation). */
  dropout?: DropoutConfig;
}

/**
 * Whether the hidden layers of a training step (or, with training false, of an evaluation) run ReLU in the matmul
 * epilogues, RELU forward and MASK backward: the fastest path, which needs no pre-activation. Any other activation,
 * or dropout, runs the activation kernel after the forward matmul and after the input-gradient matmul instead.
 */
export function fusedRelu(net: NetConfig, training: boolean): boolean {
  return net.activation === 'relu' && !(training && (net.dropout?.rate ?? 0) > 0);
}

/** The dropout of hidden layer `layer` in a training step, if any. */
function layerDropout(net: NetConfig, training: boolean, layer: number): LayerDropout | undefined {
  const { rate = 0, seed = 0 } = net.dropout ?? {};
  return training && rate > 0 ? { rate, seed, layer } : undefined;
}

/**
 * How a training step updates the parameters:
 * - fused: plain SGD at a constant rate without weight decay. Each layer's weight-gradient matmul subtracts
 *   lr · gradient from the layer's parameters in its epilogue (lr in its Dims): no gradient vector, no extra dispatch.
 * - optimizer: everything else. The weight-gradient matmuls write the gradient vector, and one dispatch of the
 *   optimiser's kernel (sgd_update, momentum_update, adam_update, rmsprop_update) updates every parameter after the
 *   backward pass, with the step's rate and values from the step table.
 */
export type UpdateRule = { kind: 'fused'; lr: number } | { kind: 'optimizer'; optimizer: OptimizerConfig };

export function updateRule(optimizer: OptimizerConfig, schedule: Schedule, learningRate: number): UpdateRule {
  const fused = optimizer.name === 'sgd' && optimizer.weightDecay === 0 && schedule.name === 'constant';
  return fused ? { kind: 'fused', lr: learningRate } : { kind: 'optimizer', optimizer };
}

/**
 * The forward pass on `rows` gathered rows: one nt matmul per layer with the bias in its epilogue, and for hidden
 * layers either ReLU in the same epilogue (fusedRelu) or the activation kernel (with dropout when training) reading
 * the pre-activation the matmul wrote. The same order as CpuNetwork.forward.
 */
function forward(
  table: ParamTable,
  net: NetConfig,
  b: NetBuffers,
  rows: number,
  force: MatmulChoice,
  training: boolean,
): DispatchSpec[] {
  const last = table.layers.length - 1;
  const fused = fusedRelu(net, training);
  return table.layers.flatMap(({ inSize, outSize, weight, bias }, l): DispatchSpec[] => {
    const hidden = l < last;
    const out = hidden && !fused ? b.pre[l + 1] : b.acts[l + 1];
    const matmul: DispatchSpec = {
      kernel: 'matmul',
      outputs: [out],
      inputs: [b.acts[l], b.params, b.params],
      launch: launch.matmul('nt', {
        m: rows,
        n: outSize,
        k: inSize,
        flags: hidden && fused ? BIAS | RELU : BIAS,
        bOff: weight.offset,
        eOff: bias.offset,
        ...force,
      }),
    };
    if (!hidden || fused) return [matmul];
    return [
      matmul,
      {
        kernel: 'activation',
        outputs: [b.acts[l + 1]],
        inputs: [b.pre[l + 1]],
        launch: launch.activation(rows * outSize, net.activation, false, layerDropout(net, training, l + 1)),
      },
    ];
  });
}

/** The loss of a training batch and the gradient of the last layer's outputs, mean loss into the step's slot. */
function lossGradient(table: ParamTable, net: NetConfig, b: NetBuffers, rows: number): DispatchSpec {
  const last = table.layers.length - 1;
  const classes = table.layers[last].outSize;
  const buffers = { outputs: [b.deltas[last + 1], b.losses], inputs: [b.acts[last + 1], b.batchLabels] };
  if (net.task === 'regression') return { kernel: 'mse_targets', ...buffers, launch: launch.mseTargets(rows, classes) };
  return net.loss === 'mse'
    ? { kernel: 'mse_onehot', ...buffers, launch: launch.mseOnehot(rows, classes) }
    : {
        kernel: 'softmax_cross_entropy',
        ...buffers,
        launch: launch.softmaxCrossEntropy(rows, classes, net.labelSmoothing),
      };
}

/**
 * The gradient of the pre-activation of hidden layer l (the input of linear layer l), from that of layer l + 1:
 * the nn matmul through the weight, with ReLU's mask in its epilogue (fusedRelu), or followed by the activation
 * kernel's backward (dropout's mask, then the derivative at the pre-activation), as CpuNetwork.backward.
 */
function inputGradient(
  table: ParamTable,
  net: NetConfig,
  b: NetBuffers,
  rows: number,
  l: number,
  force: MatmulChoice,
): DispatchSpec[] {
  const { inSize, outSize, weight } = table.layers[l];
  const fused = fusedRelu(net, true);
  const matmul: DispatchSpec = {
    kernel: 'matmul',
    outputs: [b.deltas[l]],
    inputs: [b.deltas[l + 1], b.params, b.acts[l]],
    launch: launch.matmul('nn', {
      m: rows,
      n: inSize,
      k: outSize,
      flags: fused ? MASK : 0,
      bOff: weight.offset,
      ...force,
    }),
  };
  if (fused) return [matmul];
  return [
    matmul,
    {
      kernel: 'activation',
      outputs: [b.deltas[l]],
      inputs: [b.pre[l]],
      launch: launch.activation(rows * inSize, net.activation, true, layerDropout(net, true, l)),
    },
  ];
}

/**
 * One training step on a full batch, as CpuNetwork.forward + backward + the optimiser's update: gather (or
 * gather_floats), forward, the loss (softmax_cross_entropy, mse_onehot or mse_targets), then per layer from the top the
 * input gradient through the activation below (inputGradient; not for the first layer) and the weight + bias gradient
 * (weightGradient), then the update (see UpdateRule). Fused, the tn matmul updates the layer's parameters in its
 * epilogue, so the input gradient comes first: it reads the layer's weight before that update, as the CPU's backward
 * pass does (it finishes every gradient before the update). 3·layers + 1 dispatches with fused ReLU and the fused
 * update; 2 more per hidden layer for another activation or dropout, 1 more for the optimiser's dispatch. The step's
 * start, loss slot, run step (dropout's masks), rate and optimiser values come from the step table.
 */
export function trainStep(
  table: ParamTable,
  net: NetConfig,
  b: NetBuffers,
  rows: number,
  update: UpdateRule,
  force: MatmulChoice = {},
): DispatchSpec[] {
  const { layers } = table;
  const last = layers.length - 1;
  const specs: DispatchSpec[] = [
    gather(table, net, b, b.train, rows, true),
    ...forward(table, net, b, rows, force, true),
    lossGradient(table, net, b, rows),
  ];
  for (let l = last; l >= 0; l--) {
    if (l > 0) specs.push(...inputGradient(table, net, b, rows, l, force));
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
  { inSize, outSize, weight, bias }: LayerParams,
  l: number,
  b: NetBuffers,
  rows: number,
  update: UpdateRule,
  force: MatmulChoice,
): DispatchSpec {
  const fused = update.kind === 'fused';
  return {
    kernel: 'matmul',
    outputs: [fused ? b.params : gradients(b)],
    inputs: [b.deltas[l + 1], b.acts[l], b.acts[l]],
    launch: launch.matmul('tn', {
      m: outSize,
      n: inSize,
      k: rows,
      flags: fused ? BIAS_GRAD | UPDATE : BIAS_GRAD,
      cOff: weight.offset,
      eOff: bias.offset,
      lr: fused ? update.lr : 0,
      ...force,
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
      return {
        kernel: 'momentum_update',
        outputs: [b.params, b.optState[0]],
        inputs,
        launch: launch.momentumUpdate(count, o),
      };
    case 'adam':
    case 'adamw':
      return {
        kernel: 'adam_update',
        outputs: [b.params, b.optState[0], b.optState[1]],
        inputs,
        launch: launch.adamUpdate(count, o),
      };
    case 'rmsprop': {
      // The slots in optimizerSlots' order, and a stand-in for each slot that this run does not keep.
      const [squareAvg, ...kept] = b.optState;
      const unused = [...b.unusedSlots];
      const momentumBuffer = (o.momentum > 0 ? kept : unused).shift()!;
      const gradAvg = (o.centered ? kept : unused).shift()!;
      return {
        kernel: 'rmsprop_update',
        outputs: [b.params, squareAvg, momentumBuffer, gradAvg],
        inputs,
        launch: launch.rmspropUpdate(count, o),
      };
    }
  }
}

function gradients(b: NetBuffers): GPUBuffer {
  if (!b.grads) throw new Error('an optimiser dispatch needs the gradient buffer (NetBuffers.grads)');
  return b.grads;
}

/** The last layer's outputs for `rows` rows of `set` from entry.start, in stored order, without dropout. */
export function predictBatch(
  table: ParamTable,
  net: NetConfig,
  b: NetBuffers,
  set: DataBuffers,
  rows: number,
  force: MatmulChoice = {},
): DispatchSpec[] {
  return [gather(table, net, b, set, rows, false), ...forward(table, net, b, rows, force, false)];
}

/** One evaluation batch of `rows` rows of `set` (test or validation): predictBatch, then argmax_count (with the
 * model's loss) into the batch's slot. */
export function evalBatch(
  table: ParamTable,
  net: NetConfig,
  b: NetBuffers,
  set: DataBuffers,
  rows: number,
  force: MatmulChoice = {},
): DispatchSpec[] {
  const last = table.layers.length - 1;
  return [
    ...predictBatch(table, net, b, set, rows, force),
    {
      kernel: 'argmax_count',
      outputs: [b.evalOut],
      inputs: [b.acts[last + 1], b.batchLabels],
      launch: launch.argmaxCount(rows, table.layers[last].outSize, net.loss, net.task, net.labelSmoothing),
    },
  ];
}

/** The batch's inputs and labels: rows from entry.start of the epoch order (training) or of the set as stored. */
function gather(
  table: ParamTable,
  net: NetConfig,
  b: NetBuffers,
  set: DataBuffers,
  rows: number,
  useOrder: boolean,
): DispatchSpec {
  const { layers } = table;
  const features = layers[0].inSize;
  const outputs = [b.acts[0], b.batchLabels];
  if (set.bytes) {
    return {
      kernel: 'gather',
      outputs,
      inputs: [set.inputs, set.labels, b.order, b.lut],
      launch: launch.gather(rows, features, useOrder),
    };
  }
  const labelWidth = net.task === 'regression' ? layers[layers.length - 1].outSize : 1;
  return {
    kernel: 'gather_floats',
    outputs,
    inputs: [set.inputs, set.labels, b.order],
    launch: launch.gatherFloats(rows, features, useOrder, labelWidth),
  };
}
