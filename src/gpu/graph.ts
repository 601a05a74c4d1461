/**
 * What a step is: the dispatches of one training step, evaluation batch or prediction batch, as kernels on the
 * session's buffers, in the order the CPU reference (src/cpu/network.ts) runs its operations.
 */
import type { DropoutConfig } from '../backend.js';
import type { OptimizerConfig } from '../model/optimizer.js';
import type { ParamTable } from '../model/params.js';
import type { Schedule } from '../model/schedule.js';
import type { ModelSpec } from '../model/spec.js';
import { BIAS, BIAS_GRAD, MASK, type MatmulArgs, RELU, UPDATE } from './kernels/matmul.js';
import { type KernelName, type Launch, launch } from './kernels.js';
import type { MatmulChoice, MatmulForm } from './matmul-variants.js';

/** One dispatch as a layer describes it: which kernel, on which buffers (CPU argument order), with which sizes. */
export interface DispatchSpec {
  kernel: KernelName;
  outputs: GPUBuffer[];
  inputs: GPUBuffer[];
  launch: Launch;
}

/** A labelled set on the GPU: bytes (read by gather.wgsl), or float32 inputs and u32 labels (gather_floats.wgsl). */
export interface DataBuffers {
  bytes: boolean;
  inputs: GPUBuffer;
  labels: GPUBuffer;
}

/** Everything a training step or an evaluation batch reads or writes; sized for `rows` up to the session's maximum. */
export interface NetBuffers {
  /** [total] the flat parameter vector, laid out by paramTable. */
  params: GPUBuffer;
  /** [total] the gradient vector, laid out like params; absent when the update is fused (see UpdateRule). */
  grads?: GPUBuffer;
  /** One [total] buffer per slot of optimizerSlots(optimizer), laid out like params (none for plain SGD). */
  optState: GPUBuffer[];
  /** RMSprop's kernel binds every slot it may keep: a one-float stand-in for each this run does not. */
  unusedSlots: GPUBuffer[];
  /** acts[0]: the gathered input; acts[l]: layer l's output [rows, layers[l]] after activation and dropout. */
  acts: GPUBuffer[];
  /** pre[l], hidden layers only: layer l's output before the activation kernel; empty with fused ReLU (fusedRelu). */
  pre: GPUBuffer[];
  /** deltas[l], l >= 1: the loss gradient with respect to layer l's pre-activation output, [rows, layers[l]]. */
  deltas: GPUBuffer[];
  /** [rows] u32: the gathered batch's labels; for regression [rows, outputs] f32, its targets. */
  batchLabels: GPUBuffer;
  /** [steps per epoch] f32: each training step's mean loss, at slot = step. */
  losses: GPUBuffer;
  /** {loss sum, correct} per evaluation batch: the test set's, then the validation set's, then the training set's. */
  evalOut: GPUBuffer;
  /** [samples] u32: the epoch's order of the training set. */
  order: GPUBuffer;
  /** [256] f32: byte to normalised input. */
  lut: GPUBuffer;
  train: DataBuffers;
  test?: DataBuffers;
  val?: DataBuffers;
}

/**
 * What the graph needs of the model beyond its parameter table: its activation, loss (with label smoothing) and task,
 * and the dropout on the hidden layers' outputs in training steps (none at evaluation).
 */
export type NetConfig = Pick<ModelSpec, 'activation' | 'loss' | 'labelSmoothing' | 'task'> & {
  dropout?: DropoutConfig;
};

/**
 * Whether the hidden layers of a training step (or, with training false, of an evaluation) run ReLU in the matmul
 * epilogues, RELU forward and MASK backward: the fastest path, which needs no pre-activation. Any other activation,
 * or dropout, runs the activation kernel after the forward matmul and after the input-gradient matmul instead.
 */
