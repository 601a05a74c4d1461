/**
 * A GPU session's buffers, made once at set-up to the sizes its plan worked out: each model's parameters, gradients,
 * activations and optimiser state, stacked [K, block] (see Layout), and the data sets the models share.
 */
import type { Dataset, ModelsOptions } from '../backend.js';
import type { OptimizerConfig } from '../model/optimizer.js';
import { labelWidth, type ModelSpec } from '../model/spec.js';
import { type DataBuffers, fusedRelu, type Layout, type NetBuffers, type NetConfig, type UpdateRule } from './graph.js';
import { normalisationTable } from './kernels/gather.js';
import { evalSlots, gathersBytes, gpuOrderStride, type Plan, shardRows, vec4Padded } from './plan.js';
import type { Resources } from './record.js';

/** A model's starting parameters and optimiser state (one array per slot of its own optimiser, or none: zeros). */
export interface StartingState {
  params: Float32Array;
  optimizerState: Float32Array[];
}

/** How the plan's models lie in the stacked buffers. */
export function layoutOf(plan: Plan, spec: ModelSpec): Layout {
  return {
    models: plan.k,
    params: plan.paramStride,
    acts: spec.layers.map((width) => vec4Padded(plan.maxRows * width)),
    labels: vec4Padded(plan.maxRows * labelWidth(spec)),
    order: gpuOrderStride(plan),
  };
}

/** `arrays` one after another, each in a block of `stride` elements (zero-padded). */
function stacked(arrays: Float32Array[], stride: number): Float32Array {
  const out = new Float32Array(arrays.length * stride);
  arrays.forEach((values, i) => out.set(values, i * stride));
  return out;
}

/**
 * Every buffer a training step or an evaluation batch touches, sized by the plan, made once at set-up for the
 * session's whole life and filled from the starting parameters and optimiser state of each model.
 */
export function allocateBuffers(
  res: Resources,
  plan: Plan,
  options: ModelsOptions,
  starts: StartingState[],
  net: NetConfig,
  update: UpdateRule,
): NetBuffers {
  const { spec, train, test, val } = options;
  const { stepsPerEpoch, k } = plan;
  const layout = layoutOf(plan, spec);
  const S = GPUBufferUsage.STORAGE;
  const floats = (elements: number) => k * elements * 4;
  const deltas: GPUBuffer[] = []; // deltas[0] would be the input's gradient, which nothing needs
  for (let l = 1; l < spec.layers.length; l++) deltas[l] = res.buffer(`delta ${l}`, floats(layout.acts[l]), S);
  const pre: GPUBuffer[] = []; // hidden layers only, and only for the activation kernel
  if (!fusedRelu(net, true)) {
    for (let l = 1; l + 1 < spec.layers.length; l++) pre[l] = res.buffer(`pre ${l}`, floats(layout.acts[l]), S);
  }
  const shardBytes = plan.shard.bytes;
  const window = plan.stream && windowSet(res, plan.stream.rows, train.features, labelWidth(spec));
  const trainData = window ?? uploadSet(res, 'train', train, spec, shardBytes);
  // Each slot any model keeps, with the state of the models that keep it (zeros for a fresh one and the others).
  const optState = plan.slots.map((slot) => {
    const values = starts.map(({ optimizerState }, i) => {
      const own = plan.models[i].slots.indexOf(slot);
      return optimizerState[own] ?? new Float32Array(0);
    });
    const data = values.some((v) => v.length > 0) ? stacked(values, layout.params) : undefined;
    return res.buffer(`optimizer ${slot}`, floats(layout.params), S | GPUBufferUsage.COPY_SRC, data);
  });
  const params = stacked(
    starts.map((start) => start.params),
    layout.params,
  );
  const testData = test && (test === train || window ? trainData : uploadSet(res, 'test', test, spec, shardBytes));
  const valData = val && (window ?? uploadSet(res, 'val', val, spec, shardBytes));
  const lists = (name: 'val' | 'train', rows: (Uint32Array | undefined)[], count: number) => {
    if (plan.stream) {
      // Model i's rows of the window's batches lie at i · stride of it (see DataWindow).
      const stride = plan[name]!.group * plan.evalRows;
      const indices = Uint32Array.from({ length: k * stride }, (_, i) => i);
      return { indices: res.buffer(`${name} rows`, indices.byteLength, S, indices), stride };
    }
    const stride = Math.max(...rows.map((own) => own?.length ?? count));
    const indices = new Uint32Array(k * stride);
    rows.forEach((own, i) => indices.set(own ?? Uint32Array.from({ length: count }, (_, r) => r), i * stride));
    return { indices: res.buffer(`${name} rows`, indices.byteLength, S, indices), stride };
  };
  const evals: NetBuffers['evals'] = {};
  if (testData && plan.test) evals.test = { data: testData };
  if (plan.val) {
    const own = plan.models.map((m) => m.valRows);
    evals.val = own.every((rows) => rows) ? { data: trainData, rows: lists('val', own, 0) } : { data: valData! };
  }
  const trainRows = plan.models.map((m) => m.trainRows);
  evals.train = trainRows.some((rows) => rows)
    ? { data: trainData, rows: lists('train', trainRows, train.count) }
    : { data: trainData };
  return {
    params: res.buffer('params', floats(layout.params), S | GPUBufferUsage.COPY_SRC, params),
    grads: update.kind === 'optimizer' ? res.buffer('grads', floats(layout.params), S) : undefined,
    optState,
    unusedSlots: unusedSlotBuffers(res, plan.optimizer),
    // The last layer's outputs are copied out by predict().
    acts: spec.layers.map((_, l) =>
      res.buffer(`acts ${l}`, floats(layout.acts[l]), l === spec.layers.length - 1 ? S | GPUBufferUsage.COPY_SRC : S),
    ),
    pre,
    deltas,
    batchLabels: res.buffer('batch labels', floats(layout.labels), S),
    losses: res.buffer('losses', k * stepsPerEpoch * 4, S | GPUBufferUsage.COPY_SRC),
    evalOut: res.buffer('eval results', k * evalSlots(plan) * 8, S | GPUBufferUsage.COPY_SRC),
    // Through a window, step s of model i reads rows i · order + (s mod steps) · batch + r of it: written once.
    order: plan.stream
      ? res.buffer(
          'window order',
          floats(layout.order),
          S,
          Uint32Array.from({ length: k * layout.order }, (_, i) => i),
        )
      : res.buffer('epoch order', floats(layout.order), S | GPUBufferUsage.COPY_DST),
    lut: res.buffer('normalisation', 256 * 4, S, normalisationTable(spec.inputMean, spec.inputStd)),
    train: trainData,
    evals,
  };
}

