/**
 * A session's set-up: its plan, then inside error scopes its buffers, step table and dispatch lists, everything a
 * session call records from. A prediction sets up its own few objects the same way.
 */
import type { Dataset, SessionOptions } from '../backend.js';
import { PLAIN_SGD } from '../model/optimizer.js';
import { allocateBuffers, evalSlots, uploadSet } from './buffers.js';
import type { Gpu } from './device.js';
import { evalBatch, predictBatch, trainStep, updateRule, type DataBuffers, type NetBuffers, type NetConfig } from './graph.js';
import type { Kernels } from './kernels.js';
import type { MatmulChoice } from './matmul.js';
import { PREDICTION_FIX, SESSION_FIX, type EvalPlan, type Plan } from './plan.js';
import { buildDispatches, createStepTable, type Dispatch } from './program.js';
import { buildBatchLists, Recorder, type BatchLists } from './recorder.js';
import { Resources, scoped } from './resources.js';
import { evalEntries, trainingEntries } from './step-table.js';

/** What a session is made of, all made once at set-up. */
export interface SessionParts {
  gpu: Gpu;
  res: Resources;
  plan: Plan;
  buffers: NetBuffers;
  stepTable: GPUBuffer;
  /** The dispatches of one training step (none for an evaluate-only session). */
  step: Dispatch[];
  evals: { test: BatchLists; val?: BatchLists; train: BatchLists };
  recorder: Recorder;
  /** What a prediction builds its own dispatches with. */
  kernels: Kernels;
  net: NetConfig;
  matmul: MatmulChoice;
}

/** Makes a session's parts by its plan (makePlan's, which refused what does not fit the device). */
export async function setUpSession(
  gpu: Gpu, kernels: Kernels, options: SessionOptions, plan: Plan, matmul: MatmulChoice,
): Promise<SessionParts> {
  const { device } = gpu;
  const { table, stepsPerEpoch } = plan;
  const { spec } = options;
  const net: NetConfig = {
    activation: spec.activation, loss: spec.loss, labelSmoothing: spec.labelSmoothing, task: spec.task,
    dropout: options.dropout,
  };
  const res = new Resources(gpu);
  try {
    const parts = await scoped(device, 'the model', SESSION_FIX, async (): Promise<SessionParts> => {
      const update = updateRule(options.optimizer ?? PLAIN_SGD, options.schedule ?? { name: 'constant' }, options.learningRate);
      const buffers = allocateBuffers(res, plan, options, net, update);
      // Entries 0 .. steps-1: training step s starts at s·batch, loss slot s. Then one per evaluation batch, of the
      // test set, of the validation set and of the training set.
      const stepTable = createStepTable(res, [
        ...trainingEntries(options, stepsPerEpoch, 0),
        ...evalEntries(plan.test, plan.evalRows),
        ...(plan.val ? evalEntries(plan.val, plan.evalRows) : []),
        ...evalEntries(plan.train, plan.evalRows),
      ]);
      const step = options.evaluateOnly
        ? []
        : await buildDispatches(res, kernels, trainStep(table, net, buffers, options.batch, update, matmul), stepTable, 'train step');
      const evalLists = (set: DataBuffers, setPlan: EvalPlan, name: string) =>
        buildBatchLists(res, kernels, stepTable, plan.evalRows, setPlan,
          (rows) => evalBatch(table, net, buffers, set, rows, matmul), { full: `${name} eval batch`, last: `last ${name} eval batch` });
      const evals = {
        test: await evalLists(buffers.test, plan.test, 'test'),
        val: buffers.val && plan.val ? await evalLists(buffers.val, plan.val, 'val') : undefined,
        train: await evalLists(buffers.train, plan.train, 'train'),
      };
      const stagingBytes = Math.max(stepsPerEpoch * 4, evalSlots(plan) * 8, table.total * 4);
      const staging = res.buffer('read back', stagingBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
      const recorder = new Recorder(gpu, res.stats, staging);
      return { gpu, res, plan, buffers, stepTable, step, evals, recorder, kernels, net, matmul };
    });
    res.endSetup();
    return parts;
  } catch (error) {
    res.destroy();
    throw error;
  }
}

/** What one prediction records from: its dispatch lists, and where its outputs gather and are read back. */
export interface PredictionParts {
  lists: BatchLists;
  outputs: GPUBuffer;
  staging: GPUBuffer;
}

/**
 * Makes a prediction's objects in `res` (which the caller destroys): `set` uploaded unless it is one of the
 * session's own sets, a step table of plan's batches, the forward pass's dispatch lists, and buffers for `bytes`.
 */
export function setUpPrediction(
  parts: SessionParts, res: Resources, options: SessionOptions, set: Dataset, plan: EvalPlan, bytes: number,
): Promise<PredictionParts> {
  const { kernels, net, matmul, buffers, plan: { table, evalRows } } = parts;
  return scoped(parts.gpu.device, 'the prediction', PREDICTION_FIX, async () => {
    // The session's own sets are on the GPU already (eval predicts its test set, training a regression all three).
    const data = (set === options.test && buffers.test) || (set === options.val && buffers.val) ||
      (set === options.train && buffers.train) || uploadSet(res, 'predict', set, options.spec);
    const stepTable = createStepTable(res, evalEntries(plan, evalRows));
    return {
      lists: await buildBatchLists(res, kernels, stepTable, evalRows, plan,
        (rows) => predictBatch(table, net, buffers, data, rows, matmul), { full: 'predict batch', last: 'predict batch' }),
      outputs: res.buffer('predictions', bytes, GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC),
      staging: res.buffer('predictions read back', bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST),
    };
  });
}
