/**
 * A whole WebGPU session against CpuSession, for the layer tests (activations, dropout, losses, evaluation): the same
 * steps on both, then evaluation of the test and validation sets and a prediction, each with the dispatches, submits
 * and read backs it must take.
 */
import { expect } from 'vitest';
import type { Dataset, SessionOptions, TrainingSession } from '../src/backend.js';
import { CpuBackend } from '../src/cpu/backend.js';
import type { WebGpuBackend } from '../src/gpu/backend.js';
import { initParams, paramTable } from '../src/model/params.js';
import type { ModelSpec } from '../src/model/spec.js';
import { BATCH, LAYERS, lossTol, randomSessionData, type SessionData } from './gpu-fixture.js';
import { expectClose, expectTensorsClose } from './helpers.js';

/**
 * The sizes every session compared here has: 75 training samples (10 steps per epoch), 23 test samples in evaluation
 * batches of 8 (the last one 7), 13 validation samples (8 and 5), and 2 epoch orders.
 */
export const PARITY_COUNTS = { train: 75, test: 23, val: 13 };
export const PARITY_ORDERS = 2;

/** The sets of a comparison, of PARITY_COUNTS' sizes; the byte images below unless a test gives its own. */
export type ParityData = Required<SessionData<Dataset>>;

const data = randomSessionData(606, LAYERS[0], PARITY_COUNTS, PARITY_ORDERS);
export const { train: trainSet, test: testSet, orders } = data;
export const valSet = data.val!;
const images: ParityData = { train: trainSet, test: testSet, val: valSet, orders };

export function sessionOptions(spec: ModelSpec, rate = 0, sets: ParityData = images): SessionOptions {
  return {
    spec,
    params: initParams(paramTable(spec), 11),
    batch: BATCH,
    learningRate: spec.loss === 'mse' ? 0.5 : 0.1,
    train: sets.train,
    test: sets.test,
    val: sets.val,
    dropout: rate > 0 ? { rate, seed: 0x5eed } : undefined,
  };
}

/**
 * After 5 fp32 steps the parameters drift from the float64 reference by rounding only (about 1e-7); a wrong
 * derivative, mask or loss term shows as 1e-2 or more after one step. Per tensor, relative, as gpu-step.test.ts.
 */
export const PARAMS_TOL = { relative: 1e-4 };

// Dispatches per training step of the 3-layer net: gather, 3 matmuls, the loss, 2 input gradients, 3 weight gradients;
// 2 more per hidden layer without fused ReLU.
export const FUSED = 3 * 3 + 1;
export const UNFUSED = FUSED + 2 * 2;
// Per evaluation batch: gather, 3 matmuls (an activation kernel after each hidden one without ReLU), argmax_count.
export const EVAL_FUSED = 1 + 3 + 1;
export const EVAL_UNFUSED = EVAL_FUSED + 2;

/**
 * The same 5 steps on both sessions: 3 steps of an epoch that starts the run, then 2 of one that starts at run step
 * 10 (so dropout's masks must follow the run's step count through the step table, rewritten per epoch).
 */
async function trainBoth(
  cpu: TrainingSession,
  gpuSession: TrainingSession,
  epochOrders: Uint32Array[],
): Promise<[number, number][]> {
  const losses: [number, number][] = [];
  for (const [order, firstStep, count] of [
    [epochOrders[0], 0, 3],
    [epochOrders[1], 10, 2],
  ] as const) {
    cpu.setEpochOrder(order, firstStep);
    gpuSession.setEpochOrder(order, firstStep);
    losses.push([await gpuSession.trainSteps(0, count), await cpu.trainSteps(0, count)]);
  }
  return losses;
}

/** Training, evaluation of both sets and prediction, GPU against CPU, with the counts each must take. */
export async function compareSessions(
  backend: WebGpuBackend,
  spec: ModelSpec,
  rate: number,
  perStep: number,
  perEvalBatch: number,
  sets: ParityData = images,
): Promise<void> {
  const options = sessionOptions(spec, rate, sets);
  const cpu = await new CpuBackend().createSession(options);
  const session = await backend.createSession(options);
  const what = `${spec.task} ${spec.layers.join(',')}, ${spec.activation}, ${spec.loss}, dropout ${rate}`;
  try {
    expect(session.dispatchesPerStep, `${what}: dispatches per step`).toBe(perStep);
    const before = { ...session.stats };
    for (const [got, want] of await trainBoth(cpu, session, sets.orders))
      expectClose([got], [want], lossTol, `${what}: mean loss`);
    expect(session.stats.dispatches - before.dispatches).toBe(5 * perStep);
    expectTensorsClose(paramTable(spec), await session.readParams(), await cpu.readParams(), PARAMS_TOL, what);

    for (const [set, batches] of [
      ['test', 3],
      ['val', 2],
    ] as const) {
      const start = { ...session.stats };
      const [got, want] = [await session.evaluate(set), await cpu.evaluate(set)];
      expectClose([got.loss], [want.loss], lossTol, `${what}: ${set} loss`);
      expect(got.accuracy, `${what}: ${set} accuracy`).toBe(want.accuracy);
      if (spec.task === 'regression') expect(got.accuracy, 'a regression has no accuracy').toBeNaN();
      expect(session.stats.dispatches - start.dispatches, `${set} dispatches`).toBe(batches * perEvalBatch);
      expect(session.stats.submits - start.submits).toBe(1);
      expect(session.stats.readBacks - start.readBacks).toBe(1);
    }
    // predict reads a set of its own (here the validation set, 13 rows: batches of 8 and 5).
    const start = { ...session.stats };
    expectClose(
      await session.predict(sets.val),
      await cpu.predict(sets.val),
      { atol: 1e-5, rtol: 1e-4 },
      `${what}: predict`,
    );
    expect(session.stats.dispatches - start.dispatches).toBe(2 * (perEvalBatch - 1));
    expect(session.stats.submits - start.submits).toBe(1);
    expect(session.stats.buffersAfterSetup + session.stats.bindGroupsAfterSetup).toBe(0);
  } finally {
    session.dispose();
  }
}
