/**
 * Failure handling on the GPU (SwiftShader in CI), on the toy set so that runs take milliseconds: divergence stops a
 * WebGPU run before anything non-finite is saved; a model beyond the device's limits is refused, the limit named,
 * before a single buffer is made; no GPU buffer outlives its run or its backend; a lost device stops the run with one clear
 * line, its last checkpoint whole, and --resume continues it on the CPU or another device.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu/backend.js';
import { DeviceLostError, UserError } from '../src/errors.js';
import { createWebGpuBackend, type WebGpuBackend } from '../src/gpu/backend.js';
import type { Gpu } from '../src/gpu/device.js';
import { nodeShaderLoader } from '../src/gpu/shaders-node.js';
import { paramTable } from '../src/model/params.js';
import { makeSpec } from '../src/model/spec.js';
import { type TrainOptions, train } from '../src/train/trainer.js';
import { runCli } from './cli-runner.js';
import { openTestGpu } from './gpu-setup.js';
import { loadCheckpoint, saveCheckpoint } from './model-files.js';
import { cliWithFaultyGpu, diverging, expectDivergence, toyData, toySpec } from './reliability-helpers.js';
import { toyDataset } from './toy.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-gpu-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Two epochs of 10 steps, read back after every step. */
const options: TrainOptions = { ...diverging, epochs: 2, learningRate: 0.1, checkpointEvery: undefined };

/** A toy-set model with other layer sizes. */
const toyModel = (layers: number[]) => makeSpec(layers, { inputMean: toySpec.inputMean, inputStd: toySpec.inputStd });

/** Resolves to the error a promise rejects with (failing if it resolves). */
const rejection = (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    () => expect.fail('expected a rejection'),
    (error: Error) => error,
  );

