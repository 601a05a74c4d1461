/**
 * Sets larger than a storage binding: stored in shards of whole rows (uploadSet) and gathered by one dispatch per
 * shard. With a tiny dataShardBytes, so that the training, test and validation sets each lie in 3 or more shards whose
 * boundaries fall on no batch boundary, a session computes bit for bit what the same session computes unsharded: its
 * losses, parameters, scores and predictions (of its own sets and of a set uploaded for the prediction), for float
 * tables (classification, and regression with 2 target words a row), byte images (13 bytes a row, so shards split
 * mid-word) and two models trained on folds. Sets larger than the backend's gpuDataBytes: streamed through a
 * window of 22 rows (3 steps of 7, 2 evaluation batches of 8; 1 step of both models on folds), so that chunks of 4
 * and 6 steps cross windows, the same, bit for bit as resident, with the same dispatches.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Dataset, EvalSet, ModelsOptions, SessionOptions } from '../src/backend.js';
import { cliName } from '../src/cli/failure.js';
import { UserError } from '../src/errors.js';
import { createWebGpuBackend, type WebGpuBackend } from '../src/gpu/backend.js';
import { makePlan, setupFailure } from '../src/gpu/plan.js';
import type { WebGpuModels } from '../src/gpu/session.js';
import { nodeShaderLoader } from '../src/gpu/shaders-node.js';
import type { WebGpuSession } from '../src/gpu/single-session.js';
import { makeOptimizer } from '../src/model/optimizer.js';
import { initParams, paramTable } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { type ModelSpec, makeSpec } from '../src/model/spec.js';
import { EVAL_ROWS, randomSessionData, randomTableData, type TableLabels, useTestGpu } from './gpu-fixture.js';
import { randomArray } from './helpers.js';

const fixture = useTestGpu();
const BATCH = 7;
const COUNTS = { train: 75, test: 23, val: 13 };
/** Training steps per epoch (75 rows in batches of 7), and evaluation batches of EVAL_ROWS per set. */
const STEPS = 10;
const EVAL_BATCHES: Record<EvalSet, number> = { test: 3, val: 2, train: 10 };
/** Each case's shards: 6 rows each (the last shorter), boundaries at 6, 12, 18, ...: on no batch of 7 or of 8. */
const SHARDS: Record<EvalSet, number> = { train: 13, test: 4, val: 3 };

/** Window rows of the streamed cases: float32 inputs and label words. */
const WINDOW_ROWS = 22;

const backends = new Map<string, Promise<WebGpuBackend>>();
/** A backend on the test GPU with these data limits (the same pipelines as the fixture's). */
const limitedBackend = (limits: { dataShardBytes?: number; gpuDataBytes?: number }): Promise<WebGpuBackend> => {
  const key = JSON.stringify(limits);
  if (!backends.has(key)) {
    backends.set(key, createWebGpuBackend(nodeShaderLoader, { gpu: fixture.gpu, evalRows: EVAL_ROWS, ...limits }));
  }
  return backends.get(key)!;
};
const shardedBackend = (bytes: number) => limitedBackend({ dataShardBytes: bytes });
/** A backend whose window holds WINDOW_ROWS rows of `width` floats (inputs and label words). */
const streamedBackend = (width: number) => limitedBackend({ gpuDataBytes: WINDOW_ROWS * width * 4 });
afterAll(async () => {
  for (const backend of backends.values()) (await backend).dispose();
});

/** Float32 values as their bit patterns, so that equality is bitwise. */
const bits = (values: Float32Array): number[] =>
  Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));

/** What a session computes and what it dispatches, in plain values to compare whole. */
interface Run {
  losses: number[];
  scores: unknown[];
  params: number[][];
  predictions: number[][];
  dispatchesPerStep: number;
  /** Dispatches of evaluating each set once. */
  evalDispatches: Record<EvalSet, number>;
  /** Submits of the whole run. */
  submits: number;
}

