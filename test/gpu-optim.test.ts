/**
 * The WebGPU optimisers against the CPU reference: each kernel (sgd_update, momentum_update, adam_update,
 * rmsprop_update, with every RMSprop variant) against
 * its CPU function on fresh random inputs, then whole sessions with every optimiser and schedule against the CPU
 * backend, a resumed GPU session against an uninterrupted one, and the dispatches each optimiser costs per step.
 */
import { describe, expect, it } from 'vitest';
import type { SessionOptions, TrainingSession } from '../src/backend.js';
import { CpuBackend } from '../src/cpu/backend.js';
import { adamUpdate, momentumUpdate, rmspropUpdate, sgdUpdate } from '../src/cpu/updates.js';
import type { WebGpuBackend } from '../src/gpu/backend.js';
import { launch, optimizerSettings, optimizerStepValues } from '../src/gpu/kernels.js';
import type { WebGpuSession } from '../src/gpu/single-session.js';
import { makeOptimizer, type OptimizerConfig, type OptimizerName, optimizerSlots } from '../src/model/optimizer.js';
import { initParams, paramTable } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import type { Schedule } from '../src/model/schedule.js';
import { makeSpec } from '../src/model/spec.js';
import { train } from '../src/train/trainer.js';
import { BATCH as batch, LAYERS, lossTol, randomSessionData, useTestGpu } from './gpu-fixture.js';
import { expectClose, expectTensorsClose, randomArray, relativeError } from './helpers.js';

const fixture = useTestGpu({ kernels: true });

// ---- Kernels -------------------------------------------------------------------------------------------------------

/**
 * Per element a fixed scale, log-uniform from 1e-9 to 1, and per step a fresh gradient of that scale with either
 * sign: at the small end Adam's eps (1e-8) decides the step, so eps in the wrong place shows.
 */
function gradientScales(rng: Rng, count: number): Float32Array {
  return Float32Array.from({ length: count }, () => 10 ** rng.uniform(-9, 0));
}

const gradientsAt = (rng: Rng, scales: Float32Array): Float32Array => scales.map((scale) => scale * rng.uniform(-1, 1));

/**
 * One case: `steps` optimiser steps from run step `firstRun` with a rate that changes every step (a schedule), from
 * zero state at run 0 (the momentum buffer's first step) or random state later on (a resumed run).
 */
interface KernelCase {
  optimizer: OptimizerConfig;
  firstRun: number;
  steps: number;
}

