/**
 * The CPU backend hands the thread back while it works: a timer set before a long call runs during it, and the
 * results are bitwise those of the work done in one go (a forward pass in slices of rows equals the whole batch's).
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu/backend.js';
import { CpuNetwork } from '../src/cpu/network.js';
import { nextMacrotask, SLICE_MS, TimeSlicer } from '../src/cpu/time-slices.js';
import { initParams, paramTable } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { makeSpec } from '../src/model/spec.js';
import { randomArray, randomLabels } from './helpers.js';

/** Counts the macrotasks that ran while `work` did: an immediate rescheduled every time it runs. */
async function ticksDuring(work: () => Promise<unknown>): Promise<number> {
  let ticks = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    ticks++;
    setImmediate(tick);
  };
  setImmediate(tick);
  await work();
  running = false;
  return ticks;
}

describe('the CPU backend in slices of time', () => {
  it('a forward pass in slices of rows gives bitwise the outputs of the whole batch', () => {
    const spec = makeSpec([13, 37, 29, 5], { activation: 'tanh' });
    const rng = new Rng(7);
    const params = randomArray(rng, paramTable(spec).total);
    const rows = 71;
    const whole = new CpuNetwork(spec, rows);
    const sliced = new CpuNetwork(spec, rows);
    const input = randomArray(rng, rows * 13, -2, 2);
    whole.input.set(input);
    sliced.input.set(input);
    const expected = whole.forward(params, rows).slice();
    let outputs: Float32Array = new Float32Array(0);
    for (const [first, count] of [
      [0, 1],
      [1, 32],
      [33, 3],
      [36, 35],
    ]) {
      outputs = sliced.forwardSlice(params, first, count);
    }
    expect(outputs.length).toBe(rows * 5);
    expect(outputs).toEqual(expected);
  });

  it('a slicer returns at once within its slice, and after a macrotask once the slice is spent', async () => {
    const slicer = new TimeSlicer(1_000);
    expect(await ticksDuring(() => slicer.pause()), "the first pause yields: the caller's time is unknown").toBe(1);
    const ran = await ticksDuring(async () => {
      for (let i = 0; i < 100; i++) await slicer.pause();
    });
    expect(ran, 'no macrotask within the slice').toBe(0);
    const spent = new TimeSlicer(0);
    expect(await ticksDuring(() => spent.pause()), 'a timer ran before the pause ended').toBeGreaterThan(0);
    await nextMacrotask();
  });

  it('trains and evaluates for many slices with the thread handed back between them', async () => {
    const spec = makeSpec([64, 256, 256, 10]);
    const rng = new Rng(3);
    const count = 2048;
    const set = { inputs: randomArray(rng, count * 64), labels: randomLabels(rng, count, 10), count, features: 64 };
    const settings = { spec, batch: 32, learningRate: 0.05, train: set, test: set };
    const session = await new CpuBackend().createSession({ ...settings, params: initParams(paramTable(spec), 1) });
    session.setEpochOrder(Uint32Array.from({ length: count }, (_, i) => i));
    const started = performance.now();
    const trainTicks = await ticksDuring(() => session.trainSteps(0, 40));
    const trainMs = performance.now() - started;
    // Each tick needs the thread handed back; a slice of work lasts SLICE_MS or a step more.
    expect(trainTicks, `${trainMs.toFixed(0)} ms of training`).toBeGreaterThanOrEqual(
      Math.floor(trainMs / (4 * SLICE_MS)),
    );
    expect(trainTicks).toBeGreaterThan(0);
    const evalStart = performance.now();
    const evalTicks = await ticksDuring(() => session.evaluate('test'));
    const evalMs = performance.now() - evalStart;
    expect(evalTicks, `${evalMs.toFixed(0)} ms of evaluation`).toBeGreaterThanOrEqual(
      Math.floor(evalMs / (4 * SLICE_MS)),
    );
    expect(evalTicks).toBeGreaterThan(0);
  });
});
