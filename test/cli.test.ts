import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, runCli } from './cli-runner.js';
import { readModel as loadModel } from './model-files.js';

describe('train CLI', () => {
  it('documents every flag in --help', async () => {
    const { code, stdout } = await runCli('train', '--help');
    expect(code).toBe(0);
    for (const flag of [
      '--layers',
      '--epochs',
      '--batch-size',
      '--learning-rate',
      '--seed',
      '--backend',
      '--data',
      '--train-limit',
      '--out',
      '--report',
      '--help',
    ]) {
      expect(stdout).toContain(flag);
    }
  });

  it.each([
    [['train', '--learning-rate', '0'], /--learning-rate 0 is out of range: use a number above 0/],
    [['train', '--learning-rate', 'fast'], /--learning-rate "fast" is not valid/],
    [['train', '--batch-size', '0'], /--batch-size 0 is out of range: use an integer >= 1/],
    [['train', '--epochs', '1.5'], /--epochs "1.5" is not valid/],
    [['train', '--layers', '784,abc'], /--layers "784,abc" is not a list of sizes/],
    [['train', '--layers', '100,10'], /input size 100 does not match the training images \(784 pixels\)/],
    [['train', '--backend', 'tpu'], /--backend "tpu" is not one of auto, cpu, wasm, webgpu/],
    [['train', '--bogus'], /Unknown option '--bogus'.*see train --help/],
    [['train', '--batch-size', '100000'], /--batch-size 100000 is larger than the training set \(60000 samples\)/],
    [['train', '--train-limit', '70000'], /train limit 70000 must be .* 1 to 60000/],
    [['train', '--data', '/nonexistent/mnist'], /\/nonexistent\/mnist/],
    [['train', '--out', '/nonexistent/m.safetensors'], /--out .* folder \/nonexistent does not exist/],
    [['fly'], /unknown command "fly"/],
  ])('%j fails with exit code 2 and one line', async (args, message) => {
    const { code, stderr, stdout } = await runCli(...args);
    expect(stderr).toMatch(message);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).toBe('');
  });

  it('trains on a subset, prints per-epoch lines, and writes the report and a loadable model', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
    const report = path.join(dir, 'report.json');
    const model = path.join(dir, 'model.safetensors');
    const { code, stdout, stderr } = await runCli(
      'train',
      '--backend',
      'cpu',
      '--train-limit',
      '3000',
      '--epochs',
      '2',
      '--layers',
      '784,32,10',
      '--seed',
      '3',
      '--report',
      report,
      '--out',
      model,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/epoch 1\/2 .*test accuracy/);
    expect(stdout).toMatch(/epoch 2\/2 .*test accuracy/);
    expect(stdout).toMatch(/done: test accuracy/);
    const json = JSON.parse(fs.readFileSync(report, 'utf8'));
    expect(json).toMatchObject({
      backend: 'cpu',
      layers: [784, 32, 10],
      epochs: 2,
      batch: 64,
      lr: 0.1,
      seed: 3,
      trainSamples: 3000,
    });
    expect(json.device).toMatch(/CPU/);
    expect(json.testAccuracy).toBeGreaterThan(0.8);
    expect(json.testAccuracy).toBeLessThanOrEqual(1);
    expect(json.testLoss).toBeGreaterThan(0);
    expect(json.seconds).toBeGreaterThan(0);
    expect(json.history).toHaveLength(2);
    expect(Object.keys(json.history[0]).sort()).toEqual([
      'epoch',
      'seconds',
      'steps',
      'testAccuracy',
      'testLoss',
      'trainAccuracy',
      'trainEvalLoss',
      'trainLoss',
    ]);
    expect(json.history[1].testAccuracy).toBe(json.testAccuracy);
    // The training set after the last epoch, beside the test set's figures, in the report and the epoch lines.
    expect(json.trainAccuracy).toBe(json.history[1].trainAccuracy);
    expect(json.trainEvalLoss).toBe(json.history[1].trainEvalLoss);
    expect(json.trainAccuracy).toBeGreaterThan(0.8);
    expect(stdout).toMatch(/epoch 2\/2 .*test accuracy \d+\.\d\d% {2}train accuracy \d+\.\d\d% /);
    expect(loadModel(model).spec.layers).toEqual([784, 32, 10]);
    fs.rmSync(dir, { recursive: true });
  });

  it('holds images out with --validation-split and stops early on their loss', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-cli-val-'));
    const report = path.join(dir, 'r.json');
    const { code, stdout, stderr } = await runCli(
      'train',
      ...['--backend', 'cpu', '--train-limit', '600', '--epochs', '2', '--hidden', '16'],
      ...['--validation-split', '0.2', '--early-stopping', '1', '--report', report],
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^data: 480 training samples, 120 validation, 10000 test$/m);
    expect(stdout).toMatch(/^early stop(ping:| after epoch 2:) .*lowest validation loss/m);
    const json = JSON.parse(fs.readFileSync(report, 'utf8'));
    expect([json.trainSamples, json.valSamples, json.testSamples]).toEqual([480, 120, 10000]);
    expect(json.valLoss).toBe(json.history[json.earlyStop.bestEpoch - 1].valLoss);
    fs.rmSync(dir, { recursive: true });
  });

  it('--version prints the package version', async () => {
    const version = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')).version;
    expect(await runCli('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('the bin: help exits 0, a bad flag exits 2 with the one line, as the shell sees them', () => {
    const help = cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: webgpu-mlp <command>/);
    expect(help.stderr).toBe('');
    const bad = cli('train', '--learning-rate', '0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: --learning-rate 0 is out of range: use a number above 0\n');
    expect(bad.stdout).toBe('');
  });
});
