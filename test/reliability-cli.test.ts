/**
 * The CLI's errors: every way a run can be set up wrong ends with exit code 2 and one line on stderr naming the
 * problem and the fix, no stack unless --verbose; a bug ends with exit code 1 and one line pointing at --verbose; a
 * diverging run stops with the epoch and step and keeps its last good checkpoint.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type BackendNote, openBackend } from '../src/api/engine.js';
import { choiceLine } from '../src/cli/backends.js';
import { defaultMnistDir, MNIST_FILES } from '../src/data/mnist.js';
import { encodeModel } from '../src/io/model-codec.js';
import { initParams, paramTable } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { makeSpec } from '../src/model/spec.js';
import { runCli } from './cli-runner.js';
import { openTestGpu } from './gpu-setup.js';
import { randomDataset } from './helpers.js';
import { loadCheckpoint } from './model-files.js';
import { cliWithFaultyGpu } from './reliability-helpers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => path.join(dir, name);

// Fixtures: models that do not fit MNIST, a file that is no model, and data folders with one bad file each (the
// others linked to the real ones).
const model = (name: string, layers: number[]) => {
  const spec = makeSpec(layers);
  fs.writeFileSync(file(name), encodeModel(spec, initParams(paramTable(spec), 1)));
  return file(name);
};
const inputs100 = model('inputs100.safetensors', [100, 16, 10]);
const outputs5 = model('outputs5.safetensors', [784, 16, 5]);
fs.writeFileSync(file('notes.safetensors'), 'not a model');
const dataFolder = (name: string, bad: string, bytes: Uint8Array) => {
  fs.mkdirSync(file(name));
  for (const f of MNIST_FILES) {
    if (f === bad) fs.writeFileSync(path.join(file(name), f), bytes);
    else fs.symlinkSync(path.join(defaultMnistDir(), f), path.join(file(name), f));
  }
  return file(name);
};
const badMagic = dataFolder('bad-magic', 't10k-labels-idx1-ubyte', Buffer.from('garbage!'));
const truncated = dataFolder(
  'truncated',
  'train-images-idx3-ubyte',
  Uint8Array.of(0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3),
);
fs.mkdirSync(file('empty'));

/** Exit code 2, one line on stderr, no stack, nothing on stdout. */
function expectOneLine(result: { code: number | null; stdout: string; stderr: string }, message: RegExp): void {
  expect(result.stderr).toMatch(message);
  expect(result.code).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
}

describe('a run set up wrong ends with one line naming the problem and the fix', () => {
  it.each([
    [
      'a missing data folder',
      ['train', '--data', file('missing')],
      /missing: no such folder; --data DIR must point at a folder laid out like MNIST/,
    ],
    [
      'a data folder that is a file',
      ['train', '--data', file('notes.safetensors')],
      /notes\.safetensors: not a folder; --data DIR must point at a folder/,
    ],
    [
      'an empty data folder',
      ['train', '--data', file('empty')],
      /empty\/train-images-idx3-ubyte: not found .*; --data DIR must point at a folder/,
    ],
    [
      'a data file with a bad magic number',
      ['train', '--data', badMagic, '--backend', 'cpu'],
      /t10k-labels-idx1-ubyte: not an IDX label file: .*: replace the file with a good copy, or point --data at another folder$/m,
    ],
    [
      'a truncated data file',
      ['eval', '--model', outputs5, '--data', truncated],
      /train-images-idx3-ubyte: truncated: .*: replace the file with a good copy, or point --data at another folder$/m,
    ],
    [
      'a file that is no model',
      ['eval', '--model', file('notes.safetensors')],
      /notes\.safetensors: not a valid safetensors model file: .*; give a model written by train --out/,
    ],
    [
      'a model with other inputs than the images (eval)',
      ['eval', '--model', inputs100, '--backend', 'cpu'],
      /inputs100\.safetensors takes 100 inputs but the test images of .* have 784 pixels: use a model trained on images of this size/,
    ],
    [
      'a model with other inputs than the images (predict)',
      ['predict', '--model', inputs100, '--index', '0'],
      /inputs100\.safetensors takes 100 inputs but the test images of .* have 784 pixels/,
    ],
    [
      'a model with other inputs than the images (train --init)',
      ['train', '--init', inputs100, '--backend', 'cpu'],
      /inputs100\.safetensors takes 100 inputs but the training images of .* have 784 pixels/,
    ],
    [
      'a model with fewer outputs than classes (eval)',
      ['eval', '--model', outputs5, '--backend', 'cpu'],
      /outputs5\.safetensors has 5 outputs but the test images of .* include label 9: use a model with at least 10 outputs/,
    ],
    [
      'a model with fewer outputs than classes (train --init)',
      ['train', '--init', outputs5, '--train-limit', '640'],
      /outputs5\.safetensors has 5 outputs but the training images of .* include label \d: use a model with at least 10 outputs/,
    ],
    [
      'a learning rate of 0',
      ['train', '--learning-rate', '0'],
      /--learning-rate 0 is out of range: use a number above 0/,
    ],
    [
      'a negative learning rate',
      ['train', '--learning-rate', '-1'],
      /--learning-rate -1 is out of range: use a number above 0/,
    ],
    ['a batch of 0', ['train', '--batch-size', '0'], /--batch-size 0 is out of range: use an integer >= 1/],
    [
      'a batch larger than the training set',
      ['train', '--train-limit', '100', '--batch-size', '101'],
      /--batch-size 101 is larger than the training set \(100 samples\): use a smaller batch/,
    ],
  ])('%s', async (_what, args, message) => {
    expectOneLine(await runCli(...args), message);
  });

  it("layer sizes beyond the GPU's limits are refused before training, naming the limit", async () => {
    const gpu = await openTestGpu();
    const { maxStorageBufferBindingSize, maxBufferSize } = gpu.device.limits;
    gpu.destroy();
    // A hidden layer whose weights alone exceed both limits: refused before its parameters are even initialised.
    const hidden = Math.ceil(Math.max(maxStorageBufferBindingSize, maxBufferSize) / (4 * 795)) + 1;
    const result = await runCli('train', '--backend', 'webgpu', '--layers', `784,${hidden},10`, '--train-limit', '640');
    expect(result.stderr).toMatch(
      /^error: the parameters need \d+\.\d MiB, more than this GPU's (maxStorageBufferBindingSize|maxBufferSize) \(\d+\.\d MiB\): use smaller layers\n$/,
    );
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).not.toMatch(/^epoch /m);
  });

  it("--backend auto takes the CPU for a run beyond the GPU's limits or on a software adapter, and says why", async () => {
    const gpu = await openTestGpu();
    const { maxStorageBufferBindingSize, maxBufferSize } = gpu.device.limits;
    gpu.destroy();
    const hidden = Math.ceil(Math.max(maxStorageBufferBindingSize, maxBufferSize) / (4 * 795)) + 1;
    const set = randomDataset(new Rng(3), 64, 784);
    const sizes = (layers: number[]) => ({
      spec: makeSpec(layers),
      batch: 64,
      learningRate: 0.1,
      train: set,
      test: set,
    });
    for (const [layers, kind, line] of [
      [
        [784, hidden, 10],
        'wasm',
        /^backend auto: too large for this GPU \(the parameters need \d+\.\d MiB, more than this GPU's (maxStorageBufferBindingSize|maxBufferSize) \(\d+\.\d MiB\): use smaller layers\), training on the CPU$/,
      ],
      // Within the limits, on the tests' software adapter: the CPU is faster.
      [
        [784, 16, 10],
        'wasm',
        /^backend auto: .* is a software adapter, slower than the CPU on the same cores, training on the CPU \(--backend webgpu forces the GPU\)$/,
      ],
    ] as const) {
      const lines: string[] = [];
      const onChoice = (note: BackendNote) => lines.push(choiceLine(note, 'training'));
      const backend = await openBackend('auto', { onChoice, settings: sizes([...layers]) });
      backend.dispose();
      expect(backend.kind).toBe(kind);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(line);
    }
  });
});

