import { describe, expect, it } from 'vitest';
import type { Backend, Metrics } from '../src/backend.js';
import { CpuBackend } from '../src/cpu/backend.js';
import { gather } from '../src/cpu/gather.js';
import { argmaxCount, softmaxCrossEntropy } from '../src/cpu/losses.js';
import { CpuNetwork } from '../src/cpu/network.js';
import { sgdUpdate } from '../src/cpu/updates.js';
import { UserError } from '../src/errors.js';
import { createWebGpuBackend } from '../src/gpu/backend.js';
import { MATMUL_TILE_NAMES, type MatmulTile, SOFTWARE_CHOICE } from '../src/gpu/matmul-variants.js';
import type { GpuStats } from '../src/gpu/record.js';
import { nodeShaderLoader } from '../src/gpu/shaders-node.js';
import type { WebGpuSession } from '../src/gpu/single-session.js';
import { initParams, paramTable } from '../src/model/params.js';
import { makeSpec } from '../src/model/spec.js';
import { train as trainRun } from '../src/train/trainer.js';
import { BATCH as batch, EVAL_ROWS, LAYERS, lossTol, randomSessionData, useTestGpu } from './gpu-fixture.js';
import { everyMatmul } from './gpu-setup.js';
import { expectClose, expectTensorsClose, relativeError } from './helpers.js';

/**
 * The session tests' 3-layer net (odd sizes: see gpu-fixture.ts) trained on the GPU against CpuNetwork + ops.gather +
 * ops.sgdUpdate driven the same way on the CPU. The 23 test rows in batches of 8 end with a partial batch of 7.
 * Every matmul tile is forced through the whole step on a GPU or with WEBGPU_MLP_ALL_MATMULS=1; on a software adapter
 * the micro tile it trains on (SOFTWARE_CHOICE) and the large and medium tiles a GPU takes most, whose variants
 * test/gpu-matmul.test.ts compiles too; the split-K tiles are then left to test/gpu-matmul.test.ts, which forces the
 * 16x16 one there once per mode.
 */
const spec = makeSpec(LAYERS);
const table = paramTable(spec);
const learningRate = 0.1;

// 75 training samples: 10 full batches of 7, and 5 samples the epoch drops.
const {
  train,
  test,
  orders: [order],
} = randomSessionData(2024, LAYERS[0], { train: 75, test: 23 }, 1);
const params = initParams(table, 7);

/** The CPU side: the same steps, in plain loops, with float64 sums. */
class CpuReference {
  readonly params = params.slice();
  private readonly net = new CpuNetwork(spec, Math.max(batch, test.count));
  private readonly labels = new Uint32Array(Math.max(batch, test.count));

  step(s: number): number {
    gather(
      this.net.input,
      this.labels,
      train.inputs,
      train.labels,
      order,
      s * batch,
      batch,
      train.features,
      spec.inputMean,
      spec.inputStd,
    );
    this.net.forward(this.params, batch);
    const loss = this.net.backward(this.params, this.labels, batch);
    sgdUpdate(this.params, this.net.grads, learningRate, table.total);
    return loss;
  }

  /** The whole test set as one batch: a different batching from the GPU's, the same result. */
  evaluate(): Metrics {
    const identity = Uint32Array.from({ length: test.count }, (_, i) => i);
    gather(
      this.net.input,
      this.labels,
      test.inputs,
      test.labels,
      identity,
      0,
      test.count,
      test.features,
      spec.inputMean,
      spec.inputStd,
    );
    const logits = this.net.forward(this.params, test.count);
    const loss = softmaxCrossEntropy(null, logits, this.labels, test.count, 10);
    return { loss, accuracy: argmaxCount(logits, this.labels, test.count, 10) / test.count };
  }
}

/**
 * Five fp32 SGD steps drift from the float64 reference by rounding only: relative errors around 1e-7 per tensor.
 * 1e-4 per tensor (and per element, with atol for values near zero) would still catch a wrong gradient term, which
 * shows up at 1e-2 or more after one step.
 */
const expectParamsClose = (got: Float32Array, want: Float32Array, when: string): void =>
  expectTensorsClose(table, got, want, { relative: 1e-4, elementwise: { atol: 1e-6, rtol: 1e-4 } }, when);

const fixture = useTestGpu();

const open = (b = fixture.backend): Promise<WebGpuSession> =>
  b.createSession({ spec, params, batch, learningRate, train, test });

