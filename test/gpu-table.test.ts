/**
 * The CLI on a table, CPU against WebGPU: the same classification and regression runs (float32 inputs standardised
 * on the host, u32 class labels, float32 targets) agree as the MNIST runs do, and so do eval and predict.
 */
import './gpu-setup.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-runner.js';
import { COLOUR_HEADER, colourRows, SMOOTH_HEADER, smoothRows, writeCsv } from './table-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-table-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const file = (name: string) => path.join(dir, name);
const json = (name: string) => JSON.parse(fs.readFileSync(file(name), 'utf8'));

async function run(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runCli(...args);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return stdout;
}

/** Relative difference, for losses and errors that float32 sums in another order move slightly. */
const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('a table on CPU and WebGPU', () => {
  writeCsv(file('colours.csv'), COLOUR_HEADER, colourRows(240, 1));
  writeCsv(file('colours-test.csv'), COLOUR_HEADER, colourRows(90, 2));
  writeCsv(file('smooth.csv'), SMOOTH_HEADER, smoothRows(300, 3));

  const settings = ['--hidden', '24,12', '--epochs', '12', '--batch-size', '32', '--seed', '4'];
  const colours = ['--data', file('colours.csv'), '--test', file('colours-test.csv'), '--validation-split', '0.25'];

  it.each(['cpu', 'webgpu'])('classification and regression train on %s', async (backend) => {
    const common = ['--backend', backend, ...settings];
    const out = await run(
      'train',
      ...colours,
      ...common,
      '--out',
      file(`colours-${backend}.safetensors`),
      '--report',
      file(`colours-${backend}.json`),
    );
    if (backend === 'webgpu') expect(out).toMatch(/^device: WebGPU: /m);
    await run(
      'train',
      '--data',
      file('smooth.csv'),
      '--task',
      'regression',
      '--target',
      'y,z',
      ...common,
      '--out',
      file(`smooth-${backend}.safetensors`),
      '--report',
      file(`smooth-${backend}.json`),
    );
  });

  it('streamed through the GPU (--gpu-data-bytes below the table), the same model bit for bit', async () => {
    // 180 training, 60 validation and 90 test rows of 4 features and a label word: 6,600 bytes; a window of 200 rows.
    const streamed = file('colours-streamed.safetensors');
    await run('train', ...colours, '--backend', 'webgpu', ...settings, '--gpu-data-bytes', '4000', '--out', streamed);
    expect(fs.readFileSync(streamed)).toEqual(fs.readFileSync(file('colours-webgpu.safetensors')));
  });

  it('agree epoch by epoch, within float32 rounding', () => {
    const [cpu, gpu] = ['cpu', 'webgpu'].map((b) => json(`colours-${b}.json`));
    expect(gpu.backend).toBe('webgpu');
    cpu.history.forEach((c: Record<string, number>, i: number) => {
      const g = gpu.history[i];
      for (const key of ['trainLoss', 'testLoss', 'valLoss'])
        expect(relative(g[key], c[key]), `epoch ${i + 1} ${key}`).toBeLessThan(1e-4);
      // At most one of the 90 test rows (and of the 60 validation rows) may flip on a near-tie.
      expect(Math.abs(g.testAccuracy - c.testAccuracy)).toBeLessThanOrEqual(1 / 90 + 1e-12);
      expect(Math.abs(g.valAccuracy - c.valAccuracy)).toBeLessThanOrEqual(1 / 60 + 1e-12);
    });
    const [cpuR, gpuR] = ['cpu', 'webgpu'].map((b) => json(`smooth-${b}.json`));
    cpuR.history.forEach((c: Record<string, number>, i: number) => {
      const g = gpuR.history[i];
      for (const key of ['trainLoss', 'testLoss', 'testRMSE', 'testMAE'])
        expect(relative(g[key], c[key]), `epoch ${i + 1} ${key}`).toBeLessThan(1e-4);
      expect(Math.abs(g.testR2 - c.testR2)).toBeLessThan(1e-5);
    });
    expect(cpuR.history[11].trainLoss).toBeLessThan(0.5 * cpuR.history[0].trainLoss);
  });

  it('eval and predict on WebGPU give what the CPU gives, and the same streamed through the GPU', async () => {
    // streamed: 300 rows of 3 features and 2 targets through a window of 40 rows; 90 rows of 4 and a label, of 20 rows.
    for (const [name, backend] of [
      ['cpu', 'cpu'],
      ['webgpu', 'webgpu'],
      ['streamed', 'webgpu'],
    ]) {
      const gpuData = (bytes: string) => (name === 'streamed' ? ['--gpu-data-bytes', bytes] : []);
      await run(
        'eval',
        '--model',
        file('smooth-cpu.safetensors'),
        '--data',
        file('smooth.csv'),
        '--backend',
        backend,
        ...gpuData('800'),
        '--report',
        file(`eval-${name}.json`),
      );
      await run(
        'predict',
        '--model',
        file('colours-cpu.safetensors'),
        '--data',
        file('colours-test.csv'),
        '--backend',
        backend,
        ...gpuData('400'),
        '--out',
        file(`p-${name}.csv`),
      );
    }
    const timeless = (name: string) => ({ ...json(`eval-${name}.json`), seconds: 0 });
    expect(timeless('streamed')).toEqual(timeless('webgpu'));
    expect(fs.readFileSync(file('p-streamed.csv'), 'utf8')).toBe(fs.readFileSync(file('p-webgpu.csv'), 'utf8'));
    const [cpu, gpu] = ['cpu', 'webgpu'].map((b) => json(`eval-${b}.json`));
    for (const key of ['testRMSE', 'testMAE', 'testLoss']) expect(relative(gpu[key], cpu[key]), key).toBeLessThan(1e-5);
    const rows = (b: string) =>
      fs
        .readFileSync(file(`p-${b}.csv`), 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(','));
    const [pc, pg] = [rows('cpu'), rows('webgpu')];
    expect(pg[0]).toEqual(pc[0]);
    pc.slice(1).forEach((row, i) => {
      row.slice(1).forEach((p, j) => expect(Math.abs(Number(pg[i + 1][j + 1]) - Number(p))).toBeLessThan(1e-5));
    });
    expect(pg.filter((row, i) => row[0] !== pc[i][0]).length).toBeLessThanOrEqual(1);
  });
});