/** Two epochs, every set evaluated, the parameters read, the test set and `extra` predicted. */
async function runSession(backend: WebGpuBackend, options: SessionOptions, orders: Uint32Array[], extra: Dataset) {
  const session: WebGpuSession = await backend.createSession(options);
  try {
    const losses: number[] = [];
    for (const [epoch, order] of orders.entries()) {
      session.setEpochOrder(order, epoch * STEPS);
      losses.push(await session.trainSteps(0, 4), await session.trainSteps(4, STEPS - 4));
    }
    const scores: unknown[] = [];
    const evalDispatches = { test: 0, val: 0, train: 0 };
    for (const set of ['test', 'val', 'train'] as const) {
      const before = session.stats.dispatches;
      scores.push(await session.evaluate(set));
      evalDispatches[set] = session.stats.dispatches - before;
    }
    const run: Run = {
      losses,
      scores,
      params: [bits(await session.readParams())],
      predictions: [bits(await session.predict(options.test!)), bits(await session.predict(extra))],
      dispatchesPerStep: session.dispatchesPerStep,
      evalDispatches,
      submits: session.stats.submits,
    };
    return run;
  } finally {
    session.dispose();
  }
}

/**
 * Sharded equals unsharded bitwise; the unsharded session gathers once a step (`dispatches` a step in all), the
 * sharded one once per shard of SHARDS, a step and an evaluation batch.
 */
function expectSameRuns(sharded: Run, plain: Run, dispatches: number): void {
  expect(sharded.losses.every(Number.isFinite)).toBe(true);
  const results = (run: Run) => ({ ...run, dispatchesPerStep: 0, evalDispatches: 0, submits: 0 });
  expect(results(sharded)).toEqual(results(plain));
  expect(plain.dispatchesPerStep).toBe(dispatches);
  expect(sharded.dispatchesPerStep).toBe(dispatches + SHARDS.train - 1);
  for (const set of ['test', 'val', 'train'] as const) {
    const extra = EVAL_BATCHES[set] * (SHARDS[set] - 1);
    expect(sharded.evalDispatches[set] - plain.evalDispatches[set], set).toBe(extra);
  }
}

const classes: TableLabels = (rng, count) => Uint32Array.from({ length: count }, () => rng.below(3));
const targets =
  (width: number): TableLabels =>
  (rng, count) =>
    randomArray(rng, count * width, -1, 1);

/** A fresh set to predict, not on the GPU before, of the session's kind. */
function extraSet(like: Dataset, count: number, width: number): Dataset {
  const rng = new Rng(count);
  const { features } = like;
  const inputs =
    like.inputs instanceof Uint8Array
      ? Uint8Array.from({ length: count * features }, () => rng.below(256))
      : randomArray(rng, count * features, -2, 2);
  const labels =
    like.labels instanceof Float32Array
      ? randomArray(rng, count * width, -1, 1)
      : like.labels instanceof Uint8Array
        ? Uint8Array.from({ length: count }, () => rng.below(10))
        : Uint32Array.from({ length: count }, () => rng.below(3));
  return { inputs, labels, count, features } as Dataset;
}