export function fusedRelu(net: NetConfig, training: boolean): boolean {
  return net.activation === 'relu' && !(training && (net.dropout?.rate ?? 0) > 0);
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
 * The dispatches of one model on its buffers, every matmul with the variant its shape picks (or `force`'s).
 */
export class NetGraph {
  constructor(
    private readonly table: ParamTable,
    private readonly net: NetConfig,
    private readonly b: NetBuffers,
    private readonly force: MatmulChoice = {},
  ) {}

  /**
   * One training step on a full batch, as CpuNetwork.forward + backward + the optimiser's update: gather, forward,
   * the loss, then per layer from the top the input gradient through the activation below (not for the first layer)
   * and the weight + bias gradient, then the update (see UpdateRule). Fused, the tn matmul updates the layer's
   * parameters in its epilogue, so the input gradient comes first: it reads the weight before that update, as the
   * CPU does. 3·layers + 1 dispatches with fused ReLU and the fused update; 2 more per hidden layer for another
   * activation or dropout, 1 more for the optimiser's dispatch. The step's start, loss slot, run step (dropout's
   * masks), rate and optimiser values come from the step table.
   */
  trainStep(rows: number, update: UpdateRule): DispatchSpec[] {
    const specs = [this.gather(this.b.train, rows, true), ...this.forward(rows, true), this.lossGradient(rows)];
    for (let l = this.table.layers.length - 1; l >= 0; l--) {
      if (l > 0) specs.push(...this.inputGradient(rows, l));
      specs.push(this.weightGradient(l, rows, update));
    }
    if (update.kind === 'optimizer') specs.push(this.optimizerUpdate(update.optimizer));
    return specs;
  }

  /** The last layer's outputs for `rows` rows of `set` from entry.start, in stored order, without dropout. */
  predictBatch(set: DataBuffers, rows: number): DispatchSpec[] {
    return [this.gather(set, rows, false), ...this.forward(rows, false)];
  }

  /** One evaluation batch of `set`: predictBatch, then argmax_count (with the model's loss) into the batch's slot. */
  evalBatch(set: DataBuffers, rows: number): DispatchSpec[] {
    const { table, net, b } = this;
    const last = table.layers.length - 1;
    return [
      ...this.predictBatch(set, rows),
      {
        kernel: 'argmax_count',
        outputs: [b.evalOut],
        inputs: [b.acts[last + 1], b.batchLabels],
        launch: launch.argmaxCount(rows, table.layers[last].outSize, net.loss, net.task, net.labelSmoothing),
      },
    ];
  }

  /**
   * The forward pass on `rows` gathered rows: one nt matmul per layer with the bias in its epilogue, and for hidden
   * layers either ReLU in the same epilogue (fusedRelu) or the activation kernel (with dropout when training) reading
   * the pre-activation the matmul wrote. The same order as CpuNetwork.forward.
   */
  private forward(rows: number, training: boolean): DispatchSpec[] {
    const { table, net, b } = this;
    const last = table.layers.length - 1;
    const fused = fusedRelu(net, training);
    return table.layers.flatMap(({ inSize, outSize, weight, bias }, l): DispatchSpec[] => {
      const hidden = l < last;
      const output = hidden && !fused ? b.pre[l + 1] : b.acts[l + 1];
      const matmul = this.matmul('nt', output, [b.acts[l], b.params, b.params], {
        m: rows,
        n: outSize,
        k: inSize,
        flags: hidden && fused ? BIAS | RELU : BIAS,
        bOff: weight.offset,
        eOff: bias.offset,
      });
      return !hidden || fused ? [matmul] : [matmul, this.activation(rows * outSize, l + 1, training, false)];
    });
  }

  /** The activation kernel on hidden layer `layer`: forward from pre into acts, or backward in place in deltas. */
  private activation(count: number, layer: number, training: boolean, backward: boolean): DispatchSpec {
    const { net, b } = this;
    const { rate = 0, seed = 0 } = net.dropout ?? {};
    const dropout = training && rate > 0 ? { rate, seed, layer } : undefined;
    return {
      kernel: 'activation',
      outputs: [backward ? b.deltas[layer] : b.acts[layer]],
      inputs: [b.pre[layer]],
      launch: launch.activation(count, net.activation, backward, dropout),
    };
  }

  /** The loss of a training batch and the gradient of the last layer's outputs, mean loss into the step's slot. */
  private lossGradient(rows: number): DispatchSpec {
    const { table, net, b } = this;
    const last = table.layers.length - 1;
    const classes = table.layers[last].outSize;
    const buffers = { outputs: [b.deltas[last + 1], b.losses], inputs: [b.acts[last + 1], b.batchLabels] };
    if (net.task === 'regression')
      return { kernel: 'mse_targets', ...buffers, launch: launch.mseTargets(rows, classes) };
    if (net.loss === 'mse') return { kernel: 'mse_onehot', ...buffers, launch: launch.mseOnehot(rows, classes) };
    const smoothed = launch.softmaxCrossEntropy(rows, classes, net.labelSmoothing);
    return { kernel: 'softmax_cross_entropy', ...buffers, launch: smoothed };
  }

  /**
   * The gradient of the pre-activation of hidden layer l (the input of linear layer l), from that of layer l + 1:
   * the nn matmul through the weight, with ReLU's mask in its epilogue (fusedRelu), or followed by the activation
   * kernel's backward (dropout's mask, then the derivative at the pre-activation), as CpuNetwork.backward.
   */
  private inputGradient(rows: number, l: number): DispatchSpec[] {
    const { inSize, outSize, weight } = this.table.layers[l];
    const { b } = this;
    const fused = fusedRelu(this.net, true);
    const matmul = this.matmul('nn', b.deltas[l], [b.deltas[l + 1], b.params, b.acts[l]], {
      m: rows,
      n: inSize,
      k: outSize,
      flags: fused ? MASK : 0,
      bOff: weight.offset,
    });
    return fused ? [matmul] : [matmul, this.activation(rows * inSize, l, true, true)];
  }

  /**
   * Layer l's weight and bias gradient, dW = dYᵀ · x and db = Σ_rows dY (tn matmul with BIAS_GRAD). Fused, its
   * epilogue subtracts lr · gradient from the layer's parameters; otherwise it writes the gradient into b.grads at
   * the parameters' offsets.
   */
  private weightGradient(l: number, rows: number, update: UpdateRule): DispatchSpec {
    const { inSize, outSize, weight, bias } = this.table.layers[l];
    const { b } = this;
    const fused = update.kind === 'fused';
    return this.matmul('tn', fused ? b.params : this.gradients(), [b.deltas[l + 1], b.acts[l], b.acts[l]], {
      m: outSize,
      n: inSize,
      k: rows,
      flags: fused ? BIAS_GRAD | UPDATE : BIAS_GRAD,
      cOff: weight.offset,
      eOff: bias.offset,
      lr: fused ? update.lr : 0,
    });
  }

  /** A matmul into `output` from inputs a, b and the epilogue operand, its variant picked by shape unless forced. */
  private matmul(form: MatmulForm, output: GPUBuffer, inputs: GPUBuffer[], args: MatmulArgs): DispatchSpec {
    return { kernel: 'matmul', outputs: [output], inputs, launch: launch.matmul(form, { ...args, ...this.force }) };
  }

  /** The optimiser's one dispatch over the whole flat parameter vector, after every gradient of the step. */
  private optimizerUpdate(o: OptimizerConfig): DispatchSpec {
    const { b } = this;
    const count = this.table.total;
    const inputs = [this.gradients()];
    switch (o.name) {
      case 'sgd':
        return { kernel: 'sgd_update', outputs: [b.params], inputs, launch: launch.sgdUpdate(count, o.weightDecay) };
      case 'momentum':
      case 'nesterov': {
        const momentum = launch.momentumUpdate(count, o);
        return { kernel: 'momentum_update', outputs: [b.params, b.optState[0]], inputs, launch: momentum };
      }
      case 'adam':
      case 'adamw': {
        const adam = launch.adamUpdate(count, o);
        return { kernel: 'adam_update', outputs: [b.params, b.optState[0], b.optState[1]], inputs, launch: adam };
      }
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

  private gradients(): GPUBuffer {
    if (!this.b.grads) throw new Error('an optimiser dispatch needs the gradient buffer (NetBuffers.grads)');
    return this.b.grads;
  }

  /** The batch's inputs and labels: rows from entry.start of the epoch order (training) or of the set as stored. */
  private gather(set: DataBuffers, rows: number, useOrder: boolean): DispatchSpec {
    const { layers } = this.table;
    const { b } = this;
    const features = layers[0].inSize;
    const outputs = [b.acts[0], b.batchLabels];
    if (set.bytes) {
      const inputs = [set.inputs, set.labels, b.order, b.lut];
      return { kernel: 'gather', outputs, inputs, launch: launch.gather(rows, features, useOrder) };
    }
    const labelWidth = this.net.task === 'regression' ? layers[layers.length - 1].outSize : 1;
    return {
      kernel: 'gather_floats',
      outputs,
      inputs: [set.inputs, set.labels, b.order],
      launch: launch.gatherFloats(rows, features, useOrder, labelWidth),
    };
  }
}
