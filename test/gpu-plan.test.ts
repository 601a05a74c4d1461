/**
 * A GPU session's plan, without a GPU: every buffer allocateBuffers asks for holds the rows the session's dispatches
 * address (a training step's batch, a full evaluation batch), every result slot, and every sample of the epoch order,
 * and the step table's evaluation entries cover each set exactly once. Sizes are taken as asked for, before
 * Resources rounds them up to 16 bytes, so a buffer planned a row short fails here even where the rounding would
 * hide it on the device.
 */
import { describe, expect, it } from 'vitest';
import type { ModelsOptions, SessionSettings } from '../src/backend.js';
import { UserError } from '../src/errors.js';
import { allocateBuffers } from '../src/gpu/buffers.js';
import { type NetConfig, updateRule } from '../src/gpu/graph.js';
import { Pacer } from '../src/gpu/pacer.js';
import { asModels, makeModelsPlan, makePlan } from '../src/gpu/plan.js';
import type { Resources } from '../src/gpu/record.js';
import { sessionEntries } from '../src/gpu/tables.js';
import { makeOptimizer } from '../src/model/optimizer.js';
import { makeSpec } from '../src/model/spec.js';
import { toyDataset } from './toy.js';

// Outside Dawn these constants do not exist; only their presence matters here.
const USAGE = { MAP_READ: 1, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128 };
if (!('GPUBufferUsage' in globalThis)) Object.assign(globalThis, { GPUBufferUsage: USAGE });

const STRIDE = 256;
const device = {
  limits: {
    maxStorageBufferBindingSize: 2 ** 30,
    maxBufferSize: 2 ** 30,
    maxComputeWorkgroupsPerDimension: 65535,
    minUniformBufferOffsetAlignment: STRIDE,
  },
} as unknown as GPUDevice;

/** A Resources that makes no buffers: it records the bytes each was asked for, by label. */
function recordingResources(): { res: Resources; bytes: Map<string, number> } {
  const bytes = new Map<string, number>();
  const res = {
    buffer: (label: string, size: number) => {
      expect(bytes.has(label), `one buffer labelled ${label}`).toBe(false);
      bytes.set(label, size);
      return { label } as unknown as GPUBuffer;
    },
  } as unknown as Resources;
  return { res, bytes };
}

describe('a GPU session plan', () => {
  const spec = makeSpec([16, 24, 12, 4], { activation: 'tanh' });
  const train = toyDataset(1, 103);
  const cases: [string, number, number, number][] = [
    // name, batch, test samples, evaluation rows wanted
    ['the batch larger than an evaluation batch', 40, 30, 16],
    ['an evaluation batch larger than the batch', 7, 61, 25],
  ];

  it.each(cases)('%s: every buffer holds what the dispatches address', (_, batch, testCount, evalRowsWanted) => {
    const test = toyDataset(2, testCount);
    const val = toyDataset(3, 9);
    const settings: SessionSettings = {
      spec,
      batch,
      learningRate: 0.1,
      train,
      test,
      val,
      optimizer: makeOptimizer('adam'),
      dropout: { rate: 0.5, seed: 1 },
    };
    const plan = makePlan(settings, evalRowsWanted, device);
    const evalRows = Math.min(evalRowsWanted, testCount);
    expect(plan.evalRows).toBe(evalRows);
    const net: NetConfig = { activation: spec.activation, loss: spec.loss, task: spec.task, dropout: true };
    const update = updateRule(plan.models, plan.optimizer);
    const { res, bytes } = recordingResources();
    const total = plan.table.total;
    allocateBuffers(
      res,
      plan,
      asModels(settings),
      [{ params: new Float32Array(total), optimizerState: [] }],
      net,
      update,
    );

    // A training step addresses `batch` rows of every activation and gradient; an evaluation batch evalRows rows.
    const rows = Math.max(batch, evalRows);
    const need = new Map<string, number>([
      ['params', total * 4],
      ['grads', total * 4],
      ['optimizer exp_avg', total * 4],
      ['optimizer exp_avg_sq', total * 4],
      ['batch labels', rows * 4],
      ['losses', Math.floor(train.count / batch) * 4],
      ['epoch order', train.count * 4],
      ['normalisation', 256 * 4],
    ]);
    spec.layers.forEach((width, l) => {
      need.set(`acts ${l}`, rows * width * 4);
      if (l > 0) need.set(`delta ${l}`, rows * width * 4);
      if (l > 0 && l < spec.layers.length - 1) need.set(`pre ${l}`, rows * width * 4);
    });
    const batches = (count: number) => Math.ceil(count / evalRows);
    need.set('eval results', (batches(test.count) + batches(val.count) + batches(train.count)) * 8);
    for (const [name, set] of [
      ['train', train],
      ['test', test],
      ['val', val],
    ] as const) {
      need.set(`${name} inputs`, set.count * set.features);
      need.set(`${name} labels`, set.count);
    }
    for (const [label, wanted] of need) expect(bytes.get(label), label).toBeGreaterThanOrEqual(wanted);

    // The step table: each training step, then each set's evaluation batches, covering its samples exactly once.
    const entries = sessionEntries(plan);
    const steps = Math.floor(train.count / batch);
    expect(entries.slice(0, steps).map((e) => e.start)).toEqual(Array.from({ length: steps }, (_, s) => s * batch));
    let at = steps;
    for (const [setPlan, count] of [
      [plan.test!, test.count],
      [plan.val!, val.count],
      [plan.train, train.count],
    ] as const) {
      const covered = new Uint8Array(count);
      for (let b = 0; b < setPlan.batches; b++) {
        const { start, slot } = entries[at + b];
        expect(slot).toBe(setPlan.firstSlot + b);
        const batchRows = b === setPlan.batches - 1 ? setPlan.lastRows : evalRows;
        expect(batchRows).toBeLessThanOrEqual(rows);
        for (let r = start; r < start + batchRows; r++) covered[r]++;
      }
      expect(
        [...covered].every((times) => times === 1),
        'each sample evaluated once',
      ).toBe(true);
      at += setPlan.batches;
    }
    expect(entries).toHaveLength(at);
  });

  it('plans no test evaluation without a test set, and evaluates in batches of the training set then', () => {
    const settings: SessionSettings = { spec, batch: 8, learningRate: 0.1, train };
    const plan = makePlan(settings, 1024, device);
    expect(plan.test).toBeUndefined();
    expect(plan.evalRows).toBe(train.count);
    expect(plan.train).toEqual({
      count: train.count,
      batches: 1,
      rows: train.count,
      lastRows: train.count,
      firstSlot: 0,
      group: 1,
    });
  });
});

