/**
 * What a step is: the dispatches of one training step, evaluation batch or prediction batch of all K models of a
 * session at once (workgroup z is the model), as kernels on the session's stacked buffers, in the order the CPU
 * reference (src/cpu/network.ts) runs its operations. A session of K models records as many dispatches as one.
 */
import type { OptimizerConfig } from '../model/optimizer.js';
import type { ParamTable } from '../model/params.js';
import type { ModelSpec } from '../model/spec.js';
import type { ShardRows } from './kernels/gather.js';
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

/**
 * A labelled set on the GPU: bytes (read by gather.wgsl), or float32 inputs and u32 labels (gather_floats.wgsl), in
 * shards of whole rows, one shard unless the set exceeds a storage binding (see uploadSet).
 */
export interface DataBuffers {
  bytes: boolean;
  shards: DataShard[];
}

/** Rows [first, first + count) of a set: their inputs and their labels, each buffer from the shard's first row. */
export interface DataShard extends ShardRows {
  inputs: GPUBuffer;
  labels: GPUBuffer;
}

/**
 * A set as the models evaluate it: the data, and where each model reads its own rows of it, [K, stride] row
 * indices (k-fold's rows of the training set); without `rows` every model reads the set as stored, and its batch is
 * gathered once for all of them.
 */
export interface EvalSource {
  data: DataBuffers;
  rows?: { indices: GPUBuffer; stride: number };
}

/**
 * How the K models lie in the stacked buffers: each buffer holds one block per model, one model's block `stride`
 * elements after the previous one's, every block a whole number of vec4 (see plan.ts).
 */
export interface Layout {
  models: number;
  /** Elements per model of params, grads and each optimiser slot: the parameter count padded to a multiple of 4. */
  params: number;
  /** Per layer, elements per model of acts[l], pre[l] and deltas[l]: maxRows · width, padded. */
  acts: number[];
  /** Elements per model of batchLabels. */
  labels: number;
  /** Elements per model of the epoch order. */
  order: number;
}

/** Everything a training step or an evaluation batch reads or writes; sized for `rows` up to the session's maximum. */
export interface NetBuffers {
  /** [K, params] the flat parameter vectors, each laid out by paramTable. */
  params: GPUBuffer;
  /** [K, params] the gradient vectors, laid out like params; absent when the update is fused (see UpdateRule). */
  grads?: GPUBuffer;
  /** One [K, params] buffer per slot of the plan's slots, laid out like params (none for plain SGD). */
  optState: GPUBuffer[];
  /** RMSprop's kernel binds every slot it may keep: a one-float stand-in for each this run does not. */
  unusedSlots: GPUBuffer[];
  /** acts[0]: the gathered input; acts[l]: layer l's output [K, rows, layers[l]] after activation and dropout. */
  acts: GPUBuffer[];
  /** pre[l], hidden layers only: layer l's output before the activation kernel; empty with fused ReLU (fusedRelu). */
  pre: GPUBuffer[];
  /** deltas[l], l >= 1: the loss gradient with respect to layer l's pre-activation output, [K, rows, layers[l]]. */
  deltas: GPUBuffer[];
  /** [K, rows] u32: the gathered batch's labels; for regression [K, rows, outputs] f32, its targets. */
  batchLabels: GPUBuffer;
  /** [steps per epoch, K] f32: each training step's mean loss, at slot · K + model. */
  losses: GPUBuffer;
  /** [slots, K] {loss sum, correct}: the test set's batches, then the validation set's, then the training set's. */
  evalOut: GPUBuffer;
  /** [K, order] u32: each model's epoch order, rows of the training set. */
  order: GPUBuffer;
  /** [256] f32: byte to normalised input. */
  lut: GPUBuffer;
  train: DataBuffers;
  /** The sets as evaluate() reads them (the training set with each model's rows where any model has its own). */
  evals: Partial<Record<'test' | 'val' | 'train', EvalSource>>;
}

/**
 * What the graph needs of the models beyond their parameter table: their activation, loss (with label smoothing) and
 * task, and whether any model drops out on the hidden layers' outputs in training steps (each model's rate is in the
 * model table; none at evaluation).
 */