/**
 * A labelled set on the GPU: byte images with byte labels as they are (for gather.wgsl); any other set as float32
 * inputs and 32-bit label words (for gather_floats.wgsl), byte inputs normalised here through the table that
 * gather.wgsl reads, so that they are the values the CPU's gather stores, and byte labels widened. Stored in shards
 * of whole rows of at most `shardBytes` bytes each (one shard for a set that fits), each shard's buffers from its
 * first row: a byte shard need not start on a word of the set, since its buffer does.
 */
export function uploadSet(
  res: Resources,
  name: string,
  set: Dataset,
  spec: ModelSpec,
  shardBytes: number,
): DataBuffers {
  const S = GPUBufferUsage.STORAGE;
  const width = labelWidth(spec);
  const inputs = set.inputs.subarray(0, set.count * set.features);
  const labels = set.labels.subarray(0, set.count * width);
  const perShard = Math.max(1, Math.min(set.count, shardRows(spec, set, shardBytes)));
  const shards = Math.max(1, Math.ceil(set.count / perShard));
  const bytes = gathersBytes(set);
  const table = bytes ? undefined : normalisationTable(spec.inputMean, spec.inputStd);
  return {
    bytes,
    shards: Array.from({ length: shards }, (_, i) => {
      const first = i * perShard;
      const count = Math.min(perShard, set.count - first);
      const label = shards > 1 ? `${name} shard ${i} ` : `${name} `;
      let values: Dataset['inputs'] = inputs.subarray(first * set.features, (first + count) * set.features);
      let words: Dataset['labels'] = labels.subarray(first * width, (first + count) * width);
      if (table && values instanceof Uint8Array) values = Float32Array.from(values, (byte) => table[byte]);
      if (!bytes && words instanceof Uint8Array) words = Uint32Array.from(words);
      return {
        first,
        count,
        inputs: res.buffer(`${label}inputs`, values.byteLength, S, values),
        labels: res.buffer(`${label}labels`, words.byteLength, S, words),
      };
    }),
  };
}

/**
 * The data window of a streamed session: `rows` rows of float32 inputs and 32-bit label words (as uploadSet stores a
 * set that is not byte images), which DataWindow refills before the steps and batches that read them.
 */
function windowSet(res: Resources, rows: number, features: number, labels: number): DataBuffers {
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  return {
    bytes: false,
    shards: [
      {
        first: 0,
        count: rows,
        inputs: res.buffer('window inputs', rows * features * 4, usage),
        labels: res.buffer('window labels', rows * labels * 4, usage),
      },
    ],
  };
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