describe('a GPU plan of models trained together', () => {
  const spec = makeSpec([16, 24, 12, 4]);
  const train = toyDataset(1, 103);
  const rows = (from: number, count: number) => Uint32Array.from({ length: count }, (_, r) => from + r);
  const options: ModelsOptions = {
    spec,
    batch: 8,
    train,
    test: toyDataset(2, 30),
    models: [
      { params: { seed: 1 }, learningRate: 0.1, optimizer: makeOptimizer('rmsprop'), trainRows: rows(0, 70) },
      { params: { seed: 2 }, learningRate: 0.1, optimizer: makeOptimizer('rmsprop', { momentum: 0.9 }) },
      {
        params: { seed: 3 },
        learningRate: 0.1,
        optimizer: makeOptimizer('rmsprop', { centered: true }),
        trainRows: rows(10, 41),
        dropout: { rate: 0.2, seed: 1 },
      },
    ],
  };

  it('stacks a block per model in every per-model buffer, and keeps every slot any model keeps', () => {
    const plan = makeModelsPlan(options, 16, device);
    expect(plan.k).toBe(3);
    expect(plan.models.map((m) => m.stepsPerEpoch)).toEqual([8, 12, 5]);
    expect(plan.stepsPerEpoch).toBe(12);
    expect(plan.slots).toEqual(['square_avg', 'momentum_buffer', 'grad_avg']);
    expect(plan.models.map((m) => m.counts.train)).toEqual([70, 103, 41]);
    expect(plan.train.count).toBe(103);
    expect(plan.paramStride % 4).toBe(0);
    expect(plan.paramStride).toBeGreaterThanOrEqual(plan.table.total);
    const net: NetConfig = { activation: spec.activation, loss: spec.loss, task: spec.task, dropout: true };
    const { res, bytes } = recordingResources();
    const starts = plan.models.map(() => ({ params: new Float32Array(plan.table.total), optimizerState: [] }));
    allocateBuffers(res, plan, options, starts, net, updateRule(plan.models, plan.optimizer));
    const k = 3;
    for (const name of ['params', 'grads', ...plan.slots.map((slot) => `optimizer ${slot}`)]) {
      expect(bytes.get(name), name).toBe(k * plan.paramStride * 4);
    }
    spec.layers.forEach((width, l) => {
      const block = Math.ceil((plan.maxRows * width) / 4) * 4;
      expect(bytes.get(`acts ${l}`), `acts ${l}`).toBe(k * block * 4);
      if (l > 0) expect(bytes.get(`delta ${l}`), `delta ${l}`).toBe(k * block * 4);
    });
    expect(bytes.get('epoch order')).toBe(k * 103 * 4);
    expect(bytes.get('losses')).toBe(k * 12 * 4);
    // Each model evaluates its own training rows: index lists, [K, the most rows].
    expect(bytes.get('train rows')).toBe(k * 103 * 4);
    expect(bytes.has('val rows')).toBe(false);
  });

  it('refuses more models than a buffer or the grid holds, naming the fix, where one model fits', () => {
    const small = { ...device, limits: { ...device.limits, maxStorageBufferBindingSize: 2 ** 16 } } as GPUDevice;
    const many = { ...options, models: Array.from({ length: 40 }, () => options.models[1]) };
    expect(() => makeModelsPlan({ ...options, models: [options.models[1]] }, 16, small)).not.toThrow();
    expect(() => makeModelsPlan(many, 16, small)).toThrow(/of 40 models need .*: train fewer models at once$/);
    // The grid's z is the model: at most maxComputeWorkgroupsPerDimension of them.
    const narrow = { ...device, limits: { ...device.limits, maxComputeWorkgroupsPerDimension: 32 } } as GPUDevice;
    expect(() => makeModelsPlan(many, 16, narrow)).toThrow(/^40 models need 40 workgroups along z.*at once$/);
  });
});

