/**
 * Evaluation and prediction on the GPU against the CPU: a whole run through train() with a validation set,
 * predict() and evaluate() at their edges, an evaluateOnly session (what eval and predict open), and the eval and
 * predict commands on the WebGPU backend.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../src/backend.js';
import { CpuBackend } from '../src/cpu/backend.js';
import { loadMnist } from '../src/data/mnist.js';
import { UserError } from '../src/errors.js';
import { encodeModel } from '../src/io/model-codec.js';
import { paramTable } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { makeSpec } from '../src/model/spec.js';
import { evaluateModel, predictOutputs } from '../src/train/inference.js';
import { argmax } from '../src/train/metrics.js';
import { train as trainRun } from '../src/train/trainer.js';
import { cli, runCli } from './cli-runner.js';
import { BATCH, LAYERS, lossTol, useTestGpu } from './gpu-fixture.js';
import { PARAMS_TOL, sessionOptions, testSet, trainSet, valSet } from './gpu-session-parity.js';
import { expectClose, expectTensorsClose, randomDataset } from './helpers.js';

const fixture = useTestGpu();

describe('a whole run through train(), GPU against CPU', () => {
  it('tanh, dropout 0.2 and a validation set over 2 epochs of 10 steps in chunks of 4: parameters and history', async () => {
    const spec = makeSpec(LAYERS, { activation: 'tanh' });
    const options = { epochs: 2, batch: BATCH, learningRate: 0.1, seed: 4, logEvery: 4, dropout: 0.2 };
    const data = { train: trainSet, test: testSet, val: valSet };
    const [gpuRun, cpuRun] = [
      await trainRun(fixture.backend, spec, data, options),
      await trainRun(new CpuBackend(), spec, data, options),
    ];
    expectTensorsClose(paramTable(spec), gpuRun.params, cpuRun.params, PARAMS_TOL, 'after 20 steps');
    gpuRun.history.forEach((epoch, i) => {
      const want = cpuRun.history[i];
      expectClose(
        [epoch.trainLoss, epoch.testLoss!, epoch.valLoss!],
        [want.trainLoss, want.testLoss!, want.valLoss!],
        lossTol,
        `epoch ${i + 1}: train, test and validation loss`,
      );
      expect([epoch.testAccuracy, epoch.valAccuracy]).toEqual([want.testAccuracy, want.valAccuracy]);
      // The training set evaluated on the backend that trains, without dropout.
      expectClose([epoch.trainEvalLoss!], [want.trainEvalLoss!], lossTol, `epoch ${i + 1}: the training set's loss`);
      expect(epoch.trainAccuracy).toBe(want.trainAccuracy);
    });
    expect(cpuRun.history[1].trainAccuracy).toBeGreaterThan(0);
  });

  it("evaluate('train') is the whole training set's loss and accuracy, on both backends, and a run can leave it out", async () => {
    const spec = makeSpec(LAYERS, { activation: 'tanh' });
    const options = sessionOptions(spec);
    const gpu = await fixture.backend.createSession(options);
    const cpu = await new CpuBackend().createSession(options);
    try {
      const [g, c] = [await gpu.evaluate('train'), await cpu.evaluate('train')];
      expectClose([g.loss], [c.loss], lossTol, "the training set's loss");
      expect(g.accuracy).toBe(c.accuracy);
      // The same figures as predict's outputs over the training set give.
      const outputs = await cpu.predict(trainSet);
      const classes = LAYERS[LAYERS.length - 1];
      let correct = 0;
      for (let r = 0; r < trainSet.count; r++)
        if (argmax(outputs, r * classes, classes) === trainSet.labels[r]) correct++;
      expect(c.accuracy).toBe(correct / trainSet.count);
    } finally {
      gpu.dispose();
      cpu.dispose();
    }
    const run = await trainRun(
      new CpuBackend(),
      spec,
      { train: trainSet, test: testSet },
      { epochs: 1, batch: BATCH, learningRate: 0.1, seed: 4, logEvery: 4, trainMetrics: false },
    );
    expect(run.history[0].trainAccuracy).toBeUndefined();
    expect(run.history[0].trainEvalLoss).toBeUndefined();
  });
});

describe('predict() and evaluate() edge cases', () => {
  it('a session without a validation set refuses evaluate("val"); predict checks the set and the device limits', async () => {
    const spec = makeSpec(LAYERS, { activation: 'tanh' });
    const session = await fixture.backend.createSession({ ...sessionOptions(spec), val: undefined });
    try {
      await expect(session.evaluate('val')).rejects.toThrow(/without a validation set/);
      await expect(session.predict(randomDataset(new Rng(1), 3, 21))).rejects.toThrow(UserError);
      expect(await session.predict({ ...testSet, count: 0 })).toEqual(new Float32Array(0));
      // Two billion images of 20 pixels: beyond any device's binding size, refused before anything is allocated.
      const huge = {
        inputs: { length: 2 ** 36 },
        labels: { length: 2 ** 31 },
        count: 2 ** 31,
        features: 20,
      } as unknown as Dataset;
      await expect(session.predict(huge)).rejects.toThrow(/maxStorageBufferBindingSize|maxBufferSize/);
      // Still usable: one sample alone (one batch of one row), and the whole test set against evaluate().
      const one = {
        ...testSet,
        inputs: testSet.inputs.subarray(20 * 5, 20 * 6),
        labels: testSet.labels.subarray(5, 6),
        count: 1,
      };
      const all = await session.predict(testSet);
      expectClose(await session.predict(one), all.subarray(50, 60), { atol: 1e-6, rtol: 1e-6 }, 'one sample');
      const correct = Array.from({ length: testSet.count }, (_, r) => argmax(all, r * 10, 10) === testSet.labels[r]);
      expect((await session.evaluate()).accuracy).toBe(correct.filter(Boolean).length / testSet.count);
    } finally {
      session.dispose();
    }
  });

  it('a session without a test set refuses evaluate("test") and evaluates the training set as one with it does', async () => {
    const spec = makeSpec(LAYERS, { activation: 'tanh' });
    const { test: _, ...options } = sessionOptions(spec);
    const untested = await fixture.backend.createSession(options);
    const tested = await fixture.backend.createSession(sessionOptions(spec));
    try {
      await expect(untested.evaluate('test')).rejects.toThrow(/^evaluate\("test"\) on a session without a test set$/);
      // Evaluation batches may be cut differently (evalRows follows the sets evaluated): sums in another order.
      const [got, want] = [await untested.evaluate('train'), await tested.evaluate('train')];
      expect(got.accuracy).toBe(want.accuracy);
      expectClose([got.loss], [want.loss], { atol: 0, rtol: 1e-5 }, 'training set loss');
    } finally {
      untested.dispose();
      tested.dispose();
    }
  });
});

describe('an evaluateOnly session (eval and predict open one)', () => {
  it('builds no training dispatches, refuses to train on both backends, and evaluates and predicts as a training session does', async () => {
    const spec = makeSpec(LAYERS, { activation: 'tanh' });
    const options = sessionOptions(spec);
    const trainer = await fixture.backend.createSession(options);
    const viewer = await fixture.backend.createSession({ ...options, evaluateOnly: true });
    const cpu = await new CpuBackend().createSession({ ...options, evaluateOnly: true });
    try {
      expect(trainer.dispatchesPerStep).toBeGreaterThan(0);
      expect(viewer.dispatchesPerStep).toBe(0);
      for (const session of [viewer, cpu]) {
        expect(() => session.setEpochOrder(new Uint32Array(options.train.count))).toThrow(/evaluateOnly/);
        await expect(session.trainSteps(0, 1)).rejects.toThrow(/evaluateOnly/);
      }
      expect(await viewer.evaluate()).toEqual(await trainer.evaluate());
      expect(await viewer.evaluate('val')).toEqual(await trainer.evaluate('val'));
      expect(await viewer.predict(testSet)).toEqual(await trainer.predict(testSet));
    } finally {
      for (const session of [trainer, viewer, cpu]) session.dispose();
    }
  });
});

// ---- the CLI -------------------------------------------------------------------------------------------------------

describe('eval and predict --backend webgpu on a saved model', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-evaluation-'));
  afterAll(() => fs.rmSync(dir, { recursive: true }));

  it('give the accuracy, loss and classes of the CPU backend', async () => {
    // A small MNIST folder (1000 training, 300 test digits) and a GELU + MSE model trained on it by the CPU.
    const mnist = loadMnist(undefined, { trainLimit: 1000 });
    const test = { ...mnist.test, count: 300 };
    const idx = (magic: number, dims: number[], data: Uint8Array) => {
      const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
      header.setUint32(0, magic);
      dims.forEach((d, i) => header.setUint32(4 + 4 * i, d));
      return Buffer.concat([new Uint8Array(header.buffer), data]);
    };
    const data = path.join(dir, 'mnist');
    fs.mkdirSync(data);
    for (const [name, set] of [
      ['train', mnist.train],
      ['t10k', test],
    ] as const) {
      fs.writeFileSync(
        path.join(data, `${name}-images-idx3-ubyte`),
        idx(0x803, [set.count, 28, 28], set.inputs.subarray(0, set.count * 784)),
      );
      fs.writeFileSync(
        path.join(data, `${name}-labels-idx1-ubyte`),
        idx(0x801, [set.count], set.labels.subarray(0, set.count)),
      );
    }
    const spec = makeSpec([784, 16, 10], { activation: 'gelu', loss: 'mse' });
    const trained = await trainRun(
      new CpuBackend(),
      spec,
      { train: mnist.train, test },
      { epochs: 1, batch: 10, learningRate: 0.1, seed: 2, logEvery: 100 },
    );
    const model = path.join(dir, 'model.safetensors');
    fs.writeFileSync(model, encodeModel(spec, trained.params));
    const cpu = await evaluateModel(new CpuBackend(), spec, trained.params, test);
    expect(cpu.test.accuracy).toBeGreaterThan(0.5); // a model that has learnt something, so the classes mean something

    const report = path.join(dir, 'eval.json');
    // The bin itself, on a real adapter: Dawn and Vulkan must print nothing to its stderr.
    const evaluated = cli('eval', '--model', model, '--data', data, '--backend', 'webgpu', '--report', report);
    expect(evaluated.stderr).toBe('');
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/^device: WebGPU: /m);
    const json = JSON.parse(fs.readFileSync(report, 'utf8'));
    expect(json.backend).toBe('webgpu');
    expect(json.testAccuracy).toBe(cpu.test.accuracy);
    expect(Math.abs(json.testLoss - cpu.test.loss) / cpu.test.loss).toBeLessThan(1e-5);
    expect(json.confusion.flat()).toEqual(Array.from(cpu.confusion));

    const index = 17;
    const one = {
      ...test,
      inputs: test.inputs.subarray(index * 784, (index + 1) * 784),
      labels: test.labels.subarray(index, index + 1),
      count: 1,
    };
    const want = argmax(await predictOutputs(new CpuBackend(), spec, trained.params, one), 0, 10);
    const predicted = await runCli(
      'predict',
      '--model',
      model,
      '--data',
      data,
      '--index',
      String(index),
      '--backend',
      'webgpu',
    );
    expect(predicted.stderr).toBe('');
    expect(predicted.code).toBe(0);
    expect(predicted.stdout).toMatch(
      new RegExp(`^test sample ${index} \\(label ${test.labels[index]}\\): class ${want} \\(output `, 'm'),
    );
  });
});
