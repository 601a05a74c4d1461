import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu/backend.js';
import { loadMnist } from '../src/data/mnist.js';
import { createWebGpuBackend } from '../src/gpu/backend.js';
import type { Gpu } from '../src/gpu/device.js';
import { nodeShaderLoader } from '../src/gpu/shaders-node.js';
import { makeSpec } from '../src/model/spec.js';
import { DEFAULT_TRAIN_OPTIONS, train } from '../src/train/trainer.js';
import { runCli } from './cli-runner.js';
import { openTestGpu } from './gpu-setup.js';

// Whole runs on real MNIST data, GPU (SwiftShader in CI) against the CPU reference. The parity runs are short (the
// curves agree at any length); the run that must reach 85% test accuracy trains one epoch on 3000 digits. All three
// share the first layer's shapes (784 -> 64 at batch 64), so the matmul variants one compiles serve the others.
describe('training on WebGPU against the CPU backend', () => {
  let gpu: Gpu;
  beforeAll(async () => {
    gpu = await openTestGpu();
  });
  afterAll(() => gpu?.destroy());

  it('gives the same loss curve and accuracy on an MNIST subset', async () => {
    const data = loadMnist(undefined, { trainLimit: 640 });
    const spec = makeSpec([784, 64, 10]);
    const options = { ...DEFAULT_TRAIN_OPTIONS, epochs: 2, batch: 64, logEvery: 2 };
    const run = async (backend: CpuBackend | Awaited<ReturnType<typeof createWebGpuBackend>>) => {
      const curve: number[] = [];
      const result = await train(backend, spec, data, options, { onProgress: (p) => curve.push(p.loss) });
      backend.dispose();
      return { curve, result };
    };
    const cpu = await run(new CpuBackend());
    const webgpu = await run(await createWebGpuBackend(nodeShaderLoader, { gpu }));
    // 2 epochs of 10 steps, read every 2 steps: 10 points.
    expect(webgpu.curve).toHaveLength(10);
    // float32 sums in a different order drift apart slowly over SGD steps; 1e-4 relative still catches any
    // wrong index, missing term or stale buffer, which move the loss by percent.
    for (let i = 0; i < cpu.curve.length; i++) {
      expect(Math.abs(webgpu.curve[i] - cpu.curve[i]) / cpu.curve[i], `loss point ${i}`).toBeLessThan(1e-4);
    }
    expect(webgpu.curve[9]).toBeLessThan(0.5 * webgpu.curve[0]);
    for (const [g, c] of webgpu.result.history.map((h, i) => [h, cpu.result.history[i]])) {
      expect(Math.abs(g.testLoss! - c.testLoss!) / c.testLoss!).toBeLessThan(1e-4);
      // At most a couple of the 10,000 test digits may flip on a near-tie.
      expect(Math.abs(g.testAccuracy! - c.testAccuracy!)).toBeLessThanOrEqual(2e-4);
    }
  });

  it('train --backend webgpu ends within 0.5 points of --backend cpu with the same seed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-cli-'));
    const reports = [];
    for (const backend of ['cpu', 'webgpu']) {
      const report = path.join(dir, `${backend}.json`);
      const { code, stderr, stdout } = await runCli(
        'train',
        '--backend',
        backend,
        '--train-limit',
        '3000',
        '--layers',
        '784,64,10',
        '--seed',
        '7',
        '--report',
        report,
      );
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(/done: test accuracy/);
      reports.push(JSON.parse(fs.readFileSync(report, 'utf8')));
    }
    const [cpu, webgpu] = reports;
    expect(webgpu.backend).toBe('webgpu');
    expect(webgpu.device).toMatch(/^WebGPU: /);
    expect(webgpu.trainSamples).toBe(3000);
    expect(cpu.testAccuracy).toBeGreaterThan(0.85);
    expect(Math.abs(webgpu.testAccuracy - cpu.testAccuracy)).toBeLessThanOrEqual(0.005);
    fs.rmSync(dir, { recursive: true });
  });

  it('train --backend webgpu with validation, adamw, a cosine schedule, gelu and dropout ends near the CPU', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-cli-'));
    const flags = [
      '--train-limit',
      '1500',
      '--validation-split',
      '0.2',
      '--layers',
      '784,64,64,10',
      '--optimizer',
      'adamw',
      '--learning-rate',
      '0.005',
      '--schedule',
      'cosine',
      '--activation',
      'gelu',
      '--dropout',
      '0.1',
      '--seed',
      '3',
      '--epochs',
      '2',
    ];
    const reports = [];
    for (const backend of ['cpu', 'webgpu']) {
      const report = path.join(dir, `${backend}.json`);
      const { code, stderr } = await runCli('train', '--backend', backend, ...flags, '--report', report);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      reports.push(JSON.parse(fs.readFileSync(report, 'utf8')));
    }
    const [cpu, gpu] = reports;
    expect(gpu.backend).toBe('webgpu');
    expect(cpu.testAccuracy).toBeGreaterThan(0.8);
    // Same seed, same masks, same schedule: the runs differ only by fp32 rounding.
    expect(Math.abs(gpu.testAccuracy - cpu.testAccuracy)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(gpu.valAccuracy - cpu.valAccuracy)).toBeLessThanOrEqual(0.01);
    fs.rmSync(dir, { recursive: true });
  });
});