describe('GPU training session against the CPU reference', () => {
  it('trains two chunks of 5 steps, evaluates with a partial last batch, and counts its work', async () => {
    const cpu = new CpuReference();
    const session = await open();
    try {
      expect(session.dispatchesPerStep).toBe(3 * 3 + 1);
      expect(session.stats.setupBuffers).toBeGreaterThan(0);
      session.setEpochOrder(order);

      for (const first of [0, 5]) {
        const before = { ...session.stats };
        const loss = await session.trainSteps(first, 5);
        const cpuLosses = [0, 1, 2, 3, 4].map((i) => cpu.step(first + i));
        expectClose(
          [loss],
          [cpuLosses.reduce((a, b) => a + b) / 5],
          lossTol,
          `mean loss of steps ${first}..${first + 4}`,
        );
        expectParamsClose(await session.readParams(), cpu.params, `after step ${first + 4}`);

        // One compute pass, one submit and one read back per chunk; every step's dispatches; nothing created.
        expect(session.stats.computePasses - before.computePasses).toBe(1);
        expect(session.stats.submits - before.submits).toBe(2); // trainSteps + readParams
        expect(session.stats.readBacks - before.readBacks).toBe(2);
        expect(session.stats.dispatches - before.dispatches).toBe(5 * session.dispatchesPerStep);
      }

      const before = { ...session.stats };
      const metrics = await session.evaluate();
      const want = cpu.evaluate();
      expectClose([metrics.loss], [want.loss], lossTol, 'test loss');
      expect(metrics.accuracy).toBe(want.accuracy);
      expect(session.stats.submits - before.submits).toBe(1);
      expect(session.stats.readBacks - before.readBacks).toBe(1);
      expect(session.stats.dispatches - before.dispatches).toBe(3 * (1 + 3 + 1)); // 3 batches: gather, 3 layers, count

      expect(session.stats.buffersAfterSetup).toBe(0);
      expect(session.stats.bindGroupsAfterSetup).toBe(0);
    } finally {
      session.dispose();
    }
  });

  it("gives each step's loss when chunks are single steps, bit-identical to one 5-step chunk", async () => {
    const cpu = new CpuReference();
    // The default evaluation batch holds all 23 test rows: the no-partial-batch path.
    const oneBatch = await createWebGpuBackend(nodeShaderLoader, { gpu: fixture.gpu });
    const single = await open(oneBatch);
    const chunked = await open();
    try {
      single.setEpochOrder(order);
      chunked.setEpochOrder(order);
      for (let s = 0; s < 5; s++) {
        const before = single.stats.submits;
        expectClose([await single.trainSteps(s, 1)], [cpu.step(s)], lossTol, `loss of step ${s}`);
        expect(single.stats.submits - before).toBe(1);
      }
      await chunked.trainSteps(0, 5);
      // Every kernel is deterministic (fixed reduction orders, no atomics): chunking must not change a bit.
      expect(await single.readParams()).toEqual(await chunked.readParams());
      const metrics = await single.evaluate();
      const want = cpu.evaluate();
      expectClose([metrics.loss], [want.loss], lossTol, 'test loss, one batch');
      expect(metrics.accuracy).toBe(want.accuracy);
    } finally {
      single.dispose();
      chunked.dispose();
      oneBatch.dispose();
    }
  });

  it('records the next chunk while the GPU runs the current one: same bits, recording off the critical path', async () => {
    const ahead = await open();
    const plain = await createWebGpuBackend(nodeShaderLoader, {
      gpu: fixture.gpu,
      evalRows: EVAL_ROWS,
      prerecord: false,
    });
    const inline = await open(plain);
    try {
      for (const session of [ahead, inline]) {
        for (let epoch = 0; epoch < 2; epoch++) {
          session.setEpochOrder(order);
          await session.trainSteps(0, 5);
          await session.trainSteps(5, 5);
        }
      }
      expect(await ahead.readParams()).toEqual(await inline.readParams());
      expect(ahead.stats.dispatches).toBe(inline.stats.dispatches);
      expect(ahead.stats.submits).toBe(inline.stats.submits);
      // Only the very first chunk was recorded when asked for; the other three were ready when their call came.
      expect(ahead.stats.prerecordMs).toBeGreaterThan(0);
      expect(inline.stats.prerecordMs).toBe(0);
      const firstChunkOnly = await open();
      firstChunkOnly.setEpochOrder(order);
      await firstChunkOnly.trainSteps(0, 5);
      const recordedOnce = firstChunkOnly.stats.recordMs;
      await firstChunkOnly.trainSteps(5, 5);
      expect(firstChunkOnly.stats.recordMs).toBe(recordedOnce);
      await firstChunkOnly.trainSteps(5, 2); // not the chunk guessed: recorded when asked, still right
      expect(firstChunkOnly.stats.recordMs).toBeGreaterThan(recordedOnce);
      firstChunkOnly.dispose();
    } finally {
      ahead.dispose();
      plain.dispose();
    }
  });

  it('a 2-layer net (two linear layers) records 7 dispatches per step', async () => {
    const small = makeSpec([20, 33, 10]);
    const session = await fixture.backend.createSession({
      spec: small,
      params: initParams(paramTable(small), 1),
      batch,
      learningRate,
      train,
      test,
    });
    // gather, 2 forward matmuls, softmax_cross_entropy, the input gradient of layer 2, 2 weight gradients with the SGD update.
    expect(session.dispatchesPerStep).toBe(7);
    session.dispose();
  });

  it('every matmul tile, forced through the whole training step, matches the CPU', async () => {
    // Each tile in the real graph (fused epilogues, offsets into the flat parameter vector, the split-K tiles on a
    // batch of 7): two steps and an evaluation against the CPU reference. A software adapter: its tiles only.
    const tiles: MatmulTile[] = everyMatmul(fixture.gpu)
      ? MATMUL_TILE_NAMES
      : ['large', 'medium', SOFTWARE_CHOICE.tile!];
    expect(tiles.length).toBeGreaterThanOrEqual(2);
    for (const tile of tiles) {
      const cpu = new CpuReference();
      const forced = await createWebGpuBackend(nodeShaderLoader, {
        gpu: fixture.gpu,
        evalRows: EVAL_ROWS,
        matmul: { tile },
      });
      const session = await open(forced);
      try {
        session.setEpochOrder(order);
        const loss = await session.trainSteps(0, 2);
        expectClose([loss], [(cpu.step(0) + cpu.step(1)) / 2], lossTol, `${tile}: mean loss of steps 0..1`);
        expectParamsClose(await session.readParams(), cpu.params, `${tile}, after step 1`);
        const metrics = await session.evaluate();
        expectClose([metrics.loss], [cpu.evaluate().loss], lossTol, `${tile}: test loss`);
      } finally {
        forced.dispose();
      }
    }
  });

  it('refuses steps before an epoch order, and models beyond the device limits with the limit named', async () => {
    const session = await open();
    await expect(session.trainSteps(0, 1)).rejects.toThrow(/setEpochOrder/);
    session.dispose();
    // 4.2 billion parameters: beyond any device's binding size. The limits are checked before anything else is
    // looked at or allocated, so the (empty) parameter vector is never reached.
    const huge = makeSpec([20, 200_000_000, 10]);
    const tooBig = fixture.backend.createSession({
      spec: huge,
      params: new Float32Array(0),
      batch,
      learningRate,
      train,
      test,
    });
    await expect(tooBig).rejects.toThrow(UserError);
    await expect(tooBig).rejects.toThrow(/maxStorageBufferBindingSize|maxBufferSize/);
  });
});

