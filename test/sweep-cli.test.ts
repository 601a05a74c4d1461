/**
 * The CLI's sweep on small seeded tables, on the CPU: lists and ranges read from the flags, the ranked table, the best
 * model that predict and eval read, an ensemble's folder, the report and chart, and bad input as one line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, describe, expect, it } from 'vitest';
import { SweepProgressBar } from '../src/cli/progress.js';
import { parseSeeds } from '../src/cli/sweep-config.js';
import { runCli } from './cli-runner.js';
import { readModel } from './model-files.js';
import { COLOUR_HEADER, colourRows, SMOOTH_HEADER, smoothRows, writeCsv } from './table-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const file = (name: string) => path.join(dir, name);
const json = (name: string) => JSON.parse(fs.readFileSync(file(name), 'utf8'));
const readCsv = (name: string) => Papa.parse<string[]>(fs.readFileSync(file(name), 'utf8').trim()).data;

async function ok(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runCli(...args);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return stdout;
}

const colours = writeCsv(file('colours.csv'), COLOUR_HEADER, colourRows(90, 1));
const coloursTest = writeCsv(file('colours-test.csv'), COLOUR_HEADER, colourRows(45, 2));
const small = ['--backend', 'cpu', '--hidden', '8', '--epochs', '6'];
// 1e-5 learns nothing in 6 epochs; 0.03 learns the three clusters.
const grid = ['--learning-rate', '0.03,1e-5', '--weight-decay', '0,1e-4'];

describe('sweep on a table of colours', () => {
  it('trains every setting, seed and fold, ranks them, and writes the best model, report and chart', async () => {
    const stdout = await ok(
      'sweep',
      '--data',
      colours,
      '--test',
      coloursTest,
      ...small,
      ...grid,
      '--seeds',
      '1-2',
      '--folds',
      '3',
      '--out',
      file('best.safetensors'),
      '--report',
      file('sweep.json'),
      '--plot',
      file('sweep.svg'),
    );
    expect(stdout).toMatch(/^sweep: 4 settings x 2 seeds x 3 folds = 24 models of 4-8-3$/m);
    expect(stdout).toMatch(/^data: 90 training samples in 3 folds; 45 test \(4 features, 3 classes of "colour"/m);
    const report = json('sweep.json');
    expect(report).toMatchObject({ seeds: [1, 2], folds: 3, varied: ['learningRate', 'weightDecay'] });
    // One line per setting under the header, in the report's order: rank, the varied settings, the score.
    const lines = stdout.split('\n');
    const header = lines.findIndex((line) => line.startsWith('rank'));
    expect(lines[header].split(/\s{2,}/)).toEqual([
      'rank',
      'learning-rate',
      'weight-decay',
      'held-out accuracy',
      'held-out loss',
      'models',
      'diverged',
      'epochs',
      'seconds',
    ]);
    const rows = lines.slice(header + 1, header + 5).map((line) => line.trim().split(/\s+/));
    expect(rows.map((row) => row.slice(0, 3))).toEqual(
      report.table.map((row: { setting: Record<string, number> }, i: number) => [
        String(i + 1),
        String(row.setting.learningRate),
        String(row.setting.weightDecay),
      ]),
    );
    expect(rows.map((row) => row[1])).toEqual(['0.03', '0.03', '0.00001', '0.00001']);
    expect(rows[0].slice(3, 6)).toEqual([
      `${(100 * report.table[0].mean).toFixed(2)}%`,
      '±',
      `${(100 * report.table[0].std).toFixed(2)}%`,
    ]);
    expect(report.table[0].mean).toBeGreaterThan(report.table[3].mean + 0.3);
    for (const [i, row] of report.table.entries()) {
      expect(row.models).toBe(6);
      if (i > 0) expect(row.mean).toBeLessThanOrEqual(report.table[i - 1].mean);
    }
    // Every model: its setting, seed and fold, its score and its held-out curve.
    expect(report.models).toHaveLength(24);
    const ids = report.models.map((m: { setting: number; seed: number; fold: number }) => [m.setting, m.seed, m.fold]);
    expect(new Set(ids.map(String)).size).toBe(24);
    expect(report.models[0].history).toHaveLength(6);
    expect(report.models[0].history[0].valAccuracy).toBeTypeOf('number');
    expect(report.best.setting).toEqual(report.table[0].setting);

    // The best model is trained again on all 90 rows; its test figures are those eval gives the file.
    const best = stdout.match(
      /^trained again on all 90 training samples: test accuracy ([\d.]+)%, test loss ([\d.]+)$/m,
    );
    expect(best).not.toBeNull();
    expect(stdout).toMatch(/^best: --learning-rate 0\.03 --weight-decay (0|0\.0001) \(held-out accuracy [\d.]+% ± /m);
    expect(readModel(file('best.safetensors')).spec.layers).toEqual([4, 8, 3]);
    const evaluated = await ok('eval', '--model', file('best.safetensors'), '--data', coloursTest, '--backend', 'cpu');
    expect(evaluated).toContain(`test accuracy ${best![1]}%, test loss ${best![2]}`);
    expect(report.best.test.accuracy).toBeCloseTo(Number(best![1]) / 100, 4);
    const predicted = await ok(
      'predict',
      '--model',
      file('best.safetensors'),
      '--data',
      coloursTest,
      '--backend',
      'cpu',
    );
    expect(predicted.trim().split('\n')).toHaveLength(46);

    // The chart: each model's loss and accuracy curve, a legend row per setting (top down) of its rank and values.
    const svg = fs.readFileSync(file('sweep.svg'), 'utf8');
    expect(svg.match(/<polyline /g)).toHaveLength(48);
    expect(svg).toContain('(rank: --learning-rate, --weight-decay)');
    const legend = [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)"[^>]*>(\d: [^<]+)<\/text>/g)];
    expect(legend.sort((a, b) => Number(a[1]) - Number(b[1])).map((match) => match[2])).toEqual(
      report.table.map((row: { setting: Record<string, number> }, i: number) => {
        return `${i + 1}: ${row.setting.learningRate}, ${row.setting.weightDecay}`;
      }),
    );
  });

  it('--ensemble K writes the K best models as a folder, which predict and eval read as their mean', async () => {
    const stdout = await ok(
      'sweep',
      '--data',
      colours,
      '--test',
      coloursTest,
      ...small,
      '--learning-rate',
      '0.03,0.01',
      '--folds',
      '2',
      '--out',
      file('ensemble'),
      '--ensemble',
      '3',
    );
    expect(stdout).toContain(`the 3 best models written to ${file('ensemble')}`);
    expect(fs.readdirSync(file('ensemble')).sort()).toEqual(['1.safetensors', '2.safetensors', '3.safetensors']);
    const members = ['1', '2', '3'].map((n) => path.join(file('ensemble'), `${n}.safetensors`));
    for (const [n, member] of members.entries()) {
      await ok('predict', '--model', member, '--data', coloursTest, '--backend', 'cpu', '--out', file(`p${n}.csv`));
    }
    await ok('predict', '--model', file('ensemble'), '--data', coloursTest, '--backend', 'cpu', '--out', file('p.csv'));
    const [header, ...mean] = readCsv('p.csv');
    expect(header).toEqual(['colour', 'p(blue)', 'p(green)', 'p(red)']);
    const each = [0, 1, 2].map((n) => readCsv(`p${n}.csv`).slice(1));
    mean.forEach((row, r) => {
      for (let c = 1; c < 4; c++) {
        const expected = each.reduce((sum, rows) => sum + Number(rows[r][c]), 0) / 3;
        expect(Number(row[c])).toBeCloseTo(expected, 6);
      }
    });
    const evaluated = await ok('eval', '--model', file('ensemble'), '--data', coloursTest, '--backend', 'cpu');
    expect(evaluated).toMatch(/^model .*ensemble: an ensemble of 3 models of 4-8-3 /m);
    // The class predicted is the one of the largest mean probability, and eval counts those against the labels.
    for (const row of mean) {
      const p = row.slice(1).map(Number);
      expect(row[0]).toBe(['blue', 'green', 'red'][p.indexOf(Math.max(...p))]);
    }
    const accuracy = Number(evaluated.match(/^test accuracy ([\d.]+)%$/m)![1]);
    const labels = readCsv('colours-test.csv').slice(1);
    const right = mean.filter((row, r) => row[0] === labels[r][4]).length;
    expect(accuracy).toBeCloseTo((100 * right) / 45, 2);
  });

  it('ranks a regression by R² on a validation split; its ensemble answers the mean of its targets', async () => {
    const columns = (rows: number[][]) => rows.map((r) => r.slice(0, 3));
    const smooth = writeCsv(file('smooth.csv'), SMOOTH_HEADER.slice(0, 3), columns(smoothRows(100, 3)));
    const smoothTest = writeCsv(file('smooth-test.csv'), SMOOTH_HEADER.slice(0, 3), columns(smoothRows(30, 4)));
    const stdout = await ok(
      'sweep',
      '--data',
      smooth,
      '--task',
      'regression',
      '--target',
      'y',
      ...small,
      '--epochs',
      '20',
      '--learning-rate',
      '0.03,1e-6',
      '--validation-split',
      '0.25',
      '--out',
      file('smooth-ensemble'),
      '--ensemble',
      '2',
    );
    expect(stdout).toMatch(/^sweep: 2 settings x 1 seed = 2 models of 2-8-1$/m);
    expect(stdout).toMatch(/^data: 60 training samples, 20 validation; 20 test /m);
    expect(stdout).toMatch(/^rank\s+learning-rate\s+held-out R²\s+held-out loss/m);
    expect(stdout).toMatch(/^1\s+0\.03\s+0\.\d{4} ± 0\.0000\s/m);
    expect(stdout).toMatch(/^best: --learning-rate 0\.03 \(held-out R² 0\.\d{4} ± 0\.0000\)$/m);
    expect(stdout).toMatch(/^its best model: test RMSE [\d.]+, test MAE [\d.]+, test R² 0\.\d{4}, test loss [\d.]+$/m);
    // The ensemble's RMSE is that of the mean of its two members' predictions.
    const cpu = ['--data', smoothTest, '--backend', 'cpu'];
    const predictions: number[][] = [];
    for (const n of [1, 2]) {
      const member = path.join(file('smooth-ensemble'), `${n}.safetensors`);
      await ok('predict', '--model', member, ...cpu, '--out', file(`y${n}.csv`));
      predictions.push(
        readCsv(`y${n}.csv`)
          .slice(1)
          .map((row) => Number(row[0])),
      );
    }
    const truth = readCsv('smooth-test.csv')
      .slice(1)
      .map((row) => Number(row[2]));
    const squares = truth.reduce((sum, y, r) => sum + ((predictions[0][r] + predictions[1][r]) / 2 - y) ** 2, 0);
    const evaluated = await ok('eval', '--model', file('smooth-ensemble'), ...cpu, '--report', file('e.json'));
    expect(evaluated).toMatch(/^test RMSE [\d.]+, test MAE [\d.]+, test R² -?\d\.\d{4}$/m);
    expect(json('e.json').testRMSE).toBeCloseTo(Math.sqrt(squares / 30), 5);
    expect(json('e.json')).not.toHaveProperty('testLoss');
  });
});

describe('sweep reads', () => {
  it('seeds as lists and ranges', () => {
    expect(parseSeeds(undefined)).toEqual([1]);
    expect(parseSeeds('1-3')).toEqual([1, 2, 3]);
    expect(parseSeeds('0,5, 2-3')).toEqual([0, 5, 2, 3]);
  });

  it('its progress over every model, session after session: a bar on a terminal, else a line a tenth', () => {
    let text = '';
    const bar = new SweepProgressBar({ write: (t: string) => (text = t), isTTY: true }, 6);
    const at = (session: number, models: number, epoch: number, step: number) =>
      bar.progress({ session, sessions: 2, models, firstModel: 0, epoch, epochs: 2, step, stepsPerEpoch: 4 } as never);
    at(0, 4, 1, 2); // a quarter of 4 of the 6 models
    expect(text).toMatch(/^\r\[#{5}\.{25}\] 17% of 6 models {2}session 1\/2, epoch 1\/2 step 2\/4/);
    at(1, 2, 2, 4); // the first session done, and all of the second
    expect(text).toMatch(/^\r\[#{30}\] 100% of 6 models/);
    // Without a terminal: a line for each tenth of the way passed.
    const lines: string[] = [];
    const log = new SweepProgressBar({ write: (t: string) => lines.push(t) }, 2);
    for (let epoch = 1; epoch <= 4; epoch++) {
      log.progress({
        session: 0,
        sessions: 1,
        models: 2,
        epoch,
        epochs: 4,
        step: 1,
        stepsPerEpoch: 1,
        running: 2,
      } as never);
    }
    expect(lines).toEqual([
      'progress: 20% of 2 models (epoch 1/4, 2 training)\n',
      'progress: 50% of 2 models (epoch 2/4, 2 training)\n',
      'progress: 70% of 2 models (epoch 3/4, 2 training)\n',
    ]);
  });

  it('--help from the settings table, with --seeds and --folds for --seed', async () => {
    const help = await ok('sweep', '--help');
    expect(help).toMatch(/^ {2}--learning-rate X +the rate at step 0/m);
    expect(help).toMatch(/^ {2}--seeds LIST /m);
    expect(help).toMatch(/^ {2}--folds K /m);
    expect(help).not.toMatch(/--seed |--resume|--checkpoint/);
  });

  const fail = (...args: string[]) => ['sweep', '--data', colours, ...small, ...args];
  fs.writeFileSync(file('taken.txt'), 'a file');
  it.each([
    [fail('--seed', '3'), "unknown option '--seed': did you mean --seeds? See sweep --help"],
    [
      fail('--validation-split', '0.1,0.2'),
      '--validation-split 0.1,0.2: a sweep cannot vary --validation-split, ' +
        'give it one value (e.g. --validation-split 0.1)',
    ],
    [
      fail('--max-steps', '5,9'),
      '--max-steps 5,9: a sweep cannot vary --max-steps, give it one value (e.g. --max-steps 5)',
    ],
    [fail('--learning-rate', '0.1,abc'), '--learning-rate "abc" is not valid: use a number above 0'],
    [fail('--learning-rate', '0.1,0.1'), '--learning-rate 0.1,0.1 lists 0.1 twice: give each value once'],
    [fail('--optimizer', 'adam,sgd', '--beta1', '0.8'), '--beta1 applies to --optimizer adam or adamw only'],
    [
      fail('--seeds', '3-1'),
      '--seeds "3-1" is not valid: use integers >= 0, a range or a list (e.g. --seeds 1-3 or 1,2,7)',
    ],
    [fail('--seeds', '1,2-3,2'), '--seeds 1,2-3,2 gives seed 2 twice: give each seed once'],
    [fail('--folds', '1'), '--folds "1" is not valid: use an integer >= 2'],
    [fail('--folds', '500'), '--folds 500 does not fit 72 training rows: use an integer from 2 to 72'],
    [
      fail('--folds', '3', '--validation-split', '0.2'),
      '--folds and --validation-split both choose the held-out rows: use one',
    ],
    [fail('--ensemble', '2'), '--ensemble K writes K models: give --out DIR, the folder for them'],
    [
      fail('--ensemble', '9', '--out', file('many'), '--folds', '2'),
      '--ensemble 9 asks for more models than the sweep trains (2): use at most 2',
    ],
    [
      fail('--ensemble', '2', '--out', file('taken.txt')),
      `--out ${file('taken.txt')} is a file: --ensemble writes a folder, give a new name`,
    ],
    [
      fail('--plot', file('curves.png')),
      `--plot ${file('curves.png')}: only .svg files are written: name it e.g. plot.svg`,
    ],
    [
      fail('--learning-rate', '1e30,1e31', '--folds', '2'),
      'every model of the sweep diverged: lower --learning-rate in the grid',
    ],
  ])('refuses %j in one line', async (args, message) => {
    const { code, stdout, stderr } = await runCli(...args);
    expect(stderr).toBe(`error: ${message}\n`);
    expect(code).toBe(2);
    expect(stdout).not.toContain('rank');
  });
});
