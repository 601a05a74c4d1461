/**
 * The flags of train beyond the basics (optimisers, schedules, activations, losses, dropout, validation, checkpoints),
 * eval and predict, as a person runs them: one-line errors with exit code 2, a run with validation, plots and a
 * report, eval agreeing with the training report, predict on a test sample and on a PNG, and resume through
 * checkpoint files giving bitwise the uninterrupted model.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/mnist.js';
import { encodeCheckpoint } from '../src/io/checkpoint-codec.js';
import { encodeModel } from '../src/io/model-codec.js';
import { initParams, paramTable } from '../src/model/params.js';
import { makeSpec } from '../src/model/spec.js';
import { runCli } from './cli-runner.js';
import { readModel as loadModel } from './model-files.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-features-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const file = (name: string) => path.join(dir, name);

// Fixtures the error cases need, written before the table below is built.
const smallSpec = makeSpec([784, 16, 10]);
const smallParams = initParams(paramTable(smallSpec), 1);
fs.writeFileSync(file('small.safetensors'), encodeModel(smallSpec, smallParams));
fs.writeFileSync(
  file('checkpoint.safetensors'),
  encodeCheckpoint({
    spec: smallSpec,
    options: { epochs: 2, batch: 64, learningRate: 0.1, seed: 1, logEvery: 100 },
    data: { trainSamples: 60000 },
    state: {
      params: smallParams,
      optimizer: [],
      step: 0,
      epoch: 1,
      epochStep: 0,
      shuffleState: [1, 2, 3, 4],
      epochLossSum: 0,
      history: [],
    },
  }),
);
fs.writeFileSync(file('note.png'), 'not a png');

describe('train, eval and predict flags', () => {
  it('train --help documents every optimiser, schedule, model, data and checkpoint flag', async () => {
    const { code, stdout } = await runCli('train', '--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: webgpu-mlp train \[options\]\n/);
    expect(stdout).not.toContain('npm run');
    for (const flag of [
      '--optimizer',
      '--momentum',
      '--dampening',
      '--weight-decay',
      '--beta1',
      '--beta2',
      '--eps',
      '--alpha',
      '--centered',
      '--schedule',
      '--step-size',
      '--gamma',
      '--min-lr',
      '--activation',
      '--loss',
      '--dropout',
      '--validation-split',
      '--shuffle',
      '--max-steps',
      '--init',
      '--resume',
      '--checkpoint',
      '--checkpoint-every',
      '--plot',
    ]) {
      expect(stdout).toContain(flag);
    }
    expect((await runCli('eval', '--help')).stdout).toMatch(/^Usage: webgpu-mlp eval --model FILE/);
    expect((await runCli('predict', '--help')).stdout).toMatch(/^Usage: webgpu-mlp predict --model FILE \(--image/);
  });

  const m = file('small.safetensors');
  it.each([
    [
      ['train', '--optimizer', 'lion'],
      /--optimizer "lion" is not one of sgd, momentum, nesterov, adam, adamw, rmsprop/,
    ],
    [['train', '--activation', 'swish'], /--activation "swish" is not one of relu, leaky-relu, sigmoid, tanh, gelu/],
    [['train', '--loss', 'hinge'], /--loss "hinge" is not one of softmax-cross-entropy, mse/],
    [['train', '--beta1', '0.8'], /--beta1 applies to --optimizer adam or adamw only/],
    [['train', '--momentum', '0.9'], /--momentum applies to --optimizer momentum, nesterov or rmsprop only/],
    [['train', '--alpha', '0.9'], /--alpha applies to --optimizer rmsprop only/],
    [['train', '--optimizer', 'adam', '--centered', 'true'], /--centered applies to --optimizer rmsprop only/],
    [['train', '--optimizer', 'rmsprop', '--alpha', '1.5'], /--alpha 1.5 is out of range: use a number in \[0, 1\]/],
    [['train', '--optimizer', 'rmsprop', '--centered', 'yes'], /--centered "yes" is not valid: use true or false/],
    [['train', '--optimizer', 'adam', '--beta2', '1'], /--beta2 1 is out of range/],
    [['train', '--optimizer', 'adam', '--eps', 'tiny'], /--eps "tiny" is not valid/],
    [['train', '--optimizer', 'momentum', '--momentum', '0'], /--optimizer momentum needs --momentum above 0/],
    [['train', '--weight-decay=-1'], /--weight-decay -1 is out of range/],
    [['train', '--schedule', 'step'], /--schedule step needs --step-size N/],
    [['train', '--schedule', 'cosine', '--min-lr', '1'], /--min-lr must be at least 0 and below --learning-rate 0.1/],
    [['train', '--gamma', '0.5'], /--gamma applies to --schedule step only/],
    [['train', '--dropout', '1'], /--dropout 1 is out of range: use a number in \[0, 1\)/],
    [['train', '--dropout', '0.5', '--layers', '784,10'], /--dropout acts on hidden layers/],
    [['train', '--validation-split', '1'], /--validation-split 1 is out of range: use a number in \(0, 1\)/],
    [['train', '--val', '100'], /unknown option '--val': did you mean --validation-split\? See train --help/],
    [['train', '--epoch', '3'], /^error: unknown option '--epoch': did you mean --epochs\? See train --help\n$/],
    [
      ['train', '--lerning-rate', '3'],
      /^error: unknown option '--lerning-rate': did you mean --learning-rate\? See train/,
    ],
    [['train', '--zzz'], /^error: Unknown option '--zzz': see train --help\n$/],
    [['train', '--shuffle', 'no'], /--shuffle "no" is not valid: use true or false/],
    [['train', '--max-steps', '0'], /--max-steps 0 is out of range: use an integer >= 1/],
    [['train', '--checkpoint-every', '10'], /--checkpoint-every needs --checkpoint FILE/],
    [['train', '--plot', file('curves.png')], /--plot .*curves\.png: only \.svg files are written/],
    [['train', '--resume', file('missing.safetensors')], /missing\.safetensors: cannot read the checkpoint \(ENOENT\)/],
    [['train', '--resume', m], /small\.safetensors: not a checkpoint/],
    [
      ['train', '--resume', file('checkpoint.safetensors'), '--learning-rate', '0.5'],
      /--learning-rate 0\.5 differs from the checkpoint .*'s 0\.1: leave --learning-rate out/,
    ],
    [
      ['train', '--resume', file('checkpoint.safetensors'), '--validation-split', '0.1'],
      /--validation-split 0\.1 differs from the checkpoint .*'s none: leave --validation-split out/,
    ],
    [
      ['train', '--resume', file('checkpoint.safetensors'), '--optimizer', 'adam'],
      /--optimizer adam differs from the checkpoint/,
    ],
    [['train', '--resume', file('checkpoint.safetensors'), '--init', m], /--init and --resume cannot be combined/],
    [['train', '--init', m, '--layers', '784,32,10'], /--layers 784,32,10 differs from the model .*'s 784,16,10/],
    [['train', '--gpu-data-bytes', '8'], /^error: --gpu-data-bytes "8" is not valid: use an integer >= 16$/m],
    [['eval'], /eval needs --model FILE/],
    [['eval', '--model', file('missing.safetensors')], /missing\.safetensors: cannot read the model file/],
    [['eval', '--model', m, '--plot', file('cm.pdf')], /only \.svg files are written/],
    [['predict', '--model', m], /predict needs one of --image FILE\.png or --index N/],
    [['predict', '--model', m, '--index', '10000'], /--index "10000" is not valid: use an integer in 0\.\.9999/],
    [['predict', '--model', m, '--image', file('note.png')], /note\.png: not a PNG image/],
  ])('%j fails with exit code 2 and one line', async (args, message) => {
    const { code, stderr, stdout } = await runCli(...args);
    expect(stderr).toMatch(message);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stdout).toBe('');
  });
});

describe('a run with adam, cosine, gelu, dropout and validation, then eval and predict on its model', () => {
  const report = file('report.json');
  const model = file('model.safetensors');
  const curves = file('curves.svg');

  it('trains with adam, cosine, gelu, dropout and a validation split, and writes report, curves and model', async () => {
    const { code, stdout, stderr } = await runCli(
      'train',
      '--backend',
      'cpu',
      '--train-limit',
      '4000',
      '--layers',
      '784,48,10',
      '--epochs',
      '3',
      '--optimizer',
      'adam',
      '--schedule',
      'cosine',
      '--activation',
      'gelu',
      '--dropout',
      '0.1',
      '--validation-split',
      '0.2',
      '--seed',
      '5',
      '--report',
      report,
      '--out',
      model,
      '--plot',
      curves,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /training 784-48-10 \(gelu, softmax-cross-entropy\), batch 64, adam lr 0\.001, cosine schedule to 0, dropout 0\.1/,
    );
    expect(stdout).toMatch(/data: 3200 training samples, 800 validation, 10000 test/);
    expect(stdout).toMatch(/epoch 3\/3 .*val accuracy/);
    const json = JSON.parse(fs.readFileSync(report, 'utf8'));
    expect(json).toMatchObject({
      backend: 'cpu',
      layers: [784, 48, 10],
      activation: 'gelu',
      loss: 'softmax-cross-entropy',
      epochs: 3,
      steps: 150,
      batch: 64,
      lr: 0.001,
      optimizer: { name: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
      schedule: { name: 'cosine', minLr: 0 },
      dropout: 0.1,
      shuffle: true,
      seed: 5,
      trainSamples: 3200,
      valSamples: 800,
      testSamples: 10000,
    });
    expect(json.testAccuracy).toBeGreaterThan(0.85);
    expect(json.valAccuracy).toBeGreaterThan(0.85);
    expect(Object.keys(json.history[0]).sort()).toEqual([
      'epoch',
      'seconds',
      'steps',
      'testAccuracy',
      'testLoss',
      'trainAccuracy',
      'trainEvalLoss',
      'trainLoss',
      'valAccuracy',
      'valLoss',
    ]);
    expect(json.history[2].valAccuracy).toBe(json.valAccuracy);
    const svg = fs.readFileSync(curves, 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.match(/<polyline /g)).toHaveLength(6); // loss: train, test, val; accuracy: train, test, val
    expect(loadModel(model).spec).toMatchObject({ layers: [784, 48, 10], activation: 'gelu' });
  });

  it('eval reads the model back and gives the accuracy and loss the training report gave', async () => {
    const evalReport = file('eval.json');
    const matrix = file('confusion.svg');
    const { code, stdout, stderr } = await runCli(
      'eval',
      '--model',
      model,
      '--backend',
      'cpu',
      '--report',
      evalReport,
      '--plot',
      matrix,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const trained = JSON.parse(fs.readFileSync(report, 'utf8'));
    const json = JSON.parse(fs.readFileSync(evalReport, 'utf8'));
    expect(json.testAccuracy).toBe(trained.testAccuracy);
    expect(json.testLoss).toBe(trained.testLoss);
    expect(stdout).toContain(`test accuracy ${(100 * trained.testAccuracy).toFixed(2)}%`);
    expect(stdout).toMatch(/true\\pred\s+0\s+1\s+2/);
    // The confusion matrix counts every test sample once, its diagonal is the accuracy, and its rows are the classes.
    const confusion: number[][] = json.confusion;
    expect(confusion).toHaveLength(10);
    expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(10000);
    expect(confusion.reduce((sum, row, t) => sum + row[t], 0) / 10000).toBe(trained.testAccuracy);
    const { test } = loadMnist();
    const perClass = Array.from({ length: 10 }, (_, c) => test.labels.filter((l) => l === c).length);
    expect(confusion.map((row) => row.reduce((a, b) => a + b, 0))).toEqual(perClass);
    expect(json.perClassAccuracy).toHaveLength(10);
    expect(json.perClassAccuracy[3]).toBeCloseTo(confusion[3][3] / perClass[3], 12);
    expect(fs.readFileSync(matrix, 'utf8').match(/<rect /g)!.length).toBeGreaterThanOrEqual(100);
  });

  it('predict classifies a test sample and a PNG of it alike, with ten probabilities', async () => {
    const byIndex = await runCli('predict', '--model', model, '--index', '0', '--backend', 'cpu');
    expect(byIndex.stderr).toBe('');
    expect(byIndex.code).toBe(0);
    expect(byIndex.stdout).toMatch(/^test sample 0 \(label 7\): class 7 \(probability \d+\.\d\d%\), right$/m);
    const probabilities = [...byIndex.stdout.matchAll(/^ {2}\d {2}\s+(\d\.\d+)/gm)].map((match) => Number(match[1]));
    expect(probabilities).toHaveLength(10);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);

    // The same digit as a person might save it: black on white, three times larger, off-centre.
    const { test } = loadMnist();
    const png = new PNG({ width: 120, height: 100 });
    png.data.fill(255);
    for (let y = 0; y < 84; y++) {
      for (let x = 0; x < 84; x++) {
        const ink = test.inputs[Math.floor(y / 3) * 28 + Math.floor(x / 3)];
        const i = 4 * ((y + 10) * 120 + x + 30);
        png.data[i] = png.data[i + 1] = png.data[i + 2] = 255 - ink;
      }
    }
    fs.writeFileSync(file('seven.png'), PNG.sync.write(png));
    const byImage = await runCli('predict', '--model', model, '--image', file('seven.png'), '--backend', 'cpu');
    expect(byImage.stderr).toBe('');
    expect(byImage.code).toBe(0);
    expect(byImage.stdout).toMatch(/seven\.png: class 7 \(probability/);
  });
});

describe('resume through checkpoint files', () => {
  it('a run stopped at --max-steps and resumed from its checkpoint ends with bitwise the uninterrupted model', async () => {
    const run = [
      'train',
      '--backend',
      'cpu',
      '--train-limit',
      '2000',
      '--layers',
      '784,24,10',
      '--epochs',
      '2',
      '--optimizer',
      'nesterov',
      '--schedule',
      'step',
      '--step-size',
      '1',
      '--gamma',
      '0.5',
      '--dropout',
      '0.2',
      '--validation-split',
      '0.2',
      '--checkpoint-every',
      '10',
    ];
    const whole = await runCli(
      ...run,
      '--checkpoint',
      file('whole.ckpt'),
      '--out',
      file('whole.safetensors'),
      '--report',
      file('whole.json'),
    );
    expect(whole.stderr).toBe('');
    // Stopped at a multiple of the checkpoint interval, the stopped and resumed runs cut the same chunks of steps as
    // the whole run, so even the loss sums of the history agree bitwise.
    const first = await runCli(...run, '--checkpoint', file('part.ckpt'), '--max-steps', '30');
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/30 steps/);
    // The checkpoint carries the run's settings: --resume alone continues it (the checkpoint interval included).
    const second = await runCli(
      'train',
      '--resume',
      file('part.ckpt'),
      '--backend',
      'cpu',
      '--out',
      file('resumed.safetensors'),
      '--report',
      file('resumed.json'),
    );
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/resuming from .*part\.ckpt: epoch 2, step 30/);
    expect(loadModel(file('resumed.safetensors')).params).toEqual(loadModel(file('whole.safetensors')).params);
    const strip = (f: string) =>
      JSON.parse(fs.readFileSync(file(f), 'utf8')).history.map(({ seconds: _, ...r }: { seconds: number }) => r);
    expect(strip('resumed.json')).toEqual(strip('whole.json'));
  });
});