/**
 * The whole-epoch structure, through the trainer: what a run costs in passes, submits, read backs, writes and
 * objects is what predicts its speed on a GPU (a submit + read back is about 0.05 ms, a dispatch about 6 us), so it
 * is asserted here, where no GPU is needed. 2 layers, 75 samples in batches of 7: 10 steps per epoch.
 */
describe('counts per chunk and per epoch, through train()', () => {
  const small = makeSpec([20, 33, 10]);
  const STEPS = 10;

  /**
   * Runs train() on the GPU, snapshotting the session's counts after every chunk and every epoch; the test set's
   * evaluation alone unless `trainMetrics`.
   */
  async function countedRun(logEvery: number, epochs = 2, trainMetrics = false) {
    let session: WebGpuSession | undefined;
    // A backend that hands out the GPU session, so its counts can be read from the callbacks.
    const spy: Backend = {
      kind: 'webgpu',
      device: fixture.backend.device,
      createSession: async (options) => (session = await fixture.backend.createSession(options)),
      createModels: (options) => fixture.backend.createModels(options),
      dispose: () => {},
    };
    const snapshots: { at: string; stats: GpuStats }[] = [];
    const snap = (at: string) => snapshots.push({ at, stats: { ...session!.stats } });
    const result = await trainRun(
      spy,
      small,
      { train, test },
      { epochs, batch, learningRate, seed: 3, logEvery, trainMetrics },
      {
        onProgress: (p) => snap(`epoch ${p.epoch} step ${p.step}`),
        onEpoch: (r) => snap(`epoch ${r.epoch} evaluated`),
      },
    );
    return { result, snapshots, session: session!, final: { ...session!.stats } };
  }

  const delta = (after: GpuStats, before: GpuStats) => ({
    dispatches: after.dispatches - before.dispatches,
    computePasses: after.computePasses - before.computePasses,
    submits: after.submits - before.submits,
    readBacks: after.readBacks - before.readBacks,
    writes: after.writes - before.writes,
  });

  it('one pass, one submit and one read back per chunk; one write (the order) per epoch; nothing created', async () => {
    const { result, snapshots, session, final } = await countedRun(4);
    const perStep = session.dispatchesPerStep;
    expect(perStep).toBeLessThanOrEqual(8);
    // Per epoch: chunks of 4, 4 and 2 steps, then the evaluation (3 test batches of 8, 8 and 7 rows).
    expect(snapshots.map((s) => s.at)).toEqual([
      'epoch 1 step 4',
      'epoch 1 step 8',
      'epoch 1 step 10',
      'epoch 1 evaluated',
      'epoch 2 step 4',
      'epoch 2 step 8',
      'epoch 2 step 10',
      'epoch 2 evaluated',
    ]);
    let before = snapshots[0].stats;
    // The first chunk's counts include set-up: nothing is submitted before it, so its counts are its own.
    expect(delta(before, { ...before, dispatches: 0, computePasses: 0, submits: 0, readBacks: 0, writes: 0 })).toEqual({
      dispatches: 4 * perStep,
      computePasses: 1,
      submits: 1,
      readBacks: 1,
      writes: 1,
    });
    const expected = [
      { dispatches: 4 * perStep, computePasses: 1, submits: 1, readBacks: 1, writes: 0 },
      { dispatches: 2 * perStep, computePasses: 1, submits: 1, readBacks: 1, writes: 0 },
      { dispatches: 3 * (1 + 2 + 1), computePasses: 1, submits: 1, readBacks: 1, writes: 0 }, // evaluation
      { dispatches: 4 * perStep, computePasses: 1, submits: 1, readBacks: 1, writes: 1 }, // new epoch: its order
      { dispatches: 4 * perStep, computePasses: 1, submits: 1, readBacks: 1, writes: 0 },
      { dispatches: 2 * perStep, computePasses: 1, submits: 1, readBacks: 1, writes: 0 },
      { dispatches: 3 * (1 + 2 + 1), computePasses: 1, submits: 1, readBacks: 1, writes: 0 },
    ];
    snapshots.slice(1).forEach(({ at, stats }, i) => {
      expect(delta(stats, before), at).toEqual(expected[i]);
      before = stats;
    });
    // After the last epoch, train() reads the parameters once.
    expect(delta(final, before)).toEqual({ dispatches: 0, computePasses: 0, submits: 1, readBacks: 1, writes: 0 });
    expect(final.buffersAfterSetup).toBe(0);
    expect(final.bindGroupsAfterSetup).toBe(0);
    expect(result.history).toHaveLength(2);
  });

  it('with the log interval at or past the epoch, an epoch is one submit of training and one of evaluation', async () => {
    const { snapshots, session, final } = await countedRun(100, 1);
    expect(snapshots.map((s) => s.at)).toEqual(['epoch 1 step 10', 'epoch 1 evaluated']);
    expect(snapshots[0].stats.submits).toBe(1);
    expect(snapshots[0].stats.readBacks).toBe(1);
    expect(snapshots[0].stats.dispatches).toBe(STEPS * session.dispatchesPerStep);
    expect(snapshots[1].stats.submits).toBe(2);
    expect(snapshots[1].stats.readBacks).toBe(2);
    expect(final.buffersAfterSetup + final.bindGroupsAfterSetup).toBe(0);
  });

  it("the training set's evaluation after each epoch (train()'s default) is one more pass, submit and read back", async () => {
    const { snapshots, session, final, result } = await countedRun(100, 2, true);
    expect(snapshots.map((s) => s.at)).toEqual([
      'epoch 1 step 10',
      'epoch 1 evaluated',
      'epoch 2 step 10',
      'epoch 2 evaluated',
    ]);
    const trainBatches = Math.ceil(train.count / session.evalRows);
    const evaluation = delta(snapshots[1].stats, snapshots[0].stats);
    // The test set's 3 batches, then the training set's, each gather, two matmuls and argmax_count.
    expect(evaluation).toEqual({
      dispatches: (3 + trainBatches) * (1 + 2 + 1),
      computePasses: 2,
      submits: 2,
      readBacks: 2,
      writes: 0,
    });
    expect(delta(snapshots[3].stats, snapshots[2].stats)).toEqual(evaluation);
    expect(final.buffersAfterSetup + final.bindGroupsAfterSetup).toBe(0);
    expect(result.history.every((r) => r.trainAccuracy !== undefined && r.trainEvalLoss !== undefined)).toBe(true);
  });

  it("trains to the CPU backend's parameters", async () => {
    const { result } = await countedRun(4);
    const cpu = await trainRun(
      new CpuBackend(),
      small,
      { train, test },
      { epochs: 2, batch, learningRate, seed: 3, logEvery: 4 },
    );
    // 20 fp32 SGD steps against float64 sums: the same bound as expectParamsClose.
    expect(relativeError(result.params, cpu.params)).toBeLessThan(1e-4);
    expect(result.test!.accuracy).toBe(cpu.test!.accuracy);
  });
});
