/**
 * The CLI on tables made here from a seed: string class labels, a smooth regression target, several targets, a
 * model read back by eval (the same figures) and predict (the same classes), early stopping, and every bad input
 * ending in one line with exit code 2.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, describe, expect, it } from 'vitest';
import { trainTestSplit } from '../src/index.js';
import { encodeModel } from '../src/io/model-codec.js';
import { paramTable } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { makeSpec } from '../src/model/spec.js';
import { runCli } from './cli-runner.js';
import { readModel as loadModel } from './model-files.js';
import { COLOUR_HEADER, colourRows, SMOOTH_HEADER, smoothRows, writeCsv } from './table-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'table-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const file = (name: string) => path.join(dir, name);
const json = (name: string) => JSON.parse(fs.readFileSync(file(name), 'utf8'));
const readCsv = (name: string) => Papa.parse<string[]>(fs.readFileSync(file(name), 'utf8').trim()).data;

/** A CLI run that must succeed: its stdout. */
async function ok(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runCli(...args);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return stdout;
}

const trainRows = colourRows(300, 1);
const testRows = colourRows(90, 2);
writeCsv(file('colours.csv'), COLOUR_HEADER, trainRows);
writeCsv(file('colours-test.csv'), COLOUR_HEADER, testRows);
// Columns in another order, an extra one, and no target: predict reads the model's features by name.
writeCsv(
  file('colours-new.csv'),
  ['id', 'noise', 'constant', 'y', 'x'],
  testRows.map((r, i) => [i, r[3], r[2], r[1], r[0]]),
);

