/**
 * The sizes of a session, worked out and checked against the device's limits before anything is allocated: how the
 * epoch and the evaluation sets divide into steps and batches, and whether every buffer fits this device.
 */
import type { Dataset, SessionSizes } from '../backend.js';
import { checkInputs } from '../check.js';
import { UserError, type Field, type Wording } from '../errors.js';
import type { ParamTable } from '../model/params.js';
import { labelWidth, type ModelSpec } from '../model/spec.js';
import { matmulGroupsAlong } from './kernels/matmul.js';
import { uniformStride } from './resources.js';

/** Test rows per evaluation batch when none is asked for: few dispatches for MNIST's 10,000, small activations. */
export const DEFAULT_EVAL_ROWS = 1024;

/** How a labelled set is evaluated (or predicted): in batches of evalRows rows. */
export interface EvalPlan {
  count: number;
  batches: number;
  /** Rows of the final batch: a set need not be a multiple of evalRows. */
  lastRows: number;
  /** The slot of its first batch in evalOut; batch b reads step-table entry stepsPerEpoch + firstSlot + b. */
  firstSlot: number;
}

/** The GPU's layout of a session, worked out (and checked against the device) before anything is allocated. */
export interface Plan {
  table: ParamTable;
  stepsPerEpoch: number;
  evalRows: number;
  test: EvalPlan;
  val?: EvalPlan;
  /** The training set evaluated as a whole, after the test and validation sets' slots. */
  train: EvalPlan;
  /** Rows the activation buffers hold: the larger of the batch and the evaluation batch. */
  maxRows: number;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

const smallerLayersOrBatch: Wording = (n) => `use smaller layers or a smaller ${n('batchSize')}`;

/**
 * The GPU's layout of a session whose settings checkSession has checked (`sizes`): its evaluation batches and the
 * rows its activations hold, checked against the device's limits; every limit exceeded is a UserError naming it.
 * Needs no parameters, so a model too large for the device is refused before anything is allocated.
 */
export function makePlan(sizes: SessionSizes, evalRowsWanted: number, device: GPUDevice): Plan {
  const { table, stepsPerEpoch, settings: { spec, batch, train, test, val } } = sizes;
  const evalRows = Math.max(1, Math.min(evalRowsWanted, Math.max(test.count, val?.count ?? 0)));
  const testPlan = evalPlan(test.count, evalRows, 0);
  const valPlan = val && evalPlan(val.count, evalRows, testPlan.batches);
  const trainPlan = evalPlan(train.count, evalRows, testPlan.batches + (valPlan?.batches ?? 0));
  const maxRows = Math.max(batch, evalRows);

  const limits = device.limits;
  checkStorage(device, [
    ['the parameters', table.total * 4, () => 'use smaller layers', 'layers'],
    ...spec.layers.map((width, l): StorageNeed => [`layer ${l}'s activations (${maxRows} rows x ${width})`, maxRows * width * 4, smallerLayersOrBatch, 'batchSize']),
    ...setStorage(spec, 'training', train, () => 'this GPU cannot hold the training set in one buffer'),
    ...setStorage(spec, 'test', test, () => 'this GPU cannot hold the test set in one buffer'),
    ...(val ? setStorage(spec, 'validation', val, (n) => `use a smaller ${n('validationSplit')}`, 'validationSplit') : []),
  ]);
  const tableBytes = (stepsPerEpoch + testPlan.batches + (valPlan?.batches ?? 0) + trainPlan.batches) * uniformStride(device);
  if (tableBytes > limits.maxBufferSize) {
    throw new UserError((n) => `the step table (${stepsPerEpoch} steps per epoch) needs ${mib(tableBytes)}, more than this GPU's maxBufferSize: use a larger ${n('batchSize')}`, 'batchSize');
  }
  const groups = matmulGroupsAlong(Math.max(...spec.layers, maxRows));
  if (groups > limits.maxComputeWorkgroupsPerDimension) {
    throw new UserError((n) => `a matmul would need ${groups} workgroups in one dimension, more than this GPU's maxComputeWorkgroupsPerDimension (${limits.maxComputeWorkgroupsPerDimension}): ${smallerLayersOrBatch(n)}`, 'batchSize');
  }
  return { table, stepsPerEpoch, evalRows, test: testPlan, val: valPlan, train: trainPlan, maxRows };
}

/** A set of `count` samples in batches of evalRows, its first batch at evaluation slot firstSlot. */
export function evalPlan(count: number, evalRows: number, firstSlot: number): EvalPlan {
  const batches = Math.max(1, Math.ceil(count / evalRows));
  return { count, batches, lastRows: count - (batches - 1) * evalRows || evalRows, firstSlot };
}

/** A buffer: what it holds, its bytes, how to make it smaller, and the setting that would. */
type StorageNeed = [what: string, bytes: number, fix: Wording, field?: Field];

/**
 * Whether a set is gathered from its bytes (gather.wgsl): byte images with byte labels, MNIST's. Every other set is
 * stored as float32 inputs and 32-bit labels (gather_floats.wgsl).
 */
export const gathersBytes = (set: Dataset): boolean => set.inputs instanceof Uint8Array && set.labels instanceof Uint8Array;

/** The buffers of a set as uploadSet stores it: bytes, or 4 bytes per input and per label word. */
function setStorage(spec: ModelSpec, name: string, set: Dataset, fix: Wording, field?: Field): StorageNeed[] {
  const bytes = gathersBytes(set) ? 1 : 4;
  return [
    [`the ${name} ${set.inputs instanceof Uint8Array ? 'images' : 'inputs'}`, set.count * set.features * bytes, fix, field],
    [`the ${name} labels`, set.count * labelWidth(spec) * bytes, fix, field],
  ];
}

/** Every buffer must fit one binding and one buffer of this device. */
function checkStorage(device: GPUDevice, storage: StorageNeed[]): void {
  for (const [what, bytes, fix, field] of storage) {
    for (const limit of ['maxStorageBufferBindingSize', 'maxBufferSize'] as const) {
      if (bytes > device.limits[limit]) {
        throw new UserError((n) => `${what} need ${mib(bytes)}, more than this GPU's ${limit} (${mib(device.limits[limit])}): ${fix(n)}`, field);
      }
    }
  }
}

/** How to fix a prediction that does not fit the device, in the limit checks and the set-up's error scopes. */
export const PREDICTION_FIX: Wording = () => 'predict fewer images at once';

/** How to fix a session that does not fit the device's memory. */
export const SESSION_FIX = smallerLayersOrBatch;

/**
 * How `set` is predicted, in batches of the session's evalRows, checked against the device's limits; null for an
 * empty set, which needs no GPU work.
 */
export function predictionPlan(plan: Plan, spec: ModelSpec, set: Dataset, device: GPUDevice): EvalPlan | null {
  const { table, evalRows } = plan;
  const classes = table.layers[table.layers.length - 1].outSize;
  checkInputs(spec, set, 'prediction');
  const bytes = set.count * classes * 4;
  if (set.count === 0) return null;
  const prediction = evalPlan(set.count, evalRows, 0);
  checkStorage(device, [
    ...setStorage(spec, 'prediction', set, PREDICTION_FIX),
    ['the predictions', bytes, PREDICTION_FIX],
    ["the prediction's step table", prediction.batches * uniformStride(device), PREDICTION_FIX],
  ]);
  return prediction;
}
