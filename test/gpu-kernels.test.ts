import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gather, gatherFloats } from '../src/cpu/gather.js';
import { argmaxCount, softmaxCrossEntropy } from '../src/cpu/losses.js';
import type { Gpu } from '../src/gpu/device.js';
import { deviceKernels, launch, normalisationTable } from '../src/gpu/kernels.js';
import { nodeShaderLoader } from '../src/gpu/shaders-node.js';
import { Rng } from '../src/model/rng.js';
import { KernelRunner, openTestGpu } from './gpu-setup.js';
import { expectClose, randomArray, randomLabels } from './helpers.js';

/**
 * Every kernel but the matmul family (test/gpu-matmul.test.ts) against its CPU reference (src/cpu/) on fresh
 * seeded inputs, at awkward sizes and round ones. Outputs start as NaN, so an element a
 * kernel fails to write fails the comparison. The CPU sums in float64, so its side is the accurate one; each
 * tolerance below is sized to fp32 rounding on the GPU side and is orders of magnitude below what a wrong index, a
 * missed tile or a dropped term produces (errors of order 0.01..1 on these inputs).
 */

let gpu: Gpu;
let run: KernelRunner;
/** The kernels as a software adapter compiles them (their softwareConstants: the losses on 4 threads). */
let runSoftware: KernelRunner;

beforeAll(async () => {
  gpu = await openTestGpu();
  run = await KernelRunner.create(gpu);
  runSoftware = await KernelRunner.create(gpu, deviceKernels(gpu.device, nodeShaderLoader, true));
});

afterAll(() => {
  run?.destroy();
  runSoftware?.destroy();
  gpu?.destroy();
});

/** The losses' two workgroup sizes: a GPU's, and a software adapter's. */
const LOSS_THREADS = [
  ['64 threads', false],
  ['4 threads', true],
] as const;
const runnerOf = (software: boolean): KernelRunner => (software ? runSoftware : run);

describe('gather (bytes on the GPU to a normalised batch)', () => {
  it.each([
    [50, 33],
    [40, 784],
    [9, 1],
  ])('%i samples x %i features: exact', async (samples, features) => {
    const rng = new Rng(samples + features);
    const pixels = Uint8Array.from({ length: samples * features }, () => rng.below(256));
    const labels = Uint8Array.from({ length: samples }, () => rng.below(10));
    const order = rng.shuffle(Uint32Array.from({ length: samples }, (_, i) => i));
    const [mean, std] = [0.1307, 0.3081];
    const lut = normalisationTable(mean, std);
    const rows = Math.min(13, samples - 2);
    const start = samples - rows; // ends exactly at the last sample: no reads past the data

    for (const useOrder of [true, false]) {
      const expectedX = new Float32Array(rows * features);
      const expectedLabels = new Uint32Array(rows);
      const identity = Uint32Array.from({ length: samples }, (_, i) => i);
      gather(expectedX, expectedLabels, pixels, labels, useOrder ? order : identity, start, rows, features, mean, std);
      const x = run.output(rows * features);
      const labelsOut = run.output(rows);
      // The start comes from entry 2 of a step table, through the dynamic offset, as in training.
      const table = [
        { start: 0, slot: 0 },
        { start: 1, slot: 1 },
        { start, slot: 2 },
      ];
      await run.run(
        'gather',
        [x, labelsOut],
        [run.input(pixels), run.input(labels), run.input(order), run.input(lut)],
        launch.gather(rows, features, useOrder),
        { table, entry: 2 },
      );
      expect(Array.from(await run.readF32(x, rows * features))).toEqual(Array.from(expectedX));
      expect(Array.from(await run.readU32(labelsOut, rows))).toEqual(Array.from(expectedLabels));

      // The same batch from the set in shards of whole rows, one dispatch each into the same outputs; an odd row
      // count, so the second shard starts mid-word of the set.
      const shardX = run.output(rows * features);
      const shardLabels = run.output(rows);
      for (const [first, end] of shardBounds(samples)) {
        const shard = { first, count: end - first };
        await run.run(
          'gather',
          [shardX, shardLabels],
          [
            run.input(pixels.slice(first * features, end * features)),
            run.input(labels.slice(first, end)),
            run.input(order),
            run.input(lut),
          ],
          launch.gather(rows, features, useOrder, undefined, shard),
          { table, entry: 2 },
        );
      }
      expect(Array.from(await run.readF32(shardX, rows * features))).toEqual(Array.from(expectedX));
      expect(Array.from(await run.readU32(shardLabels, rows))).toEqual(Array.from(expectedLabels));
    }
  });
});

