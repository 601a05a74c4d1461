/**
 * A GPU session's plan, worked out before anything is allocated (the parameters included): its K models (one for a
 * TrainingSession), how the epoch and the evaluated sets divide into steps and batches, how the models lie in the
 * stacked buffers, and whether every buffer fits this device (the tables that tell each recorded step where its work
 * is are ./tables.ts, the buffers themselves ./buffers.ts).
 */
import type { Dataset, EvalSet, ModelsOptions, SessionOptions, SessionSettings } from '../backend.js';
import { type CheckedSession, checkInputs, checkModels } from '../check.js';
import { type Field, UserError, type Wording } from '../errors.js';
import { type OptimizerConfig, optimizerSlots, PLAIN_SGD } from '../model/optimizer.js';
import { paramTable } from '../model/params.js';
import { labelWidth, type ModelSpec } from '../model/spec.js';
import { matmulGroupsAlong } from './kernels/matmul.js';

/** Test rows per evaluation batch when none is asked for: few dispatches for MNIST's 10,000, small activations. */
export const DEFAULT_EVAL_ROWS = 1024;

/** How a labelled set is evaluated (or predicted): in batches of evalRows rows. */
export interface EvalPlan {
  /** The most rows any model evaluates (each model's own count is in ModelPlan.counts). */
  count: number;
  batches: number;
  /** Rows per batch: the session's evalRows. */
  rows: number;
  /** Rows of the final batch: a set need not be a multiple of evalRows. */
  lastRows: number;
  /** The slot of its first batch in evalOut; batch b reads step-table entry stepsPerEpoch + firstSlot + b. */
  firstSlot: number;
  /** Batches the data window holds at once (every batch where the set lies on the device): see DataWindow. */
  group: number;
}

/** One model of a session: its settings (checked as a session of its own), its rows, and its counts. */
export interface ModelPlan extends CheckedSession {
  learningRate: number;
  dropout: number;
  seed: number;
  /** Its rows of the training set, ascending (absent: all). */
  trainRows?: Uint32Array;
  /** The rows of the training set that evaluate('val') scores it on (absent: the validation set). */
  valRows?: Uint32Array;
  /** The rows it evaluates per set (0 where it has no such set). */
  counts: Record<EvalSet, number>;
}

/** The GPU's layout of a session, worked out (and checked against the device) before anything is allocated. */
export interface Plan extends CheckedSession {
  /** K, the models trained together: the dispatch grid's z. */
  k: number;
  models: ModelPlan[];
  batch: number;
  /** The largest steps per epoch of any model: the step table's training entries. */
  stepsPerEpoch: number;
  /** Slots of the state buffers: every slot any model keeps (rmsprop's differ with momentum and centred). */
  slots: readonly string[];
  /** The optimiser the dispatches bind for: model 0's, with any model's momentum and centred form. */
  optimizer: OptimizerConfig;
  evalRows: number;
  /** Absent without a test set (or a validation set): evaluate refuses that set. */
  test?: EvalPlan;
  val?: EvalPlan;
  /** The training set evaluated as a whole, after the test and validation sets' slots. */
  train: EvalPlan;
  /** Rows the activation buffers hold: the larger of the batch and the evaluation batch. */
  maxRows: number;
  /** Elements of each model's block: parameters (and gradients, state), epoch order. */
  paramStride: number;
  orderStride: number;
  /** The most bytes one shard of a data set holds, and the limit that sets it (see shardLimit). */
  shard: ShardLimit;
  /** Present where the data sets exceed the backend's gpuDataBytes: they pass through a window (stream.ts). */
  stream?: StreamPlan;
}

/**
 * Data sets streamed through a window on the device: `rows` rows of float32 inputs and 32-bit labels, refilled from
 * the host before the steps or batches that read them; a training step of every model reads its own `batch` rows.
 */
export interface StreamPlan {
  rows: number;
  /** Training steps of every model the window holds: steps s and s + steps use the same rows of it. */
  steps: number;
}

