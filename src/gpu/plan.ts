/**
 * The sizes of a session, worked out and checked against the device's limits before anything is allocated: how the
 * epoch and the evaluation sets divide into steps and batches, and whether every buffer fits this device.
 */
import type { Dataset, SessionSizes } from '../backend.js';
import { UserError } from '../errors.js';
import { paramTable, type ParamTable } from '../model/params.js';
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

/** Sizes of a session, worked out (and checked against the device) before anything is allocated. */
export interface Plan {
  table: ParamTable;
  stepsPerEpoch: number;
  evalRows: number;
  test: EvalPlan;
  val?: EvalPlan;
  /** Rows the activation buffers hold: the larger of the batch and the evaluation batch. */
  maxRows: number;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * Sizes the session and checks them against the device's limits; every problem is a UserError naming the limit.
 * Needs no parameters, so a model too large for the device is refused before anything is allocated, even on the CPU.
 */
export function makePlan(options: SessionSizes, evalRowsWanted: number, device: GPUDevice): Plan {
  const { spec, batch, train, test, val } = options;
  const table = paramTable(spec);
  const features = spec.layers[0];
  if (!Number.isInteger(batch) || batch < 1 || batch > train.count) {
    throw new UserError(`--batch must be an integer from 1 to the training set's ${train.count} samples, got ${batch}`);
  }
  checkSet('training', train, features);
  checkSet('test', test, features);
  if (val) checkSet('validation', val, features);
  const stepsPerEpoch = Math.floor(train.count / batch);
  const evalRows = Math.max(1, Math.min(evalRowsWanted, Math.max(test.count, val?.count ?? 0)));
  const testPlan = evalPlan(test.count, evalRows, 0);
  const valPlan = val && evalPlan(val.count, evalRows, testPlan.batches);
  const maxRows = Math.max(batch, evalRows);

  const limits = device.limits;
  const hint = 'use smaller layers or a smaller --batch';
  checkStorage(device, [
    ['the parameters', table.total * 4, 'use smaller layers'],
    ...spec.layers.map((width, l): [string, number, string] => [`layer ${l}'s activations (${maxRows} rows x ${width})`, maxRows * width * 4, hint]),
    ['the training images', train.count * features, 'this GPU cannot hold the training set in one buffer'],
    ['the test images', test.count * features, 'this GPU cannot hold the test set in one buffer'],
    ...(val ? [['the validation images', val.count * features, 'use a smaller --val'] as [string, number, string]] : []),
  ]);
  const tableBytes = (stepsPerEpoch + testPlan.batches + (valPlan?.batches ?? 0)) * uniformStride(device);
  if (tableBytes > limits.maxBufferSize) {
    throw new UserError(`the step table (${stepsPerEpoch} steps per epoch) needs ${mib(tableBytes)}, more than this GPU's maxBufferSize: use a larger --batch`);
  }
  const groups = matmulGroupsAlong(Math.max(...spec.layers, maxRows));
  if (groups > limits.maxComputeWorkgroupsPerDimension) {
    throw new UserError(`a matmul would need ${groups} workgroups in one dimension, more than this GPU's maxComputeWorkgroupsPerDimension (${limits.maxComputeWorkgroupsPerDimension}): ${hint}`);
  }
  return { table, stepsPerEpoch, evalRows, test: testPlan, val: valPlan, maxRows };
}

/** A set of `count` samples in batches of evalRows, its first batch at evaluation slot firstSlot. */
export function evalPlan(count: number, evalRows: number, firstSlot: number): EvalPlan {
  const batches = Math.max(1, Math.ceil(count / evalRows));
  return { count, batches, lastRows: count - (batches - 1) * evalRows || evalRows, firstSlot };
}

/** A set must have the model's input size and hold as many pixels and labels as its count says. */
export function checkSet(name: string, set: Dataset, features: number): void {
  if (set.features !== features) {
    throw new UserError(`the model's input size ${features} does not match the ${name} images (${set.features} pixels)`);
  }
  if (set.pixels.length < set.count * features || set.labels.length < set.count) {
    throw new Error(`the ${name} set holds fewer pixels or labels than its count (${set.count}) says`);
  }
}

/** Every buffer, [what, bytes, how to fix it], must fit one binding and one buffer of this device. */
export function checkStorage(device: GPUDevice, storage: [string, number, string][]): void {
  for (const [what, bytes, fix] of storage) {
    for (const limit of ['maxStorageBufferBindingSize', 'maxBufferSize'] as const) {
      if (bytes > device.limits[limit]) {
        throw new UserError(`${what} need ${mib(bytes)}, more than this GPU's ${limit} (${mib(device.limits[limit])}): ${fix}`);
      }
    }
  }
}

/** How to fix a prediction that does not fit the device, in the limit checks and the set-up's error scopes. */
export const PREDICTION_FIX = 'predict fewer images at once';

/**
 * How `set` is predicted, in batches of the session's evalRows, checked against the device's limits; null for an
 * empty set, which needs no GPU work.
 */
export function predictionPlan(plan: Plan, set: Dataset, device: GPUDevice): EvalPlan | null {
  const { table, evalRows } = plan;
  const classes = table.layers[table.layers.length - 1].outSize;
  checkSet('prediction', set, table.layers[0].inSize);
  const bytes = set.count * classes * 4;
  if (set.count === 0) return null;
  const prediction = evalPlan(set.count, evalRows, 0);
  checkStorage(device, [
    ['the images to predict', set.count * set.features, PREDICTION_FIX],
    ['the predictions', bytes, PREDICTION_FIX],
    ["the prediction's step table", prediction.batches * uniformStride(device), PREDICTION_FIX],
  ]);
  return prediction;
}