/** Rows [first, end) of three shards of a set: an odd first shard, so byte shards split mid-word. */
function shardBounds(samples: number): [number, number][] {
  const a = Math.floor(samples / 3) | 1;
  const b = Math.min(samples, 2 * a + 1);
  return [
    [0, a],
    [a, b],
    [b, samples],
  ];
}

describe('gather_floats (float32 inputs on the GPU, with class indices or target rows)', () => {
  // Width 1: class indices up to 999 (beyond a byte); width 3: regression targets, copied bit for bit.
  it.each([
    [50, 33, 1],
    [41, 7, 3],
    [9, 1, 3],
    [30, 2, 5],
  ])('%i samples x %i features, %i label words: exact', async (samples, features, width) => {
    const rng = new Rng(samples * 3 + features + width);
    const inputs = randomArray(rng, samples * features, -3, 3);
    const labels = width === 1 ? randomLabels(rng, samples, 1000) : randomArray(rng, samples * width, -2, 2);
    const order = rng.shuffle(Uint32Array.from({ length: samples }, (_, i) => i));
    const rows = Math.min(13, samples - 2);
    const start = samples - rows; // ends exactly at the last sample: no reads past the data

    for (const useOrder of [true, false]) {
      const expectedX = new Float32Array(rows * features);
      const expectedLabels = labels instanceof Uint32Array ? new Uint32Array(rows) : new Float32Array(rows * width);
      const identity = Uint32Array.from({ length: samples }, (_, i) => i);
      gatherFloats(
        expectedX,
        expectedLabels,
        inputs,
        labels,
        useOrder ? order : identity,
        start,
        rows,
        features,
        width,
      );
      const x = run.output(rows * features);
      const labelsOut = run.output(rows * width);
      const table = [
        { start: 0, slot: 0 },
        { start: 1, slot: 1 },
        { start, slot: 2 },
      ];
      await run.run(
        'gather_floats',
        [x, labelsOut],
        [run.input(inputs), run.input(labels), run.input(order)],
        launch.gatherFloats(rows, features, useOrder, width),
        { table, entry: 2 },
      );
      expect(Array.from(await run.readF32(x, rows * features))).toEqual(Array.from(expectedX));
      const raw = await run.read(labelsOut, rows * width);
      const got = labels instanceof Uint32Array ? new Uint32Array(raw) : new Float32Array(raw);
      expect(Array.from(got)).toEqual(Array.from(expectedLabels));

      // The same batch from the set in three shards of whole rows, one dispatch each into the same outputs.
      const shardX = run.output(rows * features);
      const shardLabels = run.output(rows * width);
      for (const [first, end] of shardBounds(samples)) {
        await run.run(
          'gather_floats',
          [shardX, shardLabels],
          [
            run.input(inputs.slice(first * features, end * features)),
            run.input(labels.slice(first * width, end * width)),
            run.input(order),
          ],
          launch.gatherFloats(rows, features, useOrder, width, undefined, { first, count: end - first }),
          { table, entry: 2 },
        );
      }
      expect(Array.from(await run.readF32(shardX, rows * features))).toEqual(Array.from(expectedX));
      const shardRaw = await run.read(shardLabels, rows * width);
      const shardGot = labels instanceof Uint32Array ? new Uint32Array(shardRaw) : new Float32Array(shardRaw);
      expect(Array.from(shardGot)).toEqual(Array.from(expectedLabels));
    }
  });
});