describe('a table of colours: train with the defaults, eval and predict', () => {
  it('trains a sensible model with no flag but --data, naming the classes in sorted order', async () => {
    const stdout = await ok(
      'train',
      '--data',
      file('colours.csv'),
      '--test',
      file('colours-test.csv'),
      '--backend',
      'cpu',
      '--out',
      file('colours.safetensors'),
      '--report',
      file('colours.json'),
      '--plot',
      file('colours.svg'),
    );
    expect(stdout).toMatch(
      /^training 4-100-3 \(relu, softmax-cross-entropy\), batch 200, adam lr 0\.001, 200 epoch\(s\), seed 1$/m,
    );
    expect(stdout).toMatch(
      /^data: 300 training samples, 90 test \(4 features, 3 classes of "colour"; test rows from .*colours-test\.csv\)$/m,
    );
    expect(stdout.match(/^epoch /gm)!.length).toBeLessThanOrEqual(51);
    const report = json('colours.json');
    expect(report).toMatchObject({
      task: 'classification',
      layers: [4, 100, 3],
      batch: 200,
      epochs: 200,
      steps: 200,
      trainSamples: 300,
      testSamples: 90,
      features: ['x', 'y', 'constant', 'noise'],
      targets: ['colour'],
      classes: ['blue', 'green', 'red'],
      optimizer: { name: 'adam' },
    });
    expect(report.testAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(Object.keys(report.history[0]).sort()).toEqual([
      'epoch',
      'seconds',
      'steps',
      'testAccuracy',
      'testLoss',
      'trainAccuracy',
      'trainEvalLoss',
      'trainLoss',
    ]);
    const { spec } = loadModel(file('colours.safetensors'));
    expect(spec.data).toMatchObject({ features: ['x', 'y', 'constant', 'noise'], classes: ['blue', 'green', 'red'] });
    expect(spec.data!.featureStd[2]).toBe(1);
    expect(fs.readFileSync(file('colours.svg'), 'utf8').match(/<polyline /g)).toHaveLength(4); // loss: train, test; accuracy: train, test
  });

  it('eval reads the model back and gives the accuracy and loss the training report gave, under the class names', async () => {
    const stdout = await ok(
      'eval',
      '--model',
      file('colours.safetensors'),
      '--data',
      file('colours-test.csv'),
      '--backend',
      'cpu',
      '--report',
      file('colours-eval.json'),
    );
    const trained = json('colours.json');
    const evaluated = json('colours-eval.json');
    expect(evaluated.testAccuracy).toBe(trained.testAccuracy);
    expect(evaluated.testLoss).toBe(trained.testLoss);
    expect(evaluated.classes).toEqual(['blue', 'green', 'red']);
    expect(evaluated.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(90);
    expect(stdout).toMatch(/true\\pred\s+blue\s+green\s+red\s+accuracy/);
    expect(stdout).toMatch(/^\s+green\s+\d+\s+\d+\s+\d+\s+\d+\.\d\d%$/m);
  });

  it('predict writes one row per input row: the class and its probabilities, the same classes eval counted', async () => {
    const stdout = await ok(
      'predict',
      '--model',
      file('colours.safetensors'),
      '--data',
      file('colours-new.csv'),
      '--backend',
      'cpu',
      '--out',
      file('predictions.csv'),
    );
    expect(stdout).toBe(`predictions for 90 rows written to ${file('predictions.csv')}\n`);
    const [header, ...rows] = readCsv('predictions.csv');
    expect(header).toEqual(['colour', 'p(blue)', 'p(green)', 'p(red)']);
    expect(rows).toHaveLength(90);
    for (const row of rows) {
      const p = row.slice(1).map(Number);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(row[0]).toBe(['blue', 'green', 'red'][p.indexOf(Math.max(...p))]);
    }
    const right = rows.filter((row, i) => row[0] === testRows[i][4]).length;
    expect(right / 90).toBe(json('colours.json').testAccuracy);
    // Without --out, the same CSV on stdout.
    expect(
      await ok(
        'predict',
        '--model',
        file('colours.safetensors'),
        '--data',
        file('colours-new.csv'),
        '--backend',
        'cpu',
      ),
    ).toBe(fs.readFileSync(file('predictions.csv'), 'utf8'));
  });
});

describe('regression', () => {
  writeCsv(file('smooth.csv'), SMOOTH_HEADER, smoothRows(600, 3));
  writeCsv(file('smooth-test.csv'), SMOOTH_HEADER, smoothRows(150, 4));

  it('learns a smooth noise-free target to R² of 0.99 or more with the defaults, and eval gives the same figures', async () => {
    const stdout = await ok(
      'train',
      '--data',
      file('smooth.csv'),
      '--test',
      file('smooth-test.csv'),
      '--task',
      'regression',
      '--target',
      'y',
      '--backend',
      'cpu',
      '--out',
      file('smooth.safetensors'),
      '--report',
      file('smooth.json'),
      '--plot',
      file('smooth.svg'),
    );
    expect(stdout).toMatch(/^training 3-100-1 \(relu, mse\)/m);
    expect(stdout).toMatch(
      /^epoch 1\/\d+ {2}train loss \d\.\d{4} {2}test loss \d\.\d{4} {2}test RMSE \S+ {2}test R² -?\d\.\d{4} /m,
    );
    expect(stdout).toMatch(/^done: test RMSE \S+, test MAE \S+, test R² 0\.99\d\d, test loss/m);
    const report = json('smooth.json');
    expect(report.testR2).toBeGreaterThanOrEqual(0.99);
    expect(report.testRMSE).toBeLessThan(0.25);
    expect(report.targets).toEqual(['y']);
    expect(report.testAccuracy).toBeUndefined();
    expect(Object.keys(report.history[0]).sort()).toEqual([
      'epoch',
      'seconds',
      'steps',
      'testLoss',
      'testMAE',
      'testR2',
      'testRMSE',
      'trainEvalLoss',
      'trainLoss',
      'trainRMSE',
    ]);
    expect(fs.readFileSync(file('smooth.svg'), 'utf8').match(/<polyline /g)).toHaveLength(5); // loss: train, test; RMSE: train, test; R²

    await ok(
      'eval',
      '--model',
      file('smooth.safetensors'),
      '--data',
      file('smooth-test.csv'),
      '--backend',
      'cpu',
      '--report',
      file('smooth-eval.json'),
    );
    const evaluated = json('smooth-eval.json');
    for (const key of ['testRMSE', 'testMAE', 'testR2', 'testLoss']) expect(evaluated[key], key).toBe(report[key]);
  });

  it('predicts the target in its own units, with the target column absent', async () => {
    const rows = smoothRows(150, 4);
    writeCsv(
      file('smooth-new.csv'),
      ['b', 'a', 'z'],
      rows.map((r) => [r[1], r[0], r[3]]),
    );
    await ok(
      'predict',
      '--model',
      file('smooth.safetensors'),
      '--data',
      file('smooth-new.csv'),
      '--backend',
      'cpu',
      '--out',
      file('smooth-pred.csv'),
    );
    const [header, ...predicted] = readCsv('smooth-pred.csv');
    expect(header).toEqual(['y']);
    const errors = predicted.map((row, i) => Number(row[0]) - rows[i][2]);
    const rmse = Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);
    expect(rmse).toBeCloseTo(json('smooth.json').testRMSE, 4);
  });

  it('learns several targets at once, reporting each, with a seeded fifth of the rows held out', async () => {
    const stdout = await ok(
      'train',
      '--data',
      file('smooth.csv'),
      '--task',
      'regression',
      '--target',
      'y,z',
      '--backend',
      'cpu',
      '--epochs',
      '1000',
      '--report',
      file('two.json'),
    );
    expect(stdout).toMatch(/^training 2-100-2 \(relu, mse\)/m);
    expect(stdout).toMatch(
      /^data: 480 training samples, 120 test \(2 features, targets "y", "z"; 0\.2 of the rows held out for testing\)$/m,
    );
    const report = json('two.json');
    expect(report).toMatchObject({ features: ['a', 'b'], targets: ['y', 'z'], testSplit: 0.2 });
    expect(report.testPerTarget.y.r2).toBeGreaterThanOrEqual(0.99);
    expect(report.testPerTarget.z.r2).toBeGreaterThanOrEqual(0.99);
    expect(report.testR2).toBe((report.testPerTarget.y.r2 + report.testPerTarget.z.r2) / 2);
  });
});

describe('early stopping', () => {
  // A third of the labels scrambled: the validation loss soon rises as the net learns the noise.
  const rng = new Rng(9);
  const noisy = (count: number, seed: number) =>
    colourRows(count, seed).map((r) =>
      rng.below(3) === 0 ? [...r.slice(0, 4), ['red', 'green', 'blue'][rng.below(3)]] : r,
    );
  const rows = noisy(80, 5);
  writeCsv(file('noisy.csv'), COLOUR_HEADER, rows);
  writeCsv(file('noisy-test.csv'), COLOUR_HEADER, noisy(60, 6));
  // The rows --validation-split 0.25 holds out: the API's trainTestSplit holds out the same, by the same rule.
  const held = trainTestSplit(
    rows.map((_, r) => [r]),
    rows.map((r) => String(r[4])),
    { testSize: 0.25 },
  ).test.x;
  writeCsv(
    file('noisy-val.csv'),
    COLOUR_HEADER,
    held.map(([r]) => rows[r]),
  );

  it("stops when the validation loss has not improved for N epochs and keeps the best epoch's weights", async () => {
    const stdout = await ok(
      'train',
      '--data',
      file('noisy.csv'),
      '--test',
      file('noisy-test.csv'),
      '--backend',
      'cpu',
      '--hidden',
      '128,128',
      '--learning-rate',
      '0.003',
      '--epochs',
      '300',
      '--validation-split',
      '0.25',
      '--early-stopping',
      '10',
      '--out',
      file('noisy.safetensors'),
      '--report',
      file('noisy.json'),
    );
    const report = json('noisy.json');
    const history: { epoch: number; valLoss: number; valAccuracy: number; testAccuracy: number; testLoss: number }[] =
      report.history;
    const lowest = Math.min(...history.map((r) => r.valLoss));
    const best = history.find((r) => r.valLoss === lowest)!;
    expect(best.epoch).toBeGreaterThan(1);
    expect(report.earlyStop).toEqual({ patience: 10, bestEpoch: best.epoch, stopped: true });
    expect(history).toHaveLength(best.epoch + 10);
    expect(stdout).toContain(
      `early stop after epoch ${best.epoch + 10}: the validation loss had not improved for 10 epochs; ` +
        `the model keeps the weights of epoch ${best.epoch}, of the lowest validation loss (${lowest.toFixed(4)})`,
    );
    // The saved weights are the best epoch's: on the validation rows and on the test file they give its figures.
    expect([report.testAccuracy, report.testLoss, report.valLoss]).toEqual([
      best.testAccuracy,
      best.testLoss,
      best.valLoss,
    ]);
    await ok(
      'eval',
      '--model',
      file('noisy.safetensors'),
      '--data',
      file('noisy-val.csv'),
      '--backend',
      'cpu',
      '--report',
      file('noisy-val.json'),
    );
    expect([json('noisy-val.json').testLoss, json('noisy-val.json').testAccuracy]).toEqual([
      best.valLoss,
      best.valAccuracy,
    ]);
    await ok(
      'eval',
      '--model',
      file('noisy.safetensors'),
      '--data',
      file('noisy-test.csv'),
      '--backend',
      'cpu',
      '--report',
      file('noisy-eval.json'),
    );
    expect(json('noisy-eval.json').testLoss).toBe(best.testLoss);
  });
});

describe('bad input: one line naming the file, the row and the column, and the fix; exit code 2', () => {
  const bad = (name: string, text: string) => {
    fs.writeFileSync(file(name), text);
    return file(name);
  };
  const f = {
    empty: bad('empty.csv', ''),
    header: bad('header.csv', 'a,b,k\n'),
    ragged: bad('ragged.csv', 'a,b,k\n1,2,x\n3,4\n'),
    twice: bad('twice.csv', 'a,b,a\n1,2,x\n'),
    unnamed: bad('unnamed.csv', 'a,,k\n1,2,x\n'),
    text: bad('text.csv', 'a,b,k\n1,2,x\n1,abc,y\n'),
    blank: bad('blank.csv', 'a,b,k\n1,2,x\n,4,y\n'),
    quote: bad('quote.csv', 'a,b,k\n1,2,"x\n'),
    ids: bad('ids.csv', `a,id\n${Array.from({ length: 10 }, (_, i) => `${i},row${i}`).join('\n')}\n`),
    one: bad('one.csv', 'a,k\n1,x\n2,x\n3,x\n4,x\n5,x\n'),
    good: bad(
      'good.csv',
      `a,b,k\n${Array.from({ length: 20 }, (_, i) => `${i},${i % 7},${'pqr'[i % 3]}`).join('\n')}\n`,
    ),
    unknown: bad('unknown.csv', 'a,b,k\n1,2,p\n3,4,s\n'),
    targets: bad('targets.csv', 'a,y\n1,2\n2,two\n3,4\n4,5\n5,6\n'),
    numbers: bad('numbers.csv', 'a,y\n1,2\n2,3\n3,4\n4,5\n5,6\n'),
  };
  // A table's model, as train --out writes one: its columns, classes and statistics in the file.
  const model = file('table.safetensors');
  const tableSpec = makeSpec([4, 8, 3], {
    data: {
      features: ['x', 'y', 'constant', 'noise'],
      featureMean: [0, 0, 7, 0],
      featureStd: [1, 10, 1, 0.5],
      targets: ['colour'],
      classes: ['blue', 'green', 'red'],
    },
  });
  fs.writeFileSync(model, encodeModel(tableSpec, new Float32Array(paramTable(tableSpec).total)));
  const mnistModel = file('mnist.safetensors');
  fs.writeFileSync(
    mnistModel,
    encodeModel(makeSpec([784, 8, 10]), new Float32Array(paramTable(makeSpec([784, 8, 10])).total)),
  );

  it.each([
    [
      ['train', '--data', f.empty],
      `${f.empty}: the file is empty: a CSV file needs a header row of column names, then rows of data`,
    ],
    [['train', '--data', f.header], `${f.header}: the file has a header but no rows of data`],
    [
      ['train', '--data', f.ragged],
      `${f.ragged}: row 2 has 2 cells, the header has 3 columns: give every row one cell per column`,
    ],
    [
      ['train', '--data', f.twice],
      `${f.twice}: the header names "a" twice (columns 1 and 3): give each column its own name`,
    ],
    [['train', '--data', f.unnamed], `${f.unnamed}: column 2 of the header has no name: give every column a name`],
    [
      ['train', '--data', f.quote],
      `${f.quote}: row 1: quoted field unterminated: close every quoted cell with a " (write "" for a quote inside one)`,
    ],
    [
      ['train', '--data', f.good, '--target', 'price'],
      `${f.good}: no column named "price" for --target: the columns are "a", "b", "k"`,
    ],
    [
      ['train', '--data', f.text],
      `${f.text}: row 2, column "b" holds "abc", which is not a finite number: every feature cell needs a number (nothing is filled in), so fix the cell or drop the row`,
    ],
    [
      ['train', '--data', f.blank],
      `${f.blank}: row 2, column "a" is empty: every feature cell needs a number (nothing is filled in), so fix the cell or drop the row`,
    ],
    [
      ['train', '--data', f.targets, '--task', 'regression'],
      `${f.targets}: row 2, column "y" holds "two", which is not a finite number: every target cell needs a number (nothing is filled in), so fix the cell or drop the row`,
    ],
    [
      ['train', '--data', f.ids],
      `${f.ids}: column "id" holds 10 classes for 8 training rows, fewer than 2 rows per class: a classifier needs several rows of each class; if "id" is a number to predict, use --task regression`,
    ],
    [
      ['train', '--data', f.one],
      `${f.one}: column "k" holds one class only ("x"): a classifier needs at least 2; to predict another column, name it with --target`,
    ],
    [
      ['train', '--data', f.good, '--test', f.unknown],
      `${f.unknown}: row 2, column "k" holds the class "s", which the training data does not have (its classes: p, q, r)`,
    ],
    [
      ['train', '--data', f.good, '--target', 'a,b'],
      'a classification predicts one column, --target names 2: give one, or --task regression for several',
    ],
    [
      ['train', '--data', f.good, '--test-split', '0.01'],
      `${f.good}: --test-split 0.01 of its 20 rows holds out 0 rows: give a fraction between 0 and 1 that leaves rows for both training and testing, or a separate test file`,
    ],
    [
      ['train', '--data', f.good, '--test', f.good, '--test-split', '0.5'],
      '--test and --test-split both give the test rows: use one (--test-split holds rows of --data out)',
    ],
    [
      ['train', '--data', f.good, '--layers', '3,8,3'],
      '--layers 3,8,3 does not fit the data, which has 2 feature columns and 3 classes: use --layers 2,8,3, or --hidden 8',
    ],
    [
      ['train', '--data', f.good, '--layers', '2,3', '--hidden', '4'],
      '--layers and --hidden both give the layers: use --hidden for the hidden widths alone, or --layers for all of them',
    ],
    [
      ['train', '--data', f.good, '--hidden', '8,x'],
      '--hidden "8,x" is not a list of widths: use e.g. --hidden 64,32 (for no hidden layer, --layers INPUTS,OUTPUTS)',
    ],
    [
      ['train', '--data', f.good, '--early-stopping', '5'],
      '--early-stopping watches the validation loss, and there is no validation set: add --validation-split (e.g. 0.1)',
    ],
    [
      ['train', '--data', f.numbers, '--task', 'regression', '--loss', 'softmax-cross-entropy'],
      'a regression model learns with --loss mse, not softmax-cross-entropy',
    ],
    [
      ['train', '--data', file('missing.csv')],
      `${file('missing.csv')}: no such file: give a CSV file with a header row`,
    ],
    [['train', '--target', 'k'], '--target applies to a CSV table (--data FILE.csv) only'],
    [
      ['train', '--init', model],
      `the model ${model} was trained on a table: give --data FILE.csv with its columns "x", "y", "constant", "noise"`,
    ],
    [
      ['train', '--data', f.good, '--init', mnistModel],
      `the model ${mnistModel} was trained on MNIST-style images, not a table: give --data DIR`,
    ],
    [
      ['eval', '--model', mnistModel, '--data', f.good],
      `${mnistModel} was trained on MNIST-style images, not a table: give --data DIR, or a model trained on a CSV file`,
    ],
    [
      ['eval', '--model', model],
      `${model} was trained on a table: give --data FILE.csv with its columns "x", "y", "constant", "noise"`,
    ],
    [
      ['eval', '--model', model, '--data', file('colours-new.csv')],
      `${file('colours-new.csv')}: no column named "colour": eval scores the model against its target column; predict reads files without it`,
    ],
    [['predict', '--model', model, '--data', f.good], `${f.good}: no column named "x": the columns are "a", "b", "k"`],
    [
      ['predict', '--model', model, '--index', '3'],
      `${model} was trained on a table: give --data FILE.csv with its columns "x", "y", "constant", "noise"`,
    ],
  ])('%j', async (args, message) => {
    const { code, stderr, stdout } = await runCli(...args);
    expect(stderr).toBe(`error: ${message}\n`);
    expect(code).toBe(2);
    expect(stdout).toBe('');
  });
});

describe('resume on a table', () => {
  it('a table run with early stopping, stopped at --max-steps and resumed, ends with bitwise the uninterrupted model and history', async () => {
    const run = [
      'train',
      '--data',
      file('noisy.csv'),
      '--test',
      file('noisy-test.csv'),
      '--backend',
      'cpu',
      '--hidden',
      '32',
      '--learning-rate',
      '0.003',
      '--epochs',
      '60',
      '--batch-size',
      '20',
      '--validation-split',
      '0.25',
      '--early-stopping',
      '4',
      '--checkpoint-every',
      '5',
    ];
    await ok(
      ...run,
      '--checkpoint',
      file('whole.ckpt'),
      '--out',
      file('whole.safetensors'),
      '--report',
      file('whole.json'),
    );
    expect(json('whole.json').earlyStop.stopped).toBe(true);
    await ok(...run, '--checkpoint', file('part.ckpt'), '--max-steps', '20');
    const resumed = await ok(
      'train',
      '--resume',
      file('part.ckpt'),
      '--data',
      file('noisy.csv'),
      '--test',
      file('noisy-test.csv'),
      '--backend',
      'cpu',
      '--out',
      file('resumed.safetensors'),
      '--report',
      file('resumed.json'),
    );
    expect(resumed).toMatch(/resuming from .*part\.ckpt: epoch 7, step 20/);
    expect(loadModel(file('resumed.safetensors')).params).toEqual(loadModel(file('whole.safetensors')).params);
    const strip = (name: string) => json(name).history.map(({ seconds: _, ...r }: { seconds: number }) => r);
    expect(strip('resumed.json')).toEqual(strip('whole.json'));
    expect(json('resumed.json').earlyStop).toEqual(json('whole.json').earlyStop);
    // The checkpoint holds the table's split and columns: another target is refused.
    const { stderr, code } = await runCli(
      'train',
      '--resume',
      file('part.ckpt'),
      '--data',
      file('noisy.csv'),
      '--target',
      'x',
    );
    expect(stderr).toBe(
      `error: --target x differs from the checkpoint ${file('part.ckpt')}'s colour: leave --target out to keep the checkpoint ${file('part.ckpt')}'s\n`,
    );
    expect(code).toBe(2);
  });
});