/** Runs a case through the GPU kernel and the CPU function from the same inputs; returns both ends. */
async function runBoth(c: KernelCase, count: number) {
  const o = c.optimizer;
  const run = fixture.kernels;
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC; // a global once the device is open
  const rng = new Rng(count * 131 + c.firstRun * 7 + o.name.length);
  const params = randomArray(rng, count);
  const slots = optimizerSlots(o);
  // A later run's state: momentum buffers and first moments of either sign, second moments positive, and RMSprop's
  // gradient average within the square root of its square average (as any run's is: the variance stays positive).
  const state = slots.map((slot) =>
    c.firstRun === 0
      ? new Float32Array(count)
      : isSquares(slot)
        ? randomArray(rng, count, 0, 0.1)
        : randomArray(rng, count, -0.5, 0.5),
  );
  const gradAvg = slots.indexOf('grad_avg');
  if (gradAvg >= 0) state[gradAvg] = state[gradAvg].map((x, i) => 1.8 * x * Math.sqrt(state[0][i]));
  const scales = gradientScales(rng, count);

  const gpuParams = run.res.buffer('params', count * 4, storage, params);
  const gpuState = state.map((s) => run.res.buffer('state', count * 4, storage, s));
  const cpuParams = params.slice();
  const cpuState = state.map((s) => s.slice());
  for (let r = c.firstRun; r < c.firstRun + c.steps; r++) {
    const grads = gradientsAt(rng, scales);
    const lr = 0.05 * (1 + (r % 3)); // changes every step
    const row = { run: r, lr, opt: optimizerStepValues(o, lr, r) };
    // Entry 1: the dynamic offset is used; entry 0's row is a decoy.
    const table = {
      table: [
        { start: 0, slot: 0 },
        { start: 0, slot: 1 },
      ],
      rows: [{ run: 12345, lr: 7 }, row],
      model: { settings: optimizerSettings(o) },
      entry: 1,
    };
    const t = r + 1;
    switch (o.name) {
      case 'sgd':
        await run.run('sgd_update', [gpuParams], [run.input(grads)], launch.sgdUpdate(count), table);
        sgdUpdate(cpuParams, grads, lr, count, o.weightDecay);
        break;
      case 'momentum':
      case 'nesterov':
        await run.run(
          'momentum_update',
          [gpuParams, gpuState[0]],
          [run.input(grads)],
          launch.momentumUpdate(count),
          table,
        );
        momentumUpdate(
          cpuParams,
          cpuState[0],
          grads,
          {
            lr,
            momentum: o.momentum,
            dampening: o.dampening,
            weightDecay: o.weightDecay,
            nesterov: o.name === 'nesterov',
            step: t,
          },
          count,
        );
        break;
      case 'adam':
      case 'adamw':
        await run.run('adam_update', [gpuParams, ...gpuState], [run.input(grads)], launch.adamUpdate(count), table);
        adamUpdate(
          cpuParams,
          cpuState[0],
          cpuState[1],
          grads,
          {
            lr,
            beta1: o.beta1,
            beta2: o.beta2,
            eps: o.eps,
            weightDecay: o.weightDecay,
            decoupled: o.name === 'adamw',
            step: t,
          },
          count,
        );
        break;
      case 'rmsprop': {
        // A slot that this run does not keep is bound to a one-float stand-in, as the session binds it.
        const slot = (name: string) => slots.indexOf(name);
        const bound = (name: string) => gpuState[slot(name)] ?? run.output(1);
        await run.run(
          'rmsprop_update',
          [gpuParams, gpuState[0], bound('momentum_buffer'), bound('grad_avg')],
          [run.input(grads)],
          launch.rmspropUpdate(count),
          table,
        );
        rmspropUpdate(
          cpuParams,
          cpuState[0],
          cpuState[slot('momentum_buffer')] ?? null,
          cpuState[slot('grad_avg')] ?? null,
          grads,
          {
            lr,
            alpha: o.alpha,
            eps: o.eps,
            weightDecay: o.weightDecay,
            momentum: o.momentum,
            centered: o.centered,
          },
          count,
        );
        break;
      }
    }
  }
  return {
    params: { gpu: await run.readF32(gpuParams, count), cpu: cpuParams },
    state: await Promise.all(
      gpuState.map(async (buffer, i) => ({
        slot: slots[i],
        gpu: await run.readF32(buffer, count),
        cpu: cpuState[i],
      })),
    ),
  };
}

/**
 * Tolerances. The GPU computes each element in f32, a handful of roundings; the CPU in float64, rounding each stored
 * value once. Over 3 steps that is a few ulp (measured: parameters within 1.8e-7 absolute, at magnitudes up to about
 * 1; state within 2e-7 relative). rtol 1e-5 leaves a wide margin and still fails on any wrong formula, which moves
 * these inputs by 1e-3 or more (a missing bias correction: the first Adam step 10x too large; eps inside the square
 * root: the small-gradient elements' steps 1e4x smaller; AdamW's decay 0.1 · 0.05), and on 1 − β2 rounded in f32
 * (1.3e-5 in v). atol covers cancellation: a parameter or a moment passing near zero keeps the absolute error of its
 * terms, which are at most about 1 here.
 */
const paramTol = { atol: 1e-6, rtol: 1e-5 };
/** The second moments (Adam's v, RMSprop's square average): sums of squares, no cancellation. */
const isSquares = (slot: string) => slot === 'exp_avg_sq' || slot === 'square_avg';
/**
 * RMSprop's momentum buffer sums normalised steps g / avg, each up to 1/√(1 − α) = 10 in size and of either sign:
 * where they cancel the sum keeps their rounding, a few ulp of values up to the buffer's largest (measured: errors
 * up to 1.2e-5), so its atol is 2e-6 of that. A wrong rule moves those steps by 1e-3 of themselves or more.
 */
const slotTol = (slot: string, o: OptimizerConfig, cpu: Float32Array) => {
  if (isSquares(slot)) return { atol: 0, rtol: 1e-5 };
  if (o.name === 'rmsprop' && slot === 'momentum_buffer') {
    let largest = 0;
    for (const x of cpu) largest = Math.max(largest, Math.abs(x));
    return { atol: 2e-6 * Math.max(1, largest), rtol: 1e-5 };
  }
  return { atol: 1e-6, rtol: 1e-5 };
};