describe.each(LOSS_THREADS)('softmax_cross_entropy (loss and logit gradient), %s', (_, software) => {
  it.each([
    [1, 10],
    [7, 10],
    [33, 1],
    [300, 33],
    [9, 300],
  ])('%i rows x %i classes', async (rows, classes) => {
    const run = runnerOf(software);
    const rng = new Rng(rows * 7 + classes);
    // Logits up to ±50: exp() would overflow fp32 at 88 without the max subtraction on rows that hold both ends.
    const logits = randomArray(rng, rows * classes, -50, 50);
    const labels = randomLabels(rng, rows, classes);
    const expectedGrad = new Float32Array(rows * classes);
    const expectedLoss = softmaxCrossEntropy(expectedGrad, logits, labels, rows, classes);
    const grad = run.output(rows * classes);
    const losses = run.output(4);
    await run.run(
      'softmax_cross_entropy',
      [grad, losses],
      [run.input(logits), run.input(labels)],
      launch.softmaxCrossEntropy(rows, classes),
      {
        table: [
          { start: 0, slot: 0 },
          { start: 0, slot: 3 },
        ],
        entry: 1,
      },
    );
    const gotLosses = await run.readF32(losses, 4);
    expect(gotLosses.subarray(0, 3).every(Number.isNaN), "only the step's slot is written").toBe(true);
    // log and exp are a few ulp in fp32 and the loss sums rows terms in a tree: 1e-5 relative is ample.
    expectClose([gotLosses[3]], [expectedLoss], { atol: 1e-6, rtol: 1e-5 }, 'mean loss');
    // Gradients are (p - onehot) / rows with p from exp (WGSL allows a few ulp more for large |x|): rtol 1e-4, and
    // atol 1e-6 / rows for p - 1 near zero, where the cancellation leaves only the absolute error.
    expectClose(await run.readF32(grad, rows * classes), expectedGrad, { atol: 1e-6 / rows, rtol: 1e-4 }, 'dLogits');
  });
});

describe.each(LOSS_THREADS)('argmax_count (evaluation: correct count and loss sum), %s', (_, software) => {
  it.each([
    [1, 10],
    [7, 10],
    [300, 10],
    [130, 3],
    [9, 300],
  ])('%i rows x %i classes, with ties', async (rows, classes) => {
    const run = runnerOf(software);
    const rng = new Rng(rows * 11 + classes);
    // Small integers make ties common: the first maximum must win, as in ops.argmaxCount.
    const logits = Float32Array.from({ length: rows * classes }, () => rng.below(4));
    const labels = randomLabels(rng, rows, classes);
    const expectedCorrect = argmaxCount(logits, labels, rows, classes);
    const expectedLoss = softmaxCrossEntropy(null, logits, labels, rows, classes) * rows;
    const out = run.output(2 * 3);
    await run.run(
      'argmax_count',
      [out],
      [run.input(logits), run.input(labels)],
      launch.argmaxCount(rows, classes, 'softmax-cross-entropy', 'classification'),
      {
        table: [
          { start: 0, slot: 0 },
          { start: 0, slot: 2 },
        ],
        entry: 1,
      },
    );
    const raw = await run.read(out, 6);
    expect(new Uint32Array(raw)[5], 'correct count').toBe(expectedCorrect);
    expect(new Float32Array(raw).subarray(0, 4).every(Number.isNaN), "only the batch's slot is written").toBe(true);
    expectClose([new Float32Array(raw)[4]], [expectedLoss], { atol: 1e-6, rtol: 1e-5 }, 'loss sum');
  });
});

describe("noop (the benchmark's overhead baseline)", () => {
  it('each dispatch adds one to the word it writes', async () => {
    const out = run.res.buffer('out', 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, Uint32Array.of(5));
    await run.run('noop', [out], [], launch.noop());
    await run.run('noop', [out], [], launch.noop());
    expect((await run.readU32(out, 1))[0]).toBe(7);
  });
});

describe('device errors', () => {
  it('an uncaptured validation error surfaces from check(); our own destroy() is not reported as a loss', async () => {
    const other = await openTestGpu({ own: true }); // a recorded error stays recorded
    try {
      expect(() => other.check()).not.toThrow();
      // MAP_READ may only be combined with COPY_DST: an invalid buffer, reported asynchronously.
      other.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
      await other.device.queue.onSubmittedWorkDone();
      expect(() => other.check()).toThrow(/GPUValidationError/);
    } finally {
      other.destroy();
    }
    const quiet = await openTestGpu({ own: true }); // really destroyed
    quiet.destroy();
    await quiet.device.lost;
    expect(() => quiet.check()).not.toThrow();
  });
});