describe('a GPU plan of sets larger than a storage binding', () => {
  const spec = makeSpec([16, 8, 4]);
  // A binding of 1100 bytes: shards of 1088 (whole 16-byte units), 68 images of 16 bytes or 17 rows of 16 floats.
  const small = { ...device, limits: { ...device.limits, maxStorageBufferBindingSize: 1100 } } as GPUDevice;
  const images = toyDataset(1, 103); // 1648 bytes of images
  const table = { ...images, inputs: Float32Array.from(images.inputs), labels: Uint32Array.from(images.labels) };

  it.each([
    ['byte images', images, [68, 35], 1, 1],
    ['a float table', table, [17, 17, 17, 17, 17, 17, 1], 4, 4],
  ] as const)('%s: stored in shards of whole rows, inputs and labels split alike', (_, train, rows, pixel, label) => {
    const settings: SessionSettings = { spec, batch: 8, learningRate: 0.1, train, test: train };
    const plan = makePlan(settings, 16, small);
    expect(plan.shard).toEqual({ bytes: 1088, limit: 'maxStorageBufferBindingSize' });
    const { res, bytes } = recordingResources();
    const net: NetConfig = { activation: spec.activation, loss: spec.loss, task: spec.task, dropout: false };
    const starts = [{ params: new Float32Array(plan.table.total), optimizerState: [] }];
    const buffers = allocateBuffers(res, plan, asModels(settings), starts, net, { kind: 'fused' });
    expect(buffers.train.shards.map((shard) => [shard.first, shard.count])).toEqual(
      rows.map((count, i) => [rows.slice(0, i).reduce((a, b) => a + b, 0), count]),
    );
    rows.forEach((count, i) => {
      expect(bytes.get(`train shard ${i} inputs`)).toBe(count * 16 * pixel);
      expect(bytes.get(`train shard ${i} labels`)).toBe(count * label);
    });
    expect(buffers.evals.test?.data).toBe(buffers.train); // the same set, uploaded once
  });

  it('a dataShardBytes below the limits sets the shards; a row larger than a shard is refused', () => {
    const settings: SessionSettings = { spec, batch: 8, learningRate: 0.1, train: table };
    expect(makePlan(settings, 16, device, { shardBytes: 200 }).shard).toEqual({ bytes: 192, limit: 'dataShardBytes' });
    expect(makePlan(settings, 16, device, { shardBytes: 2 ** 31 }).shard).toEqual({
      bytes: 2 ** 30,
      limit: 'maxStorageBufferBindingSize',
    });
    const refusal =
      'one row of inputs (16 features) of the training set needs 64 bytes, more than a data shard holds ' +
      "(48 bytes, the backend's dataShardBytes): raise dataShardBytes";
    expect(() => makePlan(settings, 16, device, { shardBytes: 48 })).toThrow(new UserError(refusal));
    expect(() => makePlan({ ...settings, train: images }, 16, device, { shardBytes: 48 })).not.toThrow();
  });
});

describe('the pace of read backs on a software adapter in Node', () => {
  const train = (units: number) => ({ kind: 'train', units });

  it('sleeps 0.8 of the median time per unit seen, less after work found done on waking, never when inactive', () => {
    const pacer = new Pacer(true);
    expect(pacer.sleepMs(train(10))).toBe(0); // nothing seen yet
    pacer.learn(train(10), 300, 0); // 30 ms a step
    expect(pacer.sleepMs(train(10))).toBeCloseTo(240);
    expect(pacer.sleepMs(train(20))).toBeCloseTo(480);
    expect(pacer.sleepMs({ kind: 'evaluate test', units: 10 })).toBe(0); // another kind
    pacer.learn(train(10), 500, 0); // 50 a step: the median of 30 and 50
    expect(pacer.sleepMs(train(10))).toBeCloseTo(320);
    pacer.learn(train(10), 321, 320); // done on waking: taken as 16 a step; median of 16, 30, 50
    expect(pacer.sleepMs(train(10))).toBeCloseTo(240);
    expect(pacer.sleepMs(train(0.5))).toBe(0); // 15 ms expected: waited for at once
    const inactive = new Pacer(false);
    inactive.learn(train(10), 300, 0);
    expect(inactive.sleepMs(train(10))).toBe(0);
  });

  it('remembers the last 8 read backs of a kind', () => {
    const pacer = new Pacer(true);
    for (let i = 0; i < 8; i++) pacer.learn(train(1), 100, 0);
    for (let i = 0; i < 8; i++) pacer.learn(train(1), 40, 0);
    expect(pacer.sleepMs(train(1))).toBeCloseTo(32);
  });
});