export type NetConfig = Pick<ModelSpec, 'activation' | 'loss' | 'labelSmoothing' | 'task'> & { dropout: boolean };

/**
 * Whether the hidden layers of a training step (or, with training false, of an evaluation) run ReLU in the matmul
 * epilogues, RELU forward and MASK backward: the fastest path, which needs no pre-activation. Any other activation,
 * or dropout in any model, runs the activation kernel after the forward matmul and after the input-gradient matmul
 * instead (a model of rate 0 there computes exactly what the fused epilogues would).
 */
export function fusedRelu(net: NetConfig, training: boolean): boolean {
  return net.activation === 'relu' && !(training && net.dropout);
}

/**
 * How a training step updates the parameters:
 * - fused: plain SGD at a constant rate without weight decay, in every model. Each layer's weight-gradient matmul
 *   subtracts lr · gradient from the layer's parameters in its epilogue (each model's lr from the model table): no
 *   gradient vector, no extra dispatch.
 * - optimizer: everything else. The weight-gradient matmuls write the gradient vectors, and one dispatch of the
 *   optimiser's kernel (sgd_update, momentum_update, adam_update, rmsprop_update) updates every parameter of every
 *   model after the backward pass, with each model's settings, rate and step values from the model table.
 */
export type UpdateRule = { kind: 'fused' } | { kind: 'optimizer'; optimizer: OptimizerConfig };

/** The rule of models with these optimisers and schedules (plan.ts's binding optimiser: any model's slots). */
export function updateRule(
  models: readonly { optimizer: OptimizerConfig; schedule: { name: string } }[],
  binding: OptimizerConfig,
): UpdateRule {
  const fused = models.every(
    ({ optimizer, schedule }) =>
      optimizer.name === 'sgd' && optimizer.weightDecay === 0 && schedule.name === 'constant',
  );
  return fused ? { kind: 'fused' } : { kind: 'optimizer', optimizer: binding };
}

/**
 * The dispatches of the models on their buffers, every matmul with the variant its shape picks (or `force`'s).
 */
export class NetGraph {
  constructor(
    private readonly table: ParamTable,
    private readonly net: NetConfig,
    private readonly b: NetBuffers,
    private readonly layout: Layout,
    private readonly force: MatmulChoice = {},
  ) {}

  /**
   * One training step on a full batch, as CpuNetwork.forward + backward + the optimiser's update: gather, forward,
   * the loss, then per layer from the top the input gradient through the activation below (not for the first layer)
   * and the weight + bias gradient, then the update (see UpdateRule). Fused, the tn matmul updates the layer's
   * parameters in its epilogue, so the input gradient comes first: it reads the weight before that update, as the
   * CPU does. 3·layers + 1 dispatches with fused ReLU and the fused update (one more gather per further shard of a
   * sharded training set); 2 more per hidden layer for another activation or dropout, 1 more for the optimiser's
   * dispatch, however many models. The step's start and loss slot
   * come from the step table; each model's run step (dropout's masks), rate, optimiser values and whether it takes
   * the step at all from the model table.
   */
  trainStep(rows: number, update: UpdateRule): DispatchSpec[] {
    const { b, layout } = this;
    const order = { indices: b.order, stride: layout.order };
    const specs = [...this.gather({ data: b.train, rows: order }, rows), ...this.forward(rows, true, false)];
    specs.push(this.lossGradient(rows));
    for (let l = this.table.layers.length - 1; l >= 0; l--) {
      if (l > 0) specs.push(...this.inputGradient(rows, l));
      specs.push(this.weightGradient(l, rows, update));
    }
    if (update.kind === 'optimizer') specs.push(this.optimizerUpdate(update.optimizer));
    return specs;
  }

  /**
   * Each model's last-layer outputs for `rows` rows of `set` from entry.start (its own rows where it has them, else
   * as stored), without dropout. A set every model reads as stored is gathered once, and the first layer of every
   * model reads that one batch.
   */
  predictBatch(set: EvalSource, rows: number): DispatchSpec[] {
    return [...this.gather(set, rows), ...this.forward(rows, false, !set.rows)];
  }

