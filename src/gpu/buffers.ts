/**
 * The buffers of a session, made once at set-up for its whole life: parameters, gradients and optimiser state,
 * activations, the data sets as they are stored (bytes or float32), the epoch order and the results that are read
 * back.
 */
import type { Dataset, SessionOptions } from '../backend.js';
import { optimizerSlots, PLAIN_SGD } from '../model/optimizer.js';
import { labelWidth, type ModelSpec } from '../model/spec.js';
import { fusedRelu, type DataBuffers, type NetBuffers, type NetConfig, type UpdateRule } from './graph.js';
import { normalisationTable } from './kernels/gather.js';
import { gathersBytes, type Plan } from './plan.js';
import type { Resources } from './resources.js';

/** Evaluation batches of the test set, the validation set and the training set: one {loss sum, correct} slot each in
 * evalOut. */
export const evalSlots = (plan: Plan): number => plan.test.batches + (plan.val?.batches ?? 0) + plan.train.batches;

/** Every buffer a training step or an evaluation batch touches, sized by the plan and filled from the options. */
export function allocateBuffers(res: Resources, plan: Plan, options: SessionOptions, net: NetConfig, update: UpdateRule): NetBuffers {
  const { spec, train, test, val } = options;
  const { table, stepsPerEpoch, maxRows } = plan;
  const S = GPUBufferUsage.STORAGE;
  const floats = (rows: number, width: number) => rows * width * 4;
  const deltas: GPUBuffer[] = []; // deltas[0] would be the input's gradient, which nothing needs
  for (let l = 1; l < spec.layers.length; l++) deltas[l] = res.buffer(`delta ${l}`, floats(maxRows, spec.layers[l]), S);
  const pre: GPUBuffer[] = []; // hidden layers only, and only for the activation kernel
  if (!fusedRelu(net, true)) {
    for (let l = 1; l + 1 < spec.layers.length; l++) pre[l] = res.buffer(`pre ${l}`, floats(maxRows, spec.layers[l]), S);
  }
  const trainData = uploadSet(res, 'train', train, spec);
  return {
    params: res.buffer('params', table.total * 4, S | GPUBufferUsage.COPY_SRC, options.params),
    grads: update.kind === 'optimizer' ? res.buffer('grads', table.total * 4, S) : undefined,
    optState: optimizerStateBuffers(res, options, table.total),
    unusedSlots: unusedSlotBuffers(res, options),
    // The last layer's outputs are copied out by predict().
    acts: spec.layers.map((width, l) => res.buffer(`acts ${l}`, floats(maxRows, width),
      l === spec.layers.length - 1 ? S | GPUBufferUsage.COPY_SRC : S)),
    pre,
    deltas,
    batchLabels: res.buffer('batch labels', maxRows * labelWidth(spec) * 4, S),
    losses: res.buffer('losses', stepsPerEpoch * 4, S | GPUBufferUsage.COPY_SRC),
    evalOut: res.buffer('eval results', evalSlots(plan) * 8, S | GPUBufferUsage.COPY_SRC),
    order: res.buffer('epoch order', train.count * 4, S | GPUBufferUsage.COPY_DST),
    lut: res.buffer('normalisation', 256 * 4, S, normalisationTable(spec.inputMean, spec.inputStd)),
    train: trainData,
    test: test === train ? trainData : uploadSet(res, 'test', test, spec), // one copy when eval passes one set as both
    val: val && uploadSet(res, 'val', val, spec),
  };
}

/**
 * A labelled set on the GPU: byte images with byte labels as they are (for gather.wgsl); any other set as float32
 * inputs and 32-bit label words (for gather_floats.wgsl), byte inputs normalised here through the table that
 * gather.wgsl reads, so that they are the values the CPU's gather stores, and byte labels widened.
 */
export function uploadSet(res: Resources, name: string, set: Dataset, spec: ModelSpec): DataBuffers {
  const S = GPUBufferUsage.STORAGE;
  const inputs = set.inputs.subarray(0, set.count * set.features);
  const labels = set.labels.subarray(0, set.count * labelWidth(spec));
  const upload = (bytes: boolean, values: Dataset['inputs'], words: Dataset['labels']): DataBuffers => ({
    bytes,
    inputs: res.buffer(`${name} inputs`, values.byteLength, S, values),
    labels: res.buffer(`${name} labels`, words.byteLength, S, words),
  });
  if (gathersBytes(set)) return upload(true, inputs, labels);
  const table = normalisationTable(spec.inputMean, spec.inputStd);
  const floats = inputs instanceof Float32Array ? inputs : Float32Array.from(inputs, (byte) => table[byte]);
  return upload(false, floats, labels instanceof Uint8Array ? Uint32Array.from(labels) : labels);
}

/**
 * One buffer per slot of the optimiser's state, from options.optimizerState (a resumed run, checked by checkState)
 * or zeros (WebGPU buffers start zeroed).
 */
function optimizerStateBuffers(res: Resources, options: SessionOptions, total: number): GPUBuffer[] {
  const given = options.optimizerState ?? [];
  return optimizerSlots(options.optimizer ?? PLAIN_SGD).map((slot, i) =>
    res.buffer(`optimizer ${slot}`, total * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, given[i]));
}

/**
 * One float's buffer for each slot that rmsprop_update binds but this run does not keep (the momentum buffer without
 * momentum, the gradient average when not centred): never accessed, and one each, since WebGPU refuses one buffer
 * in two writable bindings of a dispatch.
 */
function unusedSlotBuffers(res: Resources, options: SessionOptions): GPUBuffer[] {
  const o = options.optimizer ?? PLAIN_SGD;
  if (o.name !== 'rmsprop') return [];
  const absent = (o.momentum > 0 ? 0 : 1) + (o.centered ? 0 : 1);
  return Array.from({ length: absent }, () => res.buffer('unused optimizer slot', 4, GPUBufferUsage.STORAGE));
}