describe('--verbose', () => {
  it('is documented by train, eval and predict', async () => {
    for (const command of ['train', 'eval', 'predict'])
      expect((await runCli(command, '--help')).stdout).toMatch(/--verbose\s+on an error, print its stack trace/);
  });

  it('adds the stack to a user error', async () => {
    const { code, stderr } = await runCli('train', '--learning-rate', '0', '--verbose');
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^error: --learning-rate 0 is out of range: use a number above 0\nUserError: .*\n\s+at checkSetting /,
    );
  });

  it('is where the stack of a bug is: one line without it, the whole stack with it', () => {
    const quiet = cliWithFaultyGpu('broken', 'train', '--backend', 'webgpu', '--train-limit', '640');
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toMatch(
      /^internal error \(a bug: please report it\): TypeError: adapter\.limits is not iterable .*; run again with --verbose for the stack trace\n$/,
    );
    const loud = cliWithFaultyGpu('broken', 'train', '--backend', 'webgpu', '--train-limit', '640', '--verbose');
    expect(loud.code).toBe(1);
    expect(loud.stderr).toMatch(
      /^internal error \(a bug: please report it\): TypeError: adapter\.limits is not iterable .*\n\s+at .*reliability-preload\.ts/,
    );
    expect(loud.stderr).toMatch(/\n\s+at requestGpu /);
  });
});

describe('a diverging run (CPU)', () => {
  it('stops with the epoch and step, exit code 2, and keeps the last good checkpoint; --out is not written', async () => {
    const checkpoint = file('diverging.ckpt');
    const out = file('diverged.safetensors');
    const result = await runCli(
      'train',
      '--backend',
      'cpu',
      '--train-limit',
      '640',
      '--layers',
      '784,16,10',
      '--learning-rate',
      '1000',
      '--epochs',
      '3',
      '--chunk-steps',
      '1',
      '--checkpoint',
      checkpoint,
      '--checkpoint-every',
      '5',
      '--out',
      out,
    );
    expect(result.stderr).toMatch(
      /^error: training diverged at epoch \d, step \d+: the loss is NaN; lower --learning-rate \(now 1000\)\n$/,
    );
    expect(result.code).toBe(2);
    const [, epoch, step] = /epoch (\d), step (\d+)/.exec(result.stderr)!.map(Number);
    const diverged = (epoch - 1) * 10 + step;
    const { state } = loadCheckpoint(checkpoint);
    // The last checkpoint before the divergence, with finite parameters: every 5 steps, so the last multiple of 5.
    expect(diverged).toBeGreaterThan(5);
    expect(state.step).toBe(5 * Math.floor((diverged - 1) / 5));
    expect(state.params.every(Number.isFinite)).toBe(true);
    expect(fs.existsSync(out)).toBe(false);
  });
});