  /** One evaluation batch of `set`: predictBatch, then argmax_count (with the model's loss) into the batch's slot. */
  evalBatch(set: EvalSource, rows: number): DispatchSpec[] {
    const { table, net, b, layout } = this;
    const last = table.layers.length - 1;
    const strides = { models: layout.models, outputs: layout.acts[last + 1], labels: set.rows ? layout.labels : 0 };
    const classes = table.layers[last].outSize;
    return [
      ...this.predictBatch(set, rows),
      {
        kernel: 'argmax_count',
        outputs: [b.evalOut],
        inputs: [b.acts[last + 1], b.batchLabels],
        launch: launch.argmaxCount(rows, classes, net.loss, net.task, net.labelSmoothing, strides),
      },
    ];
  }

  /**
   * The forward pass on `rows` gathered rows: one nt matmul per layer with the bias in its epilogue, and for hidden
   * layers either ReLU in the same epilogue (fusedRelu) or the activation kernel (with dropout when training) reading
   * the pre-activation the matmul wrote. The same order as CpuNetwork.forward. With `sharedInput` every model's
   * first layer reads model 0's gathered batch.
   */
  private forward(rows: number, training: boolean, sharedInput: boolean): DispatchSpec[] {
    const { table, net, b, layout } = this;
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
        cStride: layout.acts[l + 1],
        aStride: l === 0 && sharedInput ? 0 : layout.acts[l],
        bStride: layout.params,
        eStride: layout.params,
      });
      return !hidden || fused ? [matmul] : [matmul, this.activation(rows * outSize, l + 1, training, false)];
    });
  }

  /** The activation kernel on hidden layer `layer`: forward from pre into acts, or backward in place in deltas. */
  private activation(count: number, layer: number, training: boolean, backward: boolean): DispatchSpec {
    const { net, b, layout } = this;
    const dropoutLayer = training && net.dropout ? layer : undefined;
    const stacked = { models: layout.models, stride: layout.acts[layer] };
    return {
      kernel: 'activation',
      outputs: [backward ? b.deltas[layer] : b.acts[layer]],
      inputs: [b.pre[layer]],
      launch: launch.activation(count, net.activation, backward, dropoutLayer, stacked),
    };
  }

  /** The loss of a training batch and the gradient of the last layer's outputs, mean loss into the step's slot. */
  private lossGradient(rows: number): DispatchSpec {
    const { table, net, b, layout } = this;
    const last = table.layers.length - 1;
    const classes = table.layers[last].outSize;
    const buffers = { outputs: [b.deltas[last + 1], b.losses], inputs: [b.acts[last + 1], b.batchLabels] };
    const s = { models: layout.models, outputs: layout.acts[last + 1], labels: layout.labels };
    if (net.task === 'regression')
      return { kernel: 'mse_targets', ...buffers, launch: launch.mseTargets(rows, classes, 0, s) };
    if (net.loss === 'mse') return { kernel: 'mse_onehot', ...buffers, launch: launch.mseOnehot(rows, classes, 0, s) };
    const smoothed = launch.softmaxCrossEntropy(rows, classes, net.labelSmoothing, s);
    return { kernel: 'softmax_cross_entropy', ...buffers, launch: smoothed };
  }

  /**
   * The gradient of the pre-activation of hidden layer l (the input of linear layer l), from that of layer l + 1:
   * the nn matmul through the weight, with ReLU's mask in its epilogue (fusedRelu), or followed by the activation
   * kernel's backward (dropout's mask, then the derivative at the pre-activation), as CpuNetwork.backward.
   */
  private inputGradient(rows: number, l: number): DispatchSpec[] {
    const { inSize, outSize, weight } = this.table.layers[l];
    const { b, layout } = this;
    const fused = fusedRelu(this.net, true);
    const matmul = this.matmul('nn', b.deltas[l], [b.deltas[l + 1], b.params, b.acts[l]], {
      m: rows,
      n: inSize,
      k: outSize,
      flags: fused ? MASK : 0,
      bOff: weight.offset,
      cStride: layout.acts[l],
      aStride: layout.acts[l + 1],
      bStride: layout.params,
      eStride: layout.acts[l],
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
    const { b, layout } = this;
    const fused = update.kind === 'fused';
    return this.matmul('tn', fused ? b.params : this.gradients(), [b.deltas[l + 1], b.acts[l], b.acts[l]], {
      m: outSize,
      n: inSize,
      k: rows,
      flags: fused ? BIAS_GRAD | UPDATE : BIAS_GRAD,
      cOff: weight.offset,
      eOff: bias.offset,
      cStride: layout.params,
      aStride: layout.acts[l + 1],
      bStride: layout.acts[l],
      eStride: layout.acts[l],
    });
  }

  /** A matmul into `output` from inputs a, b and the epilogue operand, its variant picked by shape unless forced. */
  private matmul(form: MatmulForm, output: GPUBuffer, inputs: GPUBuffer[], args: MatmulArgs): DispatchSpec {
    const models = this.layout.models;
    return {
      kernel: 'matmul',
      outputs: [output],
      inputs,
      launch: launch.matmul(form, { ...args, models, ...this.force }),
    };
  }

  /** The optimiser's one dispatch over the whole flat parameter vector, after every gradient of the step. */
  private optimizerUpdate(o: OptimizerConfig): DispatchSpec {
    const { b, layout } = this;
    const count = this.table.total;
    const inputs = [this.gradients()];
    const stacked = { models: layout.models, stride: layout.params };
    switch (o.name) {
      case 'sgd':
        return { kernel: 'sgd_update', outputs: [b.params], inputs, launch: launch.sgdUpdate(count, stacked) };
      case 'momentum':
      case 'nesterov': {
        const momentum = launch.momentumUpdate(count, stacked);
        return { kernel: 'momentum_update', outputs: [b.params, b.optState[0]], inputs, launch: momentum };
      }
      case 'adam':
      case 'adamw': {
        const adam = launch.adamUpdate(count, stacked);
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
          launch: launch.rmspropUpdate(count, stacked),
        };
      }
    }
  }

  private gradients(): GPUBuffer {
    if (!this.b.grads) throw new Error('an optimiser dispatch needs the gradient buffer (NetBuffers.grads)');
    return this.b.grads;
  }

  /**
   * The batch's inputs and labels: each model's rows from entry.start of its row indices (its epoch order, or its
   * own rows of an evaluated set), or once for every model from entry.start of the set as stored. One dispatch per
   * shard of the set, each writing the batch's rows that lie in its shard: together, every row once, in the order
   * one dispatch over the whole set would write them, so a sharded set trains bit for bit as an unsharded one.
   */
  private gather(set: EvalSource, rows: number): DispatchSpec[] {
    const { layers } = this.table;
    const { b, layout } = this;
    const { data } = set;
    const features = layers[0].inSize;
    const outputs = [b.acts[0], b.batchLabels];
    const indices = set.rows?.indices ?? b.order; // bound, not read, when the set is read as stored
    const strides = set.rows
      ? { models: layout.models, order: set.rows.stride, x: layout.acts[0], labels: layout.labels }
      : undefined;
    const useOrder = !!set.rows;
    const labelWidth = this.net.task === 'regression' ? layers[layers.length - 1].outSize : 1;
    return data.shards.map(({ inputs, labels, first, count }): DispatchSpec => {
      const shard = { first, count };
      if (data.bytes) {
        const bound = [inputs, labels, indices, b.lut];
        return {
          kernel: 'gather',
          outputs,
          inputs: bound,
          launch: launch.gather(rows, features, useOrder, strides, shard),
        };
      }
      return {
        kernel: 'gather_floats',
        outputs,
        inputs: [inputs, labels, indices],
        launch: launch.gatherFloats(rows, features, useOrder, labelWidth, strides, shard),
      };
    });
  }
}