describe('a session whose sets lie in shards, or are streamed', () => {
  // name, spec, labels (none: byte images), shard bytes (6 rows of the widest part of a row)
  const cases: [string, ModelSpec, TableLabels | null, number][] = [
    ['a float table, classification', makeSpec([5, 9, 3]), classes, 128],
    [
      'a float table, regression with 2 targets a row',
      makeSpec([3, 9, 2], { task: 'regression', loss: 'mse' }),
      targets(2),
      80,
    ],
    ['byte images of 13 pixels (shards start mid-word)', makeSpec([13, 9, 10]), null, 80],
  ];

  /** The case's session options, a set to predict that is not on the GPU, and its orders. */
  const caseOf = (spec: ModelSpec, labels: TableLabels | null) => {
    const features = spec.layers[0];
    const data = labels
      ? randomTableData(31, features, COUNTS, 2, labels)
      : (randomSessionData(31, features, COUNTS, 2) as Required<ReturnType<typeof randomSessionData>>);
    const options: SessionOptions = {
      spec,
      params: initParams(paramTable(spec), 5),
      batch: BATCH,
      learningRate: 0.05,
      optimizer: makeOptimizer('adam'),
      train: data.train,
      test: data.test,
      val: data.val,
    };
    return { options, orders: data.orders, extra: extraSet(data.train, 19, spec.layers[spec.layers.length - 1]) };
  };

  it.each(cases)('%s: bitwise as unsharded', async (_, spec, labels, shardBytes) => {
    const { options, orders, extra } = caseOf(spec, labels);
    const plain = await runSession(fixture.backend, options, orders, extra);
    const sharded = await runSession(await shardedBackend(shardBytes), options, orders, extra);
    // A step of 2 layers with fused ReLU: gather, 2 matmuls, the loss, 1 input and 2 weight gradients; Adam's update.
    expectSameRuns(sharded, plain, 3 * 2 + 1 + 1);
  });

  it.each(cases)('%s: streamed through a window, bitwise as resident, the same dispatches', async (_, spec, labels) => {
    const { options, orders, extra } = caseOf(spec, labels);
    const width = spec.layers[0] + (spec.task === 'regression' ? spec.layers[spec.layers.length - 1] : 1);
    const plain = await runSession(fixture.backend, options, orders, extra);
    const streamed = await runSession(await streamedBackend(width), options, orders, extra);
    expect(streamed.losses.every(Number.isFinite)).toBe(true);
    expect({ ...streamed, submits: 0 }).toEqual({ ...plain, submits: 0 });
    // Chunks [0, 4) and [4, 10) in windows of 3 steps: 2 and 3 submits a chunk, against 1; more for the evaluations.
    expect(streamed.submits).toBeGreaterThanOrEqual(plain.submits + 2 * 3);
  });
});

describe('models trained together on folds of a sharded set', () => {
  it('2 models, each on its own rows, scored on its own fold: bitwise as unsharded', async () => {
    const spec = makeSpec([5, 9, 3]);
    const data = randomTableData(32, 5, COUNTS, 0, classes);
    const fold = (offset: number) => {
      const all = Array.from({ length: COUNTS.train }, (_, r) => r);
      return {
        trainRows: Uint32Array.from(all.filter((r) => r % 3 !== offset)),
        valRows: Uint32Array.from(all.filter((r) => r % 3 === offset)),
      };
    };
    const options: ModelsOptions = {
      spec,
      batch: BATCH,
      train: data.train,
      test: data.test,
      models: [
        { params: { seed: 1 }, learningRate: 0.1, ...fold(0) },
        { params: { seed: 2 }, learningRate: 0.05, ...fold(2) },
      ],
    };
    const extra = extraSet(data.train, 19, 3);
    const run = async (backend: WebGpuBackend) => {
      const models = (await backend.createModels(options)) as WebGpuModels;
      try {
        const losses: number[][] = [];
        for (const epoch of [0, 1]) {
          const rng = new Rng(epoch + 7);
          const orders = options.models.map((m) =>
            rng.shuffle(Uint32Array.from({ length: m.trainRows!.length }, (_, r) => r)),
          );
          models.setEpochOrders(
            orders,
            models.stepsPerEpoch.map((steps) => epoch * steps),
          );
          losses.push(Array.from(await models.trainSteps(0, Math.max(...models.stepsPerEpoch))));
        }
        const scores = [];
        for (const set of ['test', 'val', 'train'] as const) scores.push(await models.evaluate(set));
        return {
          losses,
          scores,
          params: (await models.readParams()).map(bits),
          outputs: (await models.outputs('val')).map(bits),
          predictions: (await models.predict(extra)).map(bits),
          dispatchesPerStep: models.dispatchesPerStep,
        };
      } finally {
        models.dispose();
      }
    };
    const plain = await run(fixture.backend);
    const sharded = await run(await shardedBackend(128));
    expect(sharded.losses.flat().every(Number.isFinite)).toBe(true);
    expect({ ...sharded, dispatchesPerStep: 0 }).toEqual({ ...plain, dispatchesPerStep: 0 });
    expect(plain.dispatchesPerStep).toBe(3 * 2 + 1);
    expect(sharded.dispatchesPerStep).toBe(plain.dispatchesPerStep + SHARDS.train - 1);
    // Streamed: a window of 22 rows holds one step of both models, and each model's own rows of one batch of 8.
    expect(await run(await streamedBackend(5 + 1))).toEqual(plain);
  });
});