/** What the backend asks of the data on the device: shards of at most shardBytes, all of it at most residentBytes. */
export interface DataLimits {
  shardBytes?: number;
  residentBytes?: number;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Elements rounded up to whole vec4, so each model's block starts where matmul.wgsl can load it as vec4. */
export const vec4Padded = (elements: number): number => Math.ceil(elements / 4) * 4;

/** How to fix a session that does not fit the device's memory. */
export const SESSION_FIX: Wording = (n) => `use smaller layers or a smaller ${n('batchSize')}`;

/** How to fix models that fit one at a time but not all at once. */
export const MODELS_FIX: Wording = () => 'train fewer models at once';

/**
 * What a session's set-up is, and how to fix it where the device runs out of memory making it: fewer models, or
 * smaller ones, or, where its data sets lie whole on the device, streaming them.
 */
export function setupFailure(plan: Plan): [what: string, fix: Wording] {
  const [what, fix] = plan.k > 1 ? [`${plan.k} models`, MODELS_FIX] : ['the model', SESSION_FIX];
  if (plan.stream) return [what, fix];
  return [what, (n) => `${fix(n)}, or set ${n('gpuDataBytes')} to stream the data sets through the GPU`];
}

/** How to fix a prediction that does not fit the device, in the limit checks and the set-up's error scopes. */
export const PREDICTION_FIX: Wording = () => 'predict fewer images at once';

/** A session's settings as the one model of a models session, with its parameters (only planning: any seed). */
export function asModels(settings: SessionSettings, params: SessionOptions['params'] = { seed: 0 }): ModelsOptions {
  const { spec, batch, train, test, val, learningRate, optimizer, schedule, dropout } = settings;
  return {
    spec,
    batch,
    train,
    test,
    val,
    models: [{ params, learningRate, optimizer, schedule, dropout }],
  };
}

/** The plan of a single session (a models session of one); see makeModelsPlan. */
export function makePlan(
  settings: SessionSettings,
  evalRowsWanted: number,
  device: GPUDevice,
  data: DataLimits = {},
): Plan {
  return makeModelsPlan(asModels(settings), evalRowsWanted, device, data, settings.evaluateOnly);
}

/**
 * The plan of models trained together, their settings checked (checkModels) and then their sizes against the
 * device's limits: first as one model would need them (the messages of a single session), then stacked for all K
 * (every limit exceeded is a UserError naming it). It needs no parameters, so models too large are refused before
 * they are initialised. A data set may exceed a binding: it is stored in shards (see shardLimit); data sets larger
 * than `data.residentBytes` together are streamed through a window (see streamPlan), which models that never train
 * (`evaluateOnly`) need not hold a step in.
 */
export function makeModelsPlan(
  options: ModelsOptions,
  evalRowsWanted: number,
  device: GPUDevice,
  data: DataLimits = {},
  evaluateOnly = false,
): Plan {
  const { spec, batch, train, test, val } = options;
  const steps = checkModels(options);
  const k = options.models.length;
  const shard = shardLimit(device, data.shardBytes);
  // The grid's z is the model.
  if (k > device.limits.maxComputeWorkgroupsPerDimension) {
    throw new UserError(
      `${k} models need ${k} workgroups along z, more than this GPU's maxComputeWorkgroupsPerDimension ` +
        `(${device.limits.maxComputeWorkgroupsPerDimension}): train fewer models at once`,
    );
  }
  const table = paramTable(spec);
  const models = options.models.map((model, i): ModelPlan => {
    const optimizer = model.optimizer ?? PLAIN_SGD;
    const trainCount = model.trainRows?.length ?? train.count;
    const valCount = model.valRows?.length ?? val?.count ?? 0;
    return {
      table,
      optimizer,
      slots: optimizerSlots(optimizer),
      schedule: model.schedule ?? { name: 'constant' },
      stepsPerEpoch: steps[i],
      learningRate: model.learningRate,
      dropout: model.dropout?.rate ?? 0,
      seed: model.dropout?.seed ?? 0,
      trainRows: model.trainRows,
      valRows: model.valRows,
      counts: { test: test?.count ?? 0, val: valCount, train: trainCount },
    };
  });
  const most = (set: EvalSet) => Math.max(...models.map((model) => model.counts[set]));
  const hasVal = models.every((model) => model.valRows) || (val !== undefined && models.every((m) => !m.valRows));
  const evalCount = Math.max(test?.count ?? 0, hasVal ? most('val') : 0) || most('train');
  const stream = streamPlan(options, data.residentBytes, shard, evaluateOnly);
  // A streamed set's window holds each model's rows of a batch where the models read rows of their own.
  const ownVal = models.every((m) => m.valRows) ? k : 1;
  const ownTrain = models.some((m) => m.trainRows) ? k : 1;
  const windowRows = stream ? Math.floor(stream.rows / Math.max(ownVal, ownTrain)) : Infinity;
  const evalRows = Math.max(1, Math.min(evalRowsWanted, evalCount, windowRows));
  const group = (own: number) => (stream ? Math.floor(stream.rows / (own * evalRows)) : undefined);
  const testPlan = test && evalPlan(test.count, evalRows, 0, group(1));
  const valPlan = hasVal ? evalPlan(most('val'), evalRows, testPlan?.batches ?? 0, group(ownVal)) : undefined;
  const trainFirst = (testPlan?.batches ?? 0) + (valPlan?.batches ?? 0);
  const trainPlan = evalPlan(most('train'), evalRows, trainFirst, group(ownTrain));
  const maxRows = Math.max(batch, evalRows);
  const first = models[0];
  const optimizer = {
    ...first.optimizer,
    momentum: Math.max(...models.map((m) => m.optimizer.momentum)),
    centered: models.some((m) => m.optimizer.centered),
  };
  const plan: Plan = {
    table,
    schedule: first.schedule,
    k,
    models,
    batch,
    stepsPerEpoch: Math.max(...steps),
    slots: optimizerSlots(optimizer),
    optimizer,
    evalRows,
    test: testPlan,
    val: valPlan,
    train: trainPlan,
    maxRows,
    paramStride: vec4Padded(table.total),
    orderStride: most('train'),
    shard,
    stream: stream && { ...stream, steps: Math.min(stream.steps, Math.max(...steps)) },
  };
  checkStorage(device, singleStorage(options, plan));
  checkRows(spec, 'training', train, shard);
  if (test) checkRows(spec, 'test', test, shard);
  if (val) checkRows(spec, 'validation', val, shard);
  if (k > 1) checkStorage(device, stackedStorage(options, plan));
  const limits = device.limits;
  const tableBytes = (plan.stepsPerEpoch + evalSlots(plan)) * uniformStride(device);
  if (tableBytes > limits.maxBufferSize) {
    throw new UserError(
      (n) =>
        `the step table (${plan.stepsPerEpoch} steps per epoch) needs ${mib(tableBytes)}, ` +
        `more than this GPU's maxBufferSize: use a larger ${n('batchSize')}`,
      'batchSize',
    );
  }
  const groups = matmulGroupsAlong(Math.max(...spec.layers, maxRows));
  if (groups > limits.maxComputeWorkgroupsPerDimension) {
    throw new UserError(
      (n) =>
        `a matmul would need ${groups} workgroups in one dimension, more than this GPU's ` +
        `maxComputeWorkgroupsPerDimension (${limits.maxComputeWorkgroupsPerDimension}): ${SESSION_FIX(n)}`,
      'batchSize',
    );
  }
  return plan;
}

/** What one model needs (the limits and messages of a single session); the data sets, shared, are checkRows'. */
function singleStorage(options: ModelsOptions, plan: Plan): StorageNeed[] {
  const { spec } = options;
  const { maxRows, table } = plan;
  return [
    ['the parameters', table.total * 4, () => 'use smaller layers', 'layers'],
    ...spec.layers.map(
      (width, l): StorageNeed => [
        `layer ${l}'s activations (${maxRows} rows x ${width})`,
        maxRows * width * 4,
        SESSION_FIX,
        'batchSize',
      ],
    ),
  ];
}

/** The buffers that hold a block per model, K of them: what makes K models too many at once. */
function stackedStorage(options: ModelsOptions, plan: Plan): StorageNeed[] {
  const { k, maxRows, paramStride } = plan;
  const orderStride = gpuOrderStride(plan);
  const each = (what: string, elements: number): StorageNeed => [
    `${what} of ${k} models`,
    k * elements * 4,
    MODELS_FIX,
  ];
  return [
    each('the parameters', paramStride),
    ...options.spec.layers.map((width, l) => each(`layer ${l}'s activations`, vec4Padded(maxRows * width))),
    each('the epoch orders', orderStride),
    each('the losses', plan.stepsPerEpoch),
    each('the evaluation results', 2 * evalSlots(plan)),
    [`the model table of ${k} models`, modelTableRows(plan) * k * MODEL_ROW_BYTES, MODELS_FIX],
  ];
}

/** Elements of each model's epoch order on the GPU: the whole order, or the window's steps of it where streamed. */
export const gpuOrderStride = (plan: Plan): number => (plan.stream ? plan.stream.steps * plan.batch : plan.orderStride);

/**
 * A set of `count` samples in batches of evalRows, its first batch at evaluation slot firstSlot, `group` batches at
 * a time in a data window (default: all of them).
 */
export function evalPlan(count: number, evalRows: number, firstSlot: number, group = Infinity): EvalPlan {
  const batches = Math.max(1, Math.ceil(count / evalRows));
  const lastRows = count - (batches - 1) * evalRows || evalRows;
  return { count, batches, rows: evalRows, lastRows, firstSlot, group: Math.max(1, Math.min(group, batches)) };
}

/** Bytes of a set as uploadSet stores it on the device. */
export const storedBytes = (spec: ModelSpec, set: Dataset): number => {
  const row = rowBytes(spec, set);
  return set.count * (row.inputs + row.labels);
};

/** A backend's gpuDataBytes must be a size. */
export function checkGpuDataBytes(bytes: number): void {
  if (!(Number.isSafeInteger(bytes) && bytes >= 16)) {
    throw new UserError(
      (n) => `${n('gpuDataBytes')} must be a whole number of bytes, at least 16; got ${bytes}`,
      'gpuDataBytes',
    );
  }
}

/**
 * The window that streams a session's data sets, where together (a set shared by two roles once) they take more
 * than `residentBytes` on the device: as many rows of float32 inputs and label words as residentBytes holds, within
 * one shard, and at least a training step of every model (a row, where they never train).
 */
function streamPlan(
  options: ModelsOptions,
  residentBytes: number | undefined,
  shard: ShardLimit,
  evaluateOnly: boolean,
): StreamPlan | undefined {
  if (residentBytes === undefined) return undefined;
  checkGpuDataBytes(residentBytes);
  const { spec, batch, train, test, val } = options;
  const sets = [...new Set([train, test, val])].filter((set): set is Dataset => set !== undefined);
  const total = sets.reduce((sum, set) => sum + storedBytes(spec, set), 0);
  if (total <= residentBytes) return undefined;
  const widths = [train.features, labelWidth(spec)];
  const rows = Math.min(
    Math.floor(residentBytes / (4 * (widths[0] + widths[1]))),
    Math.floor(shard.bytes / (4 * Math.max(...widths))),
  );
  const k = options.models.length;
  if (rows < (evaluateOnly ? 1 : k * batch)) {
    const size = (bytes: number) => (bytes < 2 ** 20 ? `${bytes.toLocaleString('en-US')} bytes` : mib(bytes));
    const need = k * batch * 4 * (widths[0] + widths[1]);
    throw new UserError(
      (n) =>
        `streaming the data sets (${size(total)}) needs a window of one step of every model, ${k * batch} rows ` +
        `(${size(need)}), more than ${n('gpuDataBytes')} or a data shard holds: ` +
        `raise ${n('gpuDataBytes')} or use a smaller ${n('batchSize')}`,
      'batchSize',
    );
  }
  return { rows, steps: Math.max(1, Math.floor(rows / (k * batch))) };
}

/**
 * How `set` is predicted, in batches of the session's evalRows, checked against the device's limits; null for an
 * empty set, which needs no GPU work.
 */
export function predictionPlan(plan: Plan, spec: ModelSpec, set: Dataset, device: GPUDevice): EvalPlan | null {
  const { table, evalRows } = plan;
  const classes = table.layers[table.layers.length - 1].outSize;
  checkInputs(spec, set, 'prediction');
  if (set.count === 0) return null;
  const prediction = evalPlan(set.count, evalRows, 0);
  checkRows(spec, 'prediction', set, plan.shard);
  checkStorage(device, [
    ['the predictions', set.count * classes * 4, PREDICTION_FIX],
    ["the prediction's step table", prediction.batches * uniformStride(device), PREDICTION_FIX],
  ]);
  return prediction;
}

/** A buffer: what it holds, its bytes, how to make it smaller, and the setting that would. */
type StorageNeed = [what: string, bytes: number, fix: Wording, field?: Field];

/**
 * Whether a set is gathered from its bytes (gather.wgsl): byte images with byte labels, MNIST's. Every other set is
 * stored as float32 inputs and 32-bit labels (gather_floats.wgsl).
 */
export const gathersBytes = (set: Dataset): boolean =>
  set.inputs instanceof Uint8Array && set.labels instanceof Uint8Array;

/** The most bytes a shard holds, and the limit that sets it. */
export interface ShardLimit {
  bytes: number;
  limit: 'maxStorageBufferBindingSize' | 'maxBufferSize' | 'dataShardBytes';
}

/**
 * The bytes of each shard of a data set: the device's binding and buffer limits, or `wanted` (the backend's
 * dataShardBytes) where lower; rounded down to whole 16-byte units, the units buffers are made in (Resources).
 */
function shardLimit(device: GPUDevice, wanted?: number): ShardLimit {
  if (wanted !== undefined && !(Number.isSafeInteger(wanted) && wanted >= 16)) {
    throw new UserError(`dataShardBytes must be a whole number of bytes, at least 16; got ${wanted}`);
  }
  const { maxStorageBufferBindingSize: binding, maxBufferSize: buffer } = device.limits;
  const [bytes, limit]: [number, ShardLimit['limit']] =
    wanted !== undefined && wanted < Math.min(binding, buffer)
      ? [wanted, 'dataShardBytes']
      : binding <= buffer
        ? [binding, 'maxStorageBufferBindingSize']
        : [buffer, 'maxBufferSize'];
  return { bytes: Math.floor(bytes / 16) * 16, limit };
}

/** Bytes of one row of a set's inputs and of its labels as uploadSet stores them: bytes, or 4 per value. */
function rowBytes(spec: ModelSpec, set: Dataset): { inputs: number; labels: number } {
  const bytes = gathersBytes(set) ? 1 : 4;
  return { inputs: set.features * bytes, labels: labelWidth(spec) * bytes };
}

/** Rows of a set in each shard: whole rows, inputs and labels split at the same rows (the last shard may be short). */
export function shardRows(spec: ModelSpec, set: Dataset, shardBytes: number): number {
  const row = rowBytes(spec, set);
  return Math.floor(shardBytes / Math.max(row.inputs, row.labels, 1));
}

/** A set is stored in shards of whole rows: one row of its inputs, and of its labels, must fit a shard. */
function checkRows(spec: ModelSpec, name: string, set: Dataset, shard: ShardLimit): void {
  const row = rowBytes(spec, set);
  const parts = [
    [`${set.inputs instanceof Uint8Array ? 'image' : 'row of inputs'} (${set.features} features)`, row.inputs],
    [`row of labels (${labelWidth(spec)} per sample)`, row.labels],
  ] as const;
  const [limit, fix] =
    shard.limit === 'dataShardBytes'
      ? ["the backend's dataShardBytes", 'raise dataShardBytes']
      : [`this GPU's ${shard.limit}`, 'use fewer features or outputs'];
  for (const [what, bytes] of parts) {
    if (bytes > shard.bytes) {
      throw new UserError(
        `one ${what} of the ${name} set needs ${bytes} bytes, more than a data shard holds ` +
          `(${shard.bytes} bytes, ${limit}): ${fix}`,
      );
    }
  }
}

/** Every buffer must fit one binding and one buffer of this device (a data set's shards are checkRows'). */
function checkStorage(device: GPUDevice, storage: StorageNeed[]): void {
  for (const [what, bytes, fix, field] of storage) {
    for (const limit of ['maxStorageBufferBindingSize', 'maxBufferSize'] as const) {
      if (bytes > device.limits[limit]) {
        throw new UserError(
          (n) =>
            `${what} need ${mib(bytes)}, more than this GPU's ${limit} ` + `(${mib(device.limits[limit])}): ${fix(n)}`,
          field,
        );
      }
    }
  }
}

/** Evaluation batches of the test set, the validation set and the training set: one {loss sum, correct} slot each. */
export const evalSlots = (plan: Plan): number =>
  (plan.test?.batches ?? 0) + (plan.val?.batches ?? 0) + plan.train.batches;

/** Bytes between uniform entries: the device's offset alignment (256 at most, by the WebGPU spec). */
export const uniformStride = (device: GPUDevice): number => device.limits.minUniformBufferOffsetAlignment;

/**
 * Bytes of a row, as WGSL's struct Model { runs: u32 (active), run: u32, lr: f32, rows: u32, opt: vec4f,
 * settings: array<f32, 8>, seed: u32, threshold: u32, scale: f32, unused: u32 }.
 */
export const MODEL_ROW_BYTES = 80;

/** Rows of a session's model table: one per step-table entry, per model. */
export const modelTableRows = (plan: Plan): number => plan.stepsPerEpoch + evalSlots(plan);
