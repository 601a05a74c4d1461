/**
 * A GPU session's buffers, made once at set-up to the sizes its plan worked out: parameters, gradients, activations,
 * optimiser state, and the data sets it trains and evaluates on.
 */
import type { Dataset, SessionSettings } from '../backend.js';
import type { OptimizerConfig } from '../model/optimizer.js';
import { labelWidth, type ModelSpec } from '../model/spec.js';
import { type DataBuffers, fusedRelu, type NetBuffers, type NetConfig, type UpdateRule } from './graph.js';
import { normalisationTable } from './kernels/gather.js';
import { evalSlots, gathersBytes, type Plan } from './plan.js';
import type { Resources } from './record.js';

/**
 * Every buffer a training step or an evaluation batch touches, sized by the plan, made once at set-up for the
 * session's whole life and filled from the settings and the starting parameters and optimiser state.
 */
export function allocateBuffers(
  res: Resources,
  plan: Plan,
  settings: SessionSettings,
  params: Float32Array,
  optimizerState: Float32Array[],
  net: NetConfig,
  update: UpdateRule,
): NetBuffers {
  const { spec, train, test, val } = settings;
  const { table, stepsPerEpoch, maxRows } = plan;
  const S = GPUBufferUsage.STORAGE;
  const floats = (rows: number, width: number) => rows * width * 4;
  const deltas: GPUBuffer[] = []; // deltas[0] would be the input's gradient, which nothing needs
  for (let l = 1; l < spec.layers.length; l++) deltas[l] = res.buffer(`delta ${l}`, floats(maxRows, spec.layers[l]), S);
  const pre: GPUBuffer[] = []; // hidden layers only, and only for the activation kernel
  if (!fusedRelu(net, true)) {
    for (let l = 1; l + 1 < spec.layers.length; l++) {
      pre[l] = res.buffer(`pre ${l}`, floats(maxRows, spec.layers[l]), S);
    }
  }
  const trainData = uploadSet(res, 'train', train, spec);
  // WebGPU buffers start zeroed: a fresh optimiser state needs no upload.
  const optState = plan.slots.map((slot, i) =>
    res.buffer(`optimizer ${slot}`, table.total * 4, S | GPUBufferUsage.COPY_SRC, optimizerState[i]),
  );
  return {
    params: res.buffer('params', table.total * 4, S | GPUBufferUsage.COPY_SRC, params),
    grads: update.kind === 'optimizer' ? res.buffer('grads', table.total * 4, S) : undefined,
    optState,
    unusedSlots: unusedSlotBuffers(res, plan.optimizer),
    // The last layer's outputs are copied out by predict().
    acts: spec.layers.map((width, l) =>
      res.buffer(`acts ${l}`, floats(maxRows, width), l === spec.layers.length - 1 ? S | GPUBufferUsage.COPY_SRC : S),
    ),
    pre,
    deltas,
    batchLabels: res.buffer('batch labels', maxRows * labelWidth(spec) * 4, S),
    losses: res.buffer('losses', stepsPerEpoch * 4, S | GPUBufferUsage.COPY_SRC),
    evalOut: res.buffer('eval results', evalSlots(plan) * 8, S | GPUBufferUsage.COPY_SRC),
    order: res.buffer('epoch order', train.count * 4, S | GPUBufferUsage.COPY_DST),
    lut: res.buffer('normalisation', 256 * 4, S, normalisationTable(spec.inputMean, spec.inputStd)),
    train: trainData,
    // One copy when eval passes one set as both.
    test: test && (test === train ? trainData : uploadSet(res, 'test', test, spec)),
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
 * One float's buffer for each slot that rmsprop_update binds but this run does not keep (the momentum buffer without
 * momentum, the gradient average when not centred): never accessed, and one each, since WebGPU refuses one buffer
 * in two writable bindings of a dispatch.
 */
function unusedSlotBuffers(res: Resources, o: OptimizerConfig): GPUBuffer[] {
  if (o.name !== 'rmsprop') return [];
  const absent = (o.momentum > 0 ? 0 : 1) + (o.centered ? 0 : 1);
  return Array.from({ length: absent }, () => res.buffer('unused optimizer slot', 4, GPUBufferUsage.STORAGE));
}