describe('the limits of a sharded or streamed set', () => {
  it('refuses a window smaller than a step of every model, and a gpuDataBytes that is no size', async () => {
    const spec = makeSpec([5, 9, 3]);
    const data = randomTableData(34, 5, COUNTS, 0, classes);
    const options = { spec, batch: BATCH, learningRate: 0.1, train: data.train, test: data.test };
    const small = await limitedBackend({ gpuDataBytes: 6 * 24 }); // 6 rows of 5 features and a label word
    const refusal =
      'streaming the data sets (2,352 bytes) needs a window of one step of every model, 7 rows (168 bytes), more ' +
      'than gpuDataBytes or a data shard holds: raise gpuDataBytes or use a smaller batchSize';
    const session = { ...options, params: initParams(paramTable(spec), 1) };
    await expect(small.createSession(session)).rejects.toThrow(refusal);
    expect(() => small.checkFits(options)).toThrow(refusal);
    // Sets that fit (75 + 23 rows of 24 bytes) are resident; a byte less, and a window of 97 rows holds the epoch.
    const device = fixture.gpu.device;
    expect(makePlan(options, EVAL_ROWS, device, { residentBytes: 98 * 24 }).stream).toBeUndefined();
    expect(makePlan(options, EVAL_ROWS, device, { residentBytes: 98 * 24 - 1 }).stream).toEqual({
      rows: 97,
      steps: 10,
    });
    // Out of memory at set-up, a session of resident sets is told it may stream them; a streamed one is not.
    const [, fix] = setupFailure(makePlan(options, EVAL_ROWS, device));
    expect(fix(cliName)).toBe(
      'use smaller layers or a smaller --batch-size, or set --gpu-data-bytes to stream the data sets through the GPU',
    );
    const [, streamedFix] = setupFailure(makePlan(options, EVAL_ROWS, device, { residentBytes: 1000 }));
    expect(streamedFix(cliName)).toBe('use smaller layers or a smaller --batch-size');
    for (const bad of [0, 8, 1.5, Number.NaN]) {
      const backend = await limitedBackend({ gpuDataBytes: bad });
      expect(() => backend.checkFits(options)).toThrow(/^gpuDataBytes must be a whole number of bytes, at least 16/);
    }
  });

  it('refuses a row larger than a shard, and a dataShardBytes that is no size, naming the fix', async () => {
    const spec = makeSpec([5, 9, 3]);
    const data = randomTableData(33, 5, COUNTS, 0, classes);
    const options = { spec, batch: BATCH, learningRate: 0.1, train: data.train, test: data.test };
    const narrow = await shardedBackend(16); // a row of 5 floats is 20 bytes
    const session = { ...options, params: initParams(paramTable(spec), 1) };
    const refusal =
      'one row of inputs (5 features) of the training set needs 20 bytes, more than a data shard holds ' +
      "(16 bytes, the backend's dataShardBytes): raise dataShardBytes";
    await expect(narrow.createSession(session)).rejects.toThrow(new UserError(refusal));
    expect(() => narrow.checkFits(options)).toThrow(/raise dataShardBytes$/);
    for (const bad of [0, 8, 1.5, Number.NaN]) {
      const backend = await createWebGpuBackend(nodeShaderLoader, { gpu: fixture.gpu, dataShardBytes: bad });
      try {
        expect(() => backend.checkFits(options)).toThrow(
          /^dataShardBytes must be a whole number of bytes, at least 16/,
        );
      } finally {
        backend.dispose();
      }
    }
  });
});
