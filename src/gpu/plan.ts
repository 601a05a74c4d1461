/**
 * A GPU session's plan, worked out before anything is allocated (the parameters included): how the epoch and the
 * evaluated sets divide into steps and batches, whether every buffer fits this device, and the step table that tells
 * each recorded step where its work is (the buffers themselves are made in ./buffers.ts).
 */
import type { Dataset, SessionSettings } from '../backend.js';
import { type CheckedSession, checkInputs, checkSession } from '../check.js';
import { type Field, UserError, type Wording } from '../errors.js';
import { learningRateAt } from '../model/schedule.js';
import { labelWidth, type ModelSpec } from '../model/spec.js';
import { matmulGroupsAlong } from './kernels/matmul.js';
import { optimizerStepValues } from './kernels/updates.js';

/** Test rows per evaluation batch when none is asked for: few dispatches for MNIST's 10,000, small activations. */
export const DEFAULT_EVAL_ROWS = 1024;

/** How a labelled set is evaluated (or predicted): in batches of evalRows rows. */
export interface EvalPlan {
  count: number;
  batches: number;
  /** Rows per batch: the session's evalRows. */
  rows: number;
  /** Rows of the final batch: a set need not be a multiple of evalRows. */
  lastRows: number;
  /** The slot of its first batch in evalOut; batch b reads step-table entry stepsPerEpoch + firstSlot + b. */
  firstSlot: number;
}