const SIZES = [1, 7, 33, 130, 1000];

describe.each([
  { label: 'sgd', optimizer: makeOptimizer('sgd') },
  { label: 'sgd, weight decay', optimizer: makeOptimizer('sgd', { weightDecay: 0.1 }) },
  { label: 'momentum', optimizer: makeOptimizer('momentum') },
  {
    label: 'momentum, dampening and weight decay',
    optimizer: makeOptimizer('momentum', { dampening: 0.1, weightDecay: 0.05 }),
  },
  { label: 'nesterov, weight decay', optimizer: makeOptimizer('nesterov', { weightDecay: 0.05 }) },
  { label: 'adam', optimizer: makeOptimizer('adam') },
  { label: 'adam, weight decay', optimizer: makeOptimizer('adam', { weightDecay: 0.1 }) },
  { label: 'adamw', optimizer: makeOptimizer('adamw', { weightDecay: 0.1 }) },
  { label: 'rmsprop', optimizer: makeOptimizer('rmsprop') },
  {
    label: 'rmsprop, weight decay and alpha 0.9',
    optimizer: makeOptimizer('rmsprop', { weightDecay: 0.1, alpha: 0.9 }),
  },
  { label: 'rmsprop, momentum', optimizer: makeOptimizer('rmsprop', { momentum: 0.9 }) },
  { label: 'rmsprop, centred', optimizer: makeOptimizer('rmsprop', { centered: true }) },
  {
    label: 'rmsprop, centred with momentum and weight decay',
    optimizer: makeOptimizer('rmsprop', { centered: true, momentum: 0.5, weightDecay: 0.05 }),
  },
])('$label kernel against its CPU function', ({ optimizer }) => {
  it.each(SIZES)('%i parameters: 3 steps from the first, 2 steps from run step 7 with state', async (count) => {
    for (const c of [
      { optimizer, firstRun: 0, steps: 3 },
      { optimizer, firstRun: 7, steps: 2 },
    ]) {
      const { params, state } = await runBoth(c, count);
      const when = `run steps ${c.firstRun}..${c.firstRun + c.steps - 1}`;
      expectClose(params.gpu, params.cpu, paramTol, `params, ${when}`);
      for (const s of state) expectClose(s.gpu, s.cpu, slotTol(s.slot, optimizer, s.cpu), `${s.slot}, ${when}`);
    }
  });
});

// ---- Sessions ------------------------------------------------------------------------------------------------------

/**
 * The session tests' 3-layer net (odd sizes: see gpu-fixture.ts), 30 samples in batches of 7: 4 steps per epoch, 2
 * epochs, so the step table is rewritten for the second epoch's run steps 4..7.
 */
const spec = makeSpec(LAYERS);
const table = paramTable(spec);
const STEPS = 4;

const { train: trainSet, test: testSet, orders } = randomSessionData(77, LAYERS[0], { train: 30, test: 9 }, 2);
const params = initParams(table, 11);

/** Rates large enough that 8 steps move the parameters well beyond rounding. */
const RATES: Record<OptimizerName, number> = {
  sgd: 0.1,
  momentum: 0.05,
  nesterov: 0.05,
  adam: 0.01,
  adamw: 0.01,
  rmsprop: 0.001,
};

const OPTIMIZERS: OptimizerConfig[] = [
  makeOptimizer('sgd', { weightDecay: 1e-2 }),
  makeOptimizer('momentum', { dampening: 0.1, weightDecay: 5e-3 }),
  makeOptimizer('nesterov', { weightDecay: 5e-3 }),
  makeOptimizer('adam', { weightDecay: 1e-2 }),
  makeOptimizer('adamw', { weightDecay: 0.1 }),
  makeOptimizer('rmsprop', { weightDecay: 1e-2 }),
  makeOptimizer('rmsprop', { momentum: 0.9, centered: true }),
];

const label = (o: OptimizerConfig) =>
  o.name !== 'rmsprop' ? o.name : `rmsprop${o.momentum > 0 ? ', momentum' : ''}${o.centered ? ', centred' : ''}`;

/** A step decay inside the first epoch and again in the second; a cosine over the 8 steps. */
const SCHEDULES: Schedule[] = [
  { name: 'step', everySteps: 3, gamma: 0.5 },
  { name: 'cosine', totalSteps: 2 * STEPS, minLr: 1e-3 },
];

