/**
 * The MLP API on WebGPU (SwiftShader): the same classifier as on the CPU within float32 rounding, models side by side
 * in one process, and every GPU buffer freed.
 */
import './gpu-setup.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../src/gpu/device.js';
import { type FitOptions, MLP } from '../src/index.js';
import { colours } from './api-fixtures.js';
import { openTestGpu } from './gpu-setup.js';

const train = colours(240, 1);
const test = colours(90, 2);
const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
const options: FitOptions = { epochs: 4, batchSize: 16, validationSplit: 0.2, testData: test, dropout: 0.1 };
const create = (backend: 'cpu' | 'webgpu', seed = 4, gpu?: Gpu) =>
  MLP.create({ inputs: 4, hidden: [24, 12], outputs: 3, backend, seed, ...(gpu ? { gpu } : {}) });

let gpu: Gpu;
/** The first test's predictions of each backend's model, trained alone. */
let alone: Float32Array[] = [];
beforeAll(async () => {
  gpu = await openTestGpu();
});
afterAll(() => gpu?.destroy());

describe('MLP on WebGPU', () => {
  it('trains, predicts and evaluates as the CPU does, within float32 rounding', async () => {
    const [cpu, webgpu] = [await create('cpu'), await create('webgpu')];
    expect(webgpu.backend).toBe('webgpu');
    expect(webgpu.device).toMatch(/^WebGPU: /);
    const [c, g] = [await cpu.fit(train.x, train.y, options), await webgpu.fit(train.x, train.y, options)];
    c.history.forEach((record, i) => {
      for (const key of ['trainLoss', 'testLoss', 'valLoss'] as const)
        expect(relative(g.history[i][key]!, record[key]!), `epoch ${i + 1} ${key}`).toBeLessThan(1e-4);
      expect(Math.abs(g.history[i].testAccuracy! - record.testAccuracy!)).toBeLessThanOrEqual(1 / 90 + 1e-12);
    });
    const [pc, pg] = [await cpu.predict(test.x), await webgpu.predict(test.x)];
    alone = [pc.values, pg.values];
    pc.values.forEach((p, i) => expect(Math.abs(pg.values[i] - p)).toBeLessThan(1e-4));
    expect(pg.labels!.filter((label, r) => label !== pc.labels![r]).length).toBeLessThanOrEqual(1);
    const [ec, eg] = [await cpu.evaluate(test.x, test.y), await webgpu.evaluate(test.x, test.y)];
    expect(relative(eg.loss, ec.loss)).toBeLessThan(1e-4);
    // Bytes from the GPU's model predict on the CPU as they do on the GPU.
    const moved = await MLP.fromBytes(webgpu.toBytes(), { backend: 'cpu' });
    (await moved.predict(test.x)).values.forEach((p, i) => expect(Math.abs(pg.values[i] - p)).toBeLessThan(1e-5));
    cpu.dispose();
    webgpu.dispose();
  });

  it('trains a CPU and a WebGPU model side by side, each as it trained alone', async () => {
    const models = await Promise.all([create('cpu'), create('webgpu')]);
    await Promise.all(models.map((model) => model.fit(train.x, train.y, options)));
    const together = await Promise.all(models.map(async (model) => (await model.predict(test.x)).values));
    together.forEach((values, i) => expect(values, models[i].backend).toEqual(alone[i]));
    for (const model of models) model.dispose();
  });

  it('streams sets larger than gpuDataBytes through the GPU, with the results of resident sets bit for bit', async () => {
    // 240 rows of 4 features and a label word: 4,800 bytes a copy of the table; a window of 100 rows, 6 steps of 16.
    const [resident, streamed] = [
      await MLP.create({ inputs: 4, hidden: [24, 12], outputs: 3, backend: 'webgpu', seed: 4, gpu }),
      await MLP.create({
        inputs: 4,
        hidden: [24, 12],
        outputs: 3,
        backend: 'webgpu',
        seed: 4,
        gpu,
        gpuDataBytes: 2000,
      }),
    ];
    const runs: unknown[] = [];
    for (const model of [resident, streamed]) {
      const { history } = await model.fit(train.x, train.y, options);
      const predicted = await model.predict(test.x);
      const timeless = history.map((record) => ({ ...record, seconds: 0 }));
      runs.push({ timeless, predicted, evaluated: await model.evaluate(test.x, test.y) });
      model.dispose();
    }
    expect(runs[1]).toEqual(runs[0]);
    await expect(MLP.create({ inputs: 4, outputs: 3, backend: 'webgpu', gpu, gpuDataBytes: 8 })).rejects.toThrow(
      /^gpuDataBytes must be a whole number of bytes, at least 16; got 8$/,
    );
  });

  it('sweeps as the CPU does, within float32 rounding, and frees what it made', async () => {
    const baseline = { ...gpu.live };
    const small = colours(60, 5);
    const sweep = (backend: 'cpu' | 'webgpu') =>
      MLP.sweep(small.x, small.y, {
        model: { hidden: [8], backend, ...(backend === 'webgpu' ? { gpu } : {}) },
        grid: { learningRate: [0.03, 1e3] },
        folds: 2,
        epochs: 2,
        batchSize: 10,
      });
    const [c, g] = [await sweep('cpu'), await sweep('webgpu')];
    expect(g.models.map((m) => m.diverged !== undefined)).toEqual(c.models.map((m) => m.diverged !== undefined));
    c.models.forEach((model, i) => {
      model.history.forEach((record, e) => {
        for (const key of ['trainLoss', 'valLoss'] as const)
          expect(relative(g.models[i].history[e][key]!, record[key]!), `model ${i} epoch ${e + 1}`).toBeLessThan(1e-4);
      });
    });
    expect(g.table.map((row) => row.index)).toEqual(c.table.map((row) => row.index));
    for (const result of [c, g]) result.best.model.dispose();
    expect(gpu.live).toEqual(baseline);
  });

  it('frees every GPU buffer it makes: after each call, after an abort, and once disposed', async () => {
    const baseline = { ...gpu.live };
    const model = await create('webgpu', 8, gpu);
    await model.fit(train.x, train.y, { ...options, epochs: 1 });
    expect(gpu.live).toEqual(baseline);
    const made = gpu.buffersMade;
    await model.predict(test.x);
    await model.evaluate(test.x, test.y);
    expect(gpu.buffersMade).toBeGreaterThan(made);
    expect(gpu.live).toEqual(baseline);
    const controller = new AbortController();
    const aborted = model.fit(train.x, train.y, {
      epochs: 50,
      signal: controller.signal,
      onChunk: () => controller.abort(),
    });
    await expect(aborted).rejects.toThrow();
    expect(gpu.live).toEqual(baseline);
    model.dispose();
    expect(gpu.live).toEqual(baseline);
    // The shared device stays open for its owner.
    expect(() => gpu.check()).not.toThrow();
  });
});