/** The GPU's layout of a session, worked out (and checked against the device) before anything is allocated. */
export interface Plan extends CheckedSession {
  evalRows: number;
  /** Absent without a test set (or a validation set): evaluate refuses that set. */
  test?: EvalPlan;
  val?: EvalPlan;
  /** The training set evaluated as a whole, after the test and validation sets' slots. */
  train: EvalPlan;
  /** Rows the activation buffers hold: the larger of the batch and the evaluation batch. */
  maxRows: number;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** How to fix a session that does not fit the device's memory. */
export const SESSION_FIX: Wording = (n) => `use smaller layers or a smaller ${n('batchSize')}`;

/** How to fix a prediction that does not fit the device, in the limit checks and the set-up's error scopes. */
export const PREDICTION_FIX: Wording = () => 'predict fewer images at once';

/**
 * The plan of a session, its settings checked (checkSession) and then its sizes against the device's limits (every
 * limit exceeded is a UserError naming it). It needs no parameters, so a model too large is refused before they are
 * initialised.
 */
export function makePlan(settings: SessionSettings, evalRowsWanted: number, device: GPUDevice): Plan {
  const { spec, batch, train, test, val } = settings;
  const checked = checkSession(settings);
  const { table, stepsPerEpoch } = checked;
  const evalCount = Math.max(test?.count ?? 0, val?.count ?? 0) || train.count;
  const evalRows = Math.max(1, Math.min(evalRowsWanted, evalCount));
  const testPlan = test && evalPlan(test.count, evalRows, 0);
  const valPlan = val && evalPlan(val.count, evalRows, testPlan?.batches ?? 0);
  const trainPlan = evalPlan(train.count, evalRows, (testPlan?.batches ?? 0) + (valPlan?.batches ?? 0));
  const maxRows = Math.max(batch, evalRows);
  const plan: Plan = { ...checked, evalRows, test: testPlan, val: valPlan, train: trainPlan, maxRows };

  const limits = device.limits;
  checkStorage(device, [
    ['the parameters', table.total * 4, () => 'use smaller layers', 'layers'],
    ...spec.layers.map(
      (width, l): StorageNeed => [
        `layer ${l}'s activations (${maxRows} rows x ${width})`,
        maxRows * width * 4,
        SESSION_FIX,
        'batchSize',
      ],
    ),
    ...setStorage(spec, 'training', train, () => 'this GPU cannot hold the training set in one buffer'),
    ...(test ? setStorage(spec, 'test', test, () => 'this GPU cannot hold the test set in one buffer') : []),
    ...(val
      ? setStorage(spec, 'validation', val, (n) => `use a smaller ${n('validationSplit')}`, 'validationSplit')
      : []),
  ]);
  const tableBytes = (stepsPerEpoch + evalSlots(plan)) * uniformStride(device);
  if (tableBytes > limits.maxBufferSize) {
    throw new UserError(
      (n) =>
        `the step table (${stepsPerEpoch} steps per epoch) needs ${mib(tableBytes)}, ` +
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

/** A set of `count` samples in batches of evalRows, its first batch at evaluation slot firstSlot. */
export function evalPlan(count: number, evalRows: number, firstSlot: number): EvalPlan {
  const batches = Math.max(1, Math.ceil(count / evalRows));
  return { count, batches, rows: evalRows, lastRows: count - (batches - 1) * evalRows || evalRows, firstSlot };
}

/** Evaluation batches of the test set, the validation set and the training set: one {loss sum, correct} slot each. */
export const evalSlots = (plan: Plan): number =>
  (plan.test?.batches ?? 0) + (plan.val?.batches ?? 0) + plan.train.batches;

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
  checkStorage(device, [
    ...setStorage(spec, 'prediction', set, PREDICTION_FIX),
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

/** The buffers of a set as uploadSet stores it: bytes, or 4 bytes per input and per label word. */
function setStorage(spec: ModelSpec, name: string, set: Dataset, fix: Wording, field?: Field): StorageNeed[] {
  const bytes = gathersBytes(set) ? 1 : 4;
  return [
    [
      `the ${name} ${set.inputs instanceof Uint8Array ? 'images' : 'inputs'}`,
      set.count * set.features * bytes,
      fix,
      field,
    ],
    [`the ${name} labels`, set.count * labelWidth(spec) * bytes, fix, field],
  ];
}

/** Every buffer must fit one binding and one buffer of this device. */
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

// ---- the step table ----
//
// A chunk of training steps is one command buffer, and queue.writeBuffer lands before the whole submission runs, so
// nothing that changes from step to step can be written between the steps. Instead a uniform buffer holds one entry
// per training step of the epoch, then one per evaluation batch of the test, validation and training sets, `stride`
// bytes apart (minUniformBufferOffsetAlignment); a kernel declares a Step uniform (a prefix of the struct below),
// bound with a dynamic offset: recording step s passes s · stride, writing and creating nothing. The table changes
// only between epochs, and only where a kernel reads its run-dependent fields (a schedule, Adam's bias corrections,
// dropout's masks).

/**
 * One step-table entry, as WGSL's struct Step { start: u32, slot: u32, run: u32, lr: f32, opt: vec4f }:
 * - start: the first row of the epoch order (or of the set, as stored) this step or evaluation batch reads;
 * - slot: where it writes its result (the loss of training step s, the counts of evaluation batch b);
 * - run: the run's step count, 0-based (learning-rate schedule, optimiser bias corrections, dropout masks);
 * - lr: the learning rate of that step, the schedule evaluated on the CPU in float64 and rounded once;
 * - opt: four per-step values of the optimiser (its kernel's header says which), e.g. Adam's bias corrections.
 * Kernels that need fewer fields declare a shorter struct: the binding is STEP_BINDING bytes either way.
 */
export interface StepEntry {
  start: number;
  slot: number;
  run?: number;
  lr?: number;
  opt?: readonly number[];
}

/** Bytes of one step-table entry as bound: the whole struct Step. */
export const STEP_BINDING = 32;

/** Bytes between uniform entries: the device's offset alignment (256 at most, by the WebGPU spec). */
export const uniformStride = (device: GPUDevice): number => device.limits.minUniformBufferOffsetAlignment;

/** Writes `entries` into a step table's bytes, entry i at i · stride. */
export function encodeStepTable(entries: readonly StepEntry[], stride: number): ArrayBuffer {
  const bytes = new ArrayBuffer(Math.max(1, entries.length) * stride);
  const words = new Uint32Array(bytes);
  const floats = new Float32Array(bytes);
  entries.forEach(({ start, slot, run = 0, lr = 0, opt = [] }, i) => {
    const at = (i * stride) / 4;
    words.set([start, slot, run], at);
    floats[at + 3] = lr;
    floats.set(opt.slice(0, 4), at + 4);
  });
  return bytes;
}

/**
 * The entries of the training steps of an epoch whose step 0 is run step `firstStep`: step s reads the order from
 * s · batch, writes loss slot s, with the rate and optimiser values of run step firstStep + s.
 */
export function trainingEntries(settings: SessionSettings, plan: Plan, firstStep: number): StepEntry[] {
  return Array.from({ length: plan.stepsPerEpoch }, (_, s) => {
    const run = firstStep + s;
    const lr = learningRateAt(settings.learningRate, plan.schedule, run);
    return { start: s * settings.batch, slot: s, run, lr, opt: optimizerStepValues(plan.optimizer, lr, run) };
  });
}

/** The step-table entries of a set's evaluation batches: batch b reads from row b · rows, writes its slot. */
export function evalEntries({ batches, rows, firstSlot }: EvalPlan): StepEntry[] {
  return Array.from({ length: batches }, (_, b) => ({ start: b * rows, slot: firstSlot + b }));
}

/** A session's whole table: its training steps from run step 0, then every evaluation batch of every set. */
export function sessionEntries(settings: SessionSettings, plan: Plan): StepEntry[] {
  const sets = [plan.test, plan.val, plan.train];
  return [...trainingEntries(settings, plan, 0), ...sets.flatMap((set) => (set ? evalEntries(set) : []))];
}

/** Whether any kernel reads the step table's run-dependent fields (else they are written once, at set-up). */
export function runDependent(settings: SessionSettings): boolean {
  return (
    (settings.schedule !== undefined && settings.schedule.name !== 'constant') ||
    (settings.optimizer !== undefined && settings.optimizer.name !== 'sgd') ||
    (settings.dropout?.rate ?? 0) > 0
  );
}