const sessionOptions = (
  optimizer: OptimizerConfig,
  schedule: Schedule,
  extra: Partial<SessionOptions> = {},
): SessionOptions => ({
  spec,
  params,
  batch,
  learningRate: RATES[optimizer.name],
  train: trainSet,
  test: testSet,
  optimizer,
  schedule,
  ...extra,
});

/** Epoch e's steps from..to-1, with the epoch order set (and the step table moved to run step e · STEPS) first. */
async function steps(
  session: TrainingSession,
  epoch: number,
  from: number,
  to: number,
  setOrder = from === 0,
): Promise<number> {
  if (setOrder) session.setEpochOrder(orders[epoch], epoch * STEPS);
  return session.trainSteps(from, to - from);
}

/**
 * Eight steps of fp32 against float64 sums: per tensor the parameters and every state slot agree to 3e-7 or better
 * (measured; rounding only, Adam's normalised steps included); 1e-4 still fails on any wrong rule (a table not
 * rewritten for the second epoch, a bias gradient missing, bias corrections of the wrong step: 5e-5 to 2e-3 in the
 * loss alone, more in the parameters).
 */
const SESSION_TOL = { relative: 1e-4 };

describe('WebGPU sessions against the CPU backend, every optimiser and schedule', () => {
  const cases = OPTIMIZERS.flatMap((optimizer) => SCHEDULES.map((schedule) => ({ optimizer, schedule })));

  it.each(cases.map((c) => [`${label(c.optimizer)}, ${c.schedule.name}`, c] as const))(
    '%s: 8 steps, parameters and optimiser state',
    async (_, c) => {
      const options = sessionOptions(c.optimizer, c.schedule);
      const cpu = await new CpuBackend().createSession(options);
      const session = await fixture.backend.createSession(options);
      try {
        // One optimiser dispatch after the backward pass: 3 · layers + 2.
        expect(session.dispatchesPerStep).toBe(3 * 3 + 2);
        for (const epoch of [0, 1]) {
          const writes = session.stats.writes;
          for (const [from, to] of [
            [0, 3],
            [3, 4],
          ]) {
            const dispatches = session.stats.dispatches;
            const loss = await steps(session, epoch, from, to);
            expectClose(
              [loss],
              [await steps(cpu, epoch, from, to)],
              lossTol,
              `loss, epoch ${epoch} steps ${from}..${to - 1}`,
            );
            expect(session.stats.dispatches - dispatches).toBe((to - from) * session.dispatchesPerStep);
          }
          // The order, and from the second epoch on the step table's run-dependent fields.
          expect(session.stats.writes - writes).toBe(epoch === 0 ? 1 : 2);
        }
        expectTensorsClose(table, await session.readParams(), await cpu.readParams(), SESSION_TOL, 'params');
        const gpuState = await session.readOptimizerState();
        const cpuState = await cpu.readOptimizerState();
        expect(gpuState.map((s) => s.length)).toEqual(optimizerSlots(c.optimizer).map(() => table.total));
        gpuState.forEach((s, i) =>
          expectTensorsClose(table, s, cpuState[i], SESSION_TOL, optimizerSlots(c.optimizer)[i]),
        );
        expect(session.stats.buffersAfterSetup).toBe(0);
        expect(session.stats.bindGroupsAfterSetup).toBe(0);
      } finally {
        session.dispose();
      }
    },
  );
});