describe('WebGPU', () => {
  let gpu: Gpu;
  let backend: WebGpuBackend;
  beforeAll(async () => {
    gpu = await openTestGpu();
    backend = await createWebGpuBackend(nodeShaderLoader, { gpu });
  });
  afterAll(() => {
    backend?.dispose();
    gpu?.destroy();
  });

  it('divergence stops the run before anything non-finite is saved', async () => {
    await expectDivergence(backend);
  });

  it("a model beyond the device's limits is refused, naming the limit, before any buffer is made", async () => {
    const { maxStorageBufferBindingSize, maxBufferSize } = gpu.device.limits;
    const limit = Math.max(maxStorageBufferBindingSize, maxBufferSize);
    const made = gpu.buffersMade;
    // Weights beyond the limits: train() refuses before it initialises them (a gigabyte of them on SwiftShader).
    const wide = toyModel([16, Math.ceil(limit / (4 * 21)) + 1, 4]);
    const error = await rejection(train(backend, wide, toyData, options));
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(
      /^the parameters need \d+\.\d MiB, more than this GPU's (maxStorageBufferBindingSize|maxBufferSize) \(\d+\.\d MiB\): use smaller layers$/,
    );
    expect((error as UserError).field).toBe('layers');
    // Activations beyond the limits (2000 rows of a wide layer), with parameters that fit: the session refuses too.
    const tallData = { train: toyDataset(1, 2000), test: toyDataset(2, 300) };
    const width = Math.ceil(limit / (4 * 2000)) + 1;
    const tall = toyModel([16, width, 4]);
    const activations = new RegExp(
      `^layer 1's activations \\(2000 rows x ${width}\\) need .*, more than this GPU's (maxStorageBufferBindingSize|maxBufferSize) `,
    );
    const tooTall = await rejection(train(backend, tall, tallData, { ...options, batch: 2000 }));
    expect(tooTall.message).toMatch(activations);
    expect(tooTall.message).toMatch(/: use smaller layers or a smaller batchSize$/);
    expect((tooTall as UserError).field).toBe('batchSize');
    const params = new Float32Array(paramTable(tall).total);
    await expect(
      backend.createSession({ spec: tall, params, batch: 2000, learningRate: 0.1, ...tallData }),
    ).rejects.toThrow(activations);
    expect(gpu.buffersMade).toBe(made);
  });

  it('no buffer outlives its run: 20 runs that finish, diverge, stop on an error or are refused; none outlive the backend', async () => {
    const own = await createWebGpuBackend(nodeShaderLoader, { gpu });
    const baseline = { ...gpu.live };
    const wide = toyModel([16, Math.ceil(gpu.device.limits.maxBufferSize / (4 * 21)) + 1, 4]);
    let peak = baseline;
    for (let run = 0; run < 20; run++) {
      const ending = (['finishes', 'diverges', 'stops', 'is refused'] as const)[run % 4];
      const result = train(
        own,
        ending === 'is refused' ? wide : toySpec,
        toyData,
        {
          ...options,
          logEvery: 5,
          learningRate: ending === 'diverges' ? 1e6 : 0.1,
        },
        {
          yieldPoint: async () => {
            if (gpu.live.bytes > peak.bytes) peak = { ...gpu.live };
            if (ending === 'stops') throw new Error('stopped by the test');
          },
        },
      );
      if (ending === 'finishes') await result;
      else await expect(result).rejects.toThrow();
      expect(gpu.live, `live buffers after run ${run}, which ${ending}`).toEqual(baseline);
    }
    // The counts saw each session's buffers: both data sets, parameters, activations, losses, staging and more.
    expect(peak.buffers).toBeGreaterThan(baseline.buffers + 10);
    expect(peak.bytes).toBeGreaterThan(baseline.bytes + (toyData.train.count + toyData.test.count) * 16);
    // A session nobody disposed is the backend's to dispose.
    await own.createSession({
      spec: toySpec,
      params: new Float32Array(paramTable(toySpec).total),
      batch: 32,
      learningRate: 0.1,
      ...toyData,
    });
    expect(gpu.live.buffers).toBeGreaterThan(baseline.buffers);
    own.dispose();
    expect(gpu.live).toEqual(baseline);
    backend.dispose();
    expect(gpu.live).toEqual({ buffers: 0, bytes: 0 });
  });

  it('a lost device stops the run with a DeviceLostError, leaves the last checkpoint whole, and --resume continues on the CPU and on another device', async () => {
    const checkpoint = path.join(dir, 'lost.ckpt');
    const lost = await openTestGpu({ own: true }); // lost below, as a driver reset loses one
    const lostBackend = await createWebGpuBackend(nodeShaderLoader, { gpu: lost });
    const every: TrainOptions = { ...options, checkpointEvery: 3 };
    let written: Buffer | undefined;
    let chunks = 0;
    const error = await rejection(
      train(lostBackend, toySpec, toyData, every, {
        onCheckpoint: (state) => {
          saveCheckpoint(checkpoint, {
            spec: toySpec,
            options: every,
            state,
            data: { trainSamples: toyData.train.count },
          });
          written = fs.readFileSync(checkpoint);
        },
        // After step 7 (the last checkpoint is step 6's), as a driver reset would: not through Gpu.destroy().
        yieldPoint: async () => {
          if (++chunks === 7) lost.device.destroy();
        },
      }),
    );
    lostBackend.dispose();
    lost.destroy();
    expect(error).toBeInstanceOf(DeviceLostError);
    expect(error.message).toMatch(/^the GPU device was lost \(destroyed: [^)]+\); /);
    expect(fs.readFileSync(checkpoint).equals(written!)).toBe(true);
    const { state } = loadCheckpoint(checkpoint);
    expect(state.step).toBe(6);

    const onCpu = await train(new CpuBackend(), toySpec, toyData, every, {}, { resume: state });
    const another = await createWebGpuBackend(nodeShaderLoader, { gpu });
    const onGpu = await train(another, toySpec, toyData, every, {}, { resume: state });
    another.dispose();
    for (const run of [onCpu, onGpu]) {
      expect(run.steps).toBe(20);
      expect(run.history.map((r) => r.steps)).toEqual([10, 10]);
    }
    // The same run continued twice: float32 sums in another order drift apart a little, a wrong start a lot.
    expect(Math.abs(onGpu.test!.loss - onCpu.test!.loss) / onCpu.test!.loss).toBeLessThan(1e-3);
  });
});

describe('a lost device, through the CLI', () => {
  it('ends with one line giving the reason and the checkpoint; --resume FILE --backend cpu finishes the run', async () => {
    const checkpoint = path.join(dir, 'cli-lost.ckpt');
    const report = path.join(dir, 'resumed.json');
    // Submissions 1, 2: steps 1 and 2; 3: the checkpoint at step 2; 4, 5, 6 likewise; 7: step 5, lost while it runs.
    const lost = cliWithFaultyGpu(
      'lose-after:7',
      'train',
      '--backend',
      'webgpu',
      '--train-limit',
      '640',
      '--layers',
      '784,10',
      '--epochs',
      '2',
      '--chunk-steps',
      '1',
      '--checkpoint',
      checkpoint,
      '--checkpoint-every',
      '2',
    );
    expect(lost.stderr).toMatch(
      new RegExp(
        '^error: the GPU device was lost \\(destroyed: [^)]+\\); the last checkpoint, at step 4, is ' +
          `${checkpoint}: --resume ${checkpoint} continues the run \\(add --backend cpu if the GPU stays unavailable\\)\\n$`,
      ),
    );
    expect(lost.code).toBe(2);
    expect(loadCheckpoint(checkpoint).state.step).toBe(4);
    const resumed = await runCli('train', '--resume', checkpoint, '--backend', 'cpu', '--report', report);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resuming from .*cli-lost\.ckpt: epoch 1, step 4/);
    expect(JSON.parse(fs.readFileSync(report, 'utf8'))).toMatchObject({
      steps: 20,
      history: [{ steps: 10 }, { steps: 10 }],
    });
  });
});
