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
import { loadModel } from '../src/io/model-file.js';
import { cli } from './cli-runner.js';
import { COLOUR_HEADER, colourRows, SMOOTH_HEADER, smoothRows, writeCsv } from './table-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'table-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const file = (name: string) => path.join(dir, name);
const json = (name: string) => JSON.parse(fs.readFileSync(file(name), 'utf8'));
const readCsv = (name: string) => Papa.parse<string[]>(fs.readFileSync(file(name), 'utf8').trim()).data;

/** A CLI run that must succeed: its stdout. */
function ok(...args: string[]): string {
  const { code, stdout, stderr } = cli(...args);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return stdout;
}

const trainRows = colourRows(300, 1);
const testRows = colourRows(90, 2);
writeCsv(file('colours.csv'), COLOUR_HEADER, trainRows);
writeCsv(file('colours-test.csv'), COLOUR_HEADER, testRows);
// Columns in another order, an extra one, and no target: predict reads the model's features by name.
writeCsv(file('colours-new.csv'), ['id', 'noise', 'constant', 'y', 'x'], testRows.map((r, i) => [i, r[3], r[2], r[1], r[0]]));

describe('a table of colours: train with the defaults, eval and predict', () => {
  it('trains a sensible model with no flag but --data, naming the classes in sorted order', () => {
    const stdout = ok('train', '--data', file('colours.csv'), '--test', file('colours-test.csv'), '--backend', 'cpu',
      '--out', file('colours.safetensors'), '--report', file('colours.json'), '--plot', file('colours.svg'));
    expect(stdout).toMatch(/^training 4-100-3 \(relu, softmax-cross-entropy\), batch 200, adam lr 0\.001, 2000 epoch\(s\), seed 1$/m);
    expect(stdout).toMatch(/^data: 300 training samples, 90 test \(4 features, 3 classes of "colour"; test rows from .*colours-test\.csv\)$/m);
    expect(stdout.match(/^epoch /gm)!.length).toBeLessThanOrEqual(51);
    const report = json('colours.json');
    expect(report).toMatchObject({
      task: 'classification', layers: [4, 100, 3], batch: 200, epochs: 2000, steps: 2000, trainSamples: 300, testSamples: 90,
      features: ['x', 'y', 'constant', 'noise'], targets: ['colour'], classes: ['blue', 'green', 'red'], optimizer: { name: 'adam' },
    });
    expect(report.testAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(Object.keys(report.history[0]).sort()).toEqual(['epoch', 'seconds', 'steps', 'testAccuracy', 'testLoss', 'trainLoss']);
    const { spec } = loadModel(file('colours.safetensors'));
    expect(spec.data).toMatchObject({ features: ['x', 'y', 'constant', 'noise'], classes: ['blue', 'green', 'red'] });
    expect(spec.data!.featureStd[2]).toBe(1);
    expect(fs.readFileSync(file('colours.svg'), 'utf8').match(/<polyline /g)).toHaveLength(3); // loss: train, test; accuracy: test
  });

  it('eval reads the model back and gives the accuracy and loss the training report gave, under the class names', () => {
    const stdout = ok('eval', '--model', file('colours.safetensors'), '--data', file('colours-test.csv'), '--backend', 'cpu',
      '--report', file('colours-eval.json'));
    const trained = json('colours.json');
    const evaluated = json('colours-eval.json');
    expect(evaluated.testAccuracy).toBe(trained.testAccuracy);
    expect(evaluated.testLoss).toBe(trained.testLoss);
    expect(evaluated.classes).toEqual(['blue', 'green', 'red']);
    expect(evaluated.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(90);
    expect(stdout).toMatch(/true\\pred\s+blue\s+green\s+red\s+accuracy/);
    expect(stdout).toMatch(/^\s+green\s+\d+\s+\d+\s+\d+\s+\d+\.\d\d%$/m);
  });

  it('predict writes one row per input row: the class and its probabilities, the same classes eval counted', () => {
    const stdout = ok('predict', '--model', file('colours.safetensors'), '--data', file('colours-new.csv'), '--backend', 'cpu',
      '--out', file('predictions.csv'));
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
    expect(ok('predict', '--model', file('colours.safetensors'), '--data', file('colours-new.csv'), '--backend', 'cpu'))
      .toBe(fs.readFileSync(file('predictions.csv'), 'utf8'));
  });
});

describe('regression', () => {
  writeCsv(file('smooth.csv'), SMOOTH_HEADER, smoothRows(600, 3));
  writeCsv(file('smooth-test.csv'), SMOOTH_HEADER, smoothRows(150, 4));

  it('learns a smooth noise-free target to R² of 0.99 or more with the defaults, and eval gives the same figures', () => {
    const stdout = ok('train', '--data', file('smooth.csv'), '--test', file('smooth-test.csv'), '--task', 'regression', '--target', 'y',
      '--backend', 'cpu', '--out', file('smooth.safetensors'), '--report', file('smooth.json'), '--plot', file('smooth.svg'));
    expect(stdout).toMatch(/^training 3-100-1 \(relu, mse\)/m);
    expect(stdout).toMatch(/^epoch 1\/\d+ {2}train loss \d\.\d{4} {2}test loss \d\.\d{4} {2}test RMSE \S+ {2}test R² -?\d\.\d{4} /m);
    expect(stdout).toMatch(/^done: test RMSE \S+, test MAE \S+, test R² 0\.99\d\d, test loss/m);
    const report = json('smooth.json');
    expect(report.testR2).toBeGreaterThanOrEqual(0.99);
    expect(report.testRMSE).toBeLessThan(0.25);
    expect(report.targets).toEqual(['y']);
    expect(report.testAccuracy).toBeUndefined();
    expect(Object.keys(report.history[0]).sort()).toEqual(['epoch', 'seconds', 'steps', 'testLoss', 'testMAE', 'testR2', 'testRMSE', 'trainLoss']);
    expect(fs.readFileSync(file('smooth.svg'), 'utf8').match(/<polyline /g)).toHaveLength(4); // loss: train, test; RMSE; R²

    ok('eval', '--model', file('smooth.safetensors'), '--data', file('smooth-test.csv'), '--backend', 'cpu', '--report', file('smooth-eval.json'));
    const evaluated = json('smooth-eval.json');
    for (const key of ['testRMSE', 'testMAE', 'testR2', 'testLoss']) expect(evaluated[key], key).toBe(report[key]);
  });

  it('predicts the target in its own units, with the target column absent', () => {
    const rows = smoothRows(150, 4);
    writeCsv(file('smooth-new.csv'), ['b', 'a', 'z'], rows.map((r) => [r[1], r[0], r[3]]));
    ok('predict', '--model', file('smooth.safetensors'), '--data', file('smooth-new.csv'), '--backend', 'cpu', '--out', file('smooth-pred.csv'));
    const [header, ...predicted] = readCsv('smooth-pred.csv');
    expect(header).toEqual(['y']);
    const errors = predicted.map((row, i) => Number(row[0]) - rows[i][2]);
    const rmse = Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);
    expect(rmse).toBeCloseTo(json('smooth.json').testRMSE, 4);
  });

  it('learns several targets at once, reporting each, with a seeded fifth of the rows held out', () => {
    const stdout = ok('train', '--data', file('smooth.csv'), '--task', 'regression', '--target', 'y,z', '--backend', 'cpu',
      '--report', file('two.json'));
    expect(stdout).toMatch(/^training 2-100-2 \(relu, mse\)/m);
    expect(stdout).toMatch(/^data: 480 training samples, 120 test \(2 features, targets "y", "z"; 0\.2 of the rows held out for testing\)$/m);
    const report = json('two.json');
    expect(report).toMatchObject({ features: ['a', 'b'], targets: ['y', 'z'], testSplit: 0.2 });
    expect(report.testPerTarget.y.r2).toBeGreaterThanOrEqual(0.99);
    expect(report.testPerTarget.z.r2).toBeGreaterThanOrEqual(0.99);
    expect(report.testR2).toBe((report.testPerTarget.y.r2 + report.testPerTarget.z.r2) / 2);
  });
});