describe('resuming a WebGPU session from its parameters and optimiser state', () => {
  it.each([
    ['momentum, step', OPTIMIZERS[1], SCHEDULES[0]],
    ['adamw, cosine', OPTIMIZERS[4], SCHEDULES[1]],
    ['rmsprop with momentum, centred, cosine', OPTIMIZERS[6], SCHEDULES[1]],
  ] as const)(
    '%s: interrupted after run step 5, continues bitwise to the uninterrupted run',
    async (_, optimizer, schedule) => {
      const whole = await fixture.backend.createSession(sessionOptions(optimizer, schedule));
      const first = await fixture.backend.createSession(sessionOptions(optimizer, schedule));
      let resumed: WebGpuSession | undefined;
      try {
        await steps(whole, 0, 0, 4);
        await steps(whole, 1, 0, 4);
        // Epoch 1 and the first two steps of epoch 2, then a new session from what a checkpoint holds.
        await steps(first, 0, 0, 4);
        await steps(first, 1, 0, 2);
        resumed = await fixture.backend.createSession(
          sessionOptions(optimizer, schedule, {
            params: await first.readParams(),
            optimizerState: await first.readOptimizerState(),
          }),
        );
        first.dispose();
        resumed.setEpochOrder(orders[1], STEPS);
        await steps(resumed, 1, 2, 4, false);
        // The same kernels on the same inputs, and every kernel is deterministic: not a bit may differ.
        expect(await resumed.readParams()).toEqual(await whole.readParams());
        expect(await resumed.readOptimizerState()).toEqual(await whole.readOptimizerState());
      } finally {
        whole.dispose();
        first.dispose();
        resumed?.dispose();
      }
    },
  );

  it('refuses state that does not fit the optimiser or the model', async () => {
    const adam = sessionOptions(OPTIMIZERS[3], SCHEDULES[0]);
    await expect(
      fixture.backend.createSession({ ...adam, optimizerState: [new Float32Array(table.total)] }),
    ).rejects.toThrow(/keeps 2 state arrays, got 1/);
    await expect(
      fixture.backend.createSession({ ...adam, optimizerState: [new Float32Array(3), new Float32Array(3)] }),
    ).rejects.toThrow(/exp_avg has 3 values/);
  });
});

describe('dispatches per step, by optimiser', () => {
  it('3 · layers + 1 for plain SGD at a constant rate (fused), 3 · layers + 2 for everything else', async () => {
    const two = makeSpec([20, 33, 10]);
    const perStep = async (s = spec, optimizer?: OptimizerConfig, schedule?: Schedule) => {
      const session = await fixture.backend.createSession({
        spec: s,
        params: initParams(paramTable(s), 1),
        batch,
        learningRate: 0.1,
        train: trainSet,
        test: testSet,
        optimizer,
        schedule,
      });
      const n = session.dispatchesPerStep;
      session.dispose();
      return n;
    };
    expect(await perStep()).toBe(10);
    expect(await perStep(spec, makeOptimizer('sgd'), { name: 'constant' })).toBe(10);
    expect(await perStep(spec, makeOptimizer('sgd', { weightDecay: 1e-4 }))).toBe(11);
    expect(await perStep(spec, makeOptimizer('sgd'), SCHEDULES[1])).toBe(11);
    for (const name of ['momentum', 'nesterov', 'adam', 'adamw', 'rmsprop'] as const) {
      expect(await perStep(spec, makeOptimizer(name)), name).toBe(11);
    }
    expect(
      await perStep(spec, makeOptimizer('rmsprop', { momentum: 0.9, centered: true })),
      'rmsprop, centred with momentum',
    ).toBe(11);
    // A 2-layer net: at most 8, whatever the optimiser.
    expect(await perStep(two)).toBe(7);
    expect(await perStep(two, makeOptimizer('adam'))).toBe(8);
  });
});

describe('through train(): a stateful optimiser on WebGPU, with checkpoints', () => {
  it("adam with a cosine schedule trains to the CPU backend's parameters, and its checkpoints hold the state", async () => {
    const options = {
      epochs: 2,
      batch,
      learningRate: 0.01,
      seed: 5,
      logEvery: 3,
      checkpointEvery: 5,
      optimizer: makeOptimizer('adam'),
      schedule: { name: 'cosine' as const },
    };
    const data = { train: trainSet, test: testSet };
    const run = async (b: WebGpuBackend | CpuBackend) => {
      const saved: { step: number; optimizer: Float32Array[] }[] = [];
      const result = await train(b, spec, data, options, { onCheckpoint: (state) => void saved.push(state) });
      return { params: result.params, saved };
    };
    const gpuRun = await run(fixture.backend);
    const cpuRun = await run(new CpuBackend());
    expect(relativeError(gpuRun.params, cpuRun.params)).toBeLessThan(1e-4);
    // At step 5 and at the end (step 8), both optimiser slots each time.
    expect(gpuRun.saved.map((c) => [c.step, c.optimizer.length])).toEqual([
      [5, 2],
      [8, 2],
    ]);
    gpuRun.saved.forEach((c, i) =>
      c.optimizer.forEach((slot, j) =>
        expect(relativeError(slot, cpuRun.saved[i].optimizer[j]), `checkpoint ${i}, slot ${j}`).toBeLessThan(1e-4),
      ),
    );
  });
});
