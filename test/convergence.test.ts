/**
 * A run says whether its training loss had settled, as scikit-learn's ConvergenceWarning does: the rule itself, the
 * API's fit result, and the CLI's one line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiName } from '../src/api/wording.js';
import { cliName } from '../src/cli/failure.js';
import { MLP } from '../src/index.js';
import { Rng } from '../src/model/rng.js';
import { CONVERGENCE, convergence, convergenceWarning } from '../src/train/convergence.js';
import { runCli } from './cli-runner.js';
import { writeCsv } from './table-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convergence-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));

/** Three species of four measurements around iris's means, 50 rows each, sorted by species as iris is. */
function irisLike(seed: number): { x: number[][]; y: string[] } {
  const rng = new Rng(seed);
  const means: [string, number[]][] = [
    ['setosa', [5.0, 3.4, 1.5, 0.2]],
    ['versicolor', [5.9, 2.8, 4.3, 1.3]],
    ['virginica', [6.6, 3.0, 5.6, 2.0]],
  ];
  const x: number[][] = [];
  const y: string[] = [];
  for (const [name, mean] of means) {
    for (let i = 0; i < 50; i++) {
      x.push(mean.map((m) => Number((m + rng.uniform(-0.8, 0.8)).toFixed(1))));
      y.push(name);
    }
  }
  return { x, y };
}

const losses = (...values: number[]) => values.map((trainLoss) => ({ trainLoss }));

describe('the convergence rule', () => {
  it("is scikit-learn's: 10 epochs, each lowering the lowest loss before it by no more than 1e-4", () => {
    expect(CONVERGENCE).toEqual({ epochs: 10, tolerance: 1e-4, overfit: 0.01 });
    // Each of the last 10 epochs 5e-5 below the one before: settled.
    const settled = [1, 0.5, 0.2, ...Array.from({ length: 10 }, (_, i) => 0.2 - 0.00005 * (i + 1))];
    expect(convergence(losses(...settled))).toMatchObject({ converged: true, epochs: 10 });
    // The last epoch 2e-4 below the one before: still falling.
    const falling = [...settled.slice(0, -1), settled[settled.length - 2] - 0.0002];
    const result = convergence(losses(...falling))!;
    expect(result.converged).toBe(false);
    expect(result.drop).toBeCloseTo((0.2 - falling[falling.length - 1]) / 0.2, 12);
  });

  it('compares a short run with its first epoch, and says nothing of a run of one epoch', () => {
    expect(convergence(losses(0.7))).toBeUndefined();
    expect(convergence(losses(0.7, 0.5, 0.4))).toEqual({ converged: false, epochs: 2, drop: (0.7 - 0.4) / 0.7 });
    expect(convergence(losses(0.4, 0.45, 0.4))).toEqual({ converged: true, epochs: 2, drop: 0 });
  });

  it("reads the training set's evaluated loss where the run has it, not the mean of the steps", () => {
    const history = [
      { trainLoss: 1, trainEvalLoss: 0.5 },
      { trainLoss: 0.5, trainEvalLoss: 0.5 },
    ];
    expect(convergence(history)?.converged).toBe(true);
  });

  it('tells overfitting apart: a held-out loss that ended over 1% above its lowest changes the advice', () => {
    const train = [1, 0.8, 0.6, 0.4];
    const withVal = (val: number[], test?: number[]) =>
      train.map((trainLoss, i) => ({ trainLoss, valLoss: val[i], ...(test ? { testLoss: test[i] } : {}) }));
    // Validation first, even where the test set's loss fell.
    const rising = convergence(withVal([0.9, 0.7, 0.75, 0.8], [0.9, 0.8, 0.7, 0.6]))!;
    expect(rising.converged).toBe(false);
    expect(rising.heldOutRise?.set).toBe('validation');
    expect(rising.heldOutRise?.rise).toBeCloseTo(0.8 / 0.7 - 1, 12);
    expect(convergenceWarning(rising, apiName)).toBe(
      'the training loss was still falling at the end (60.0% lower over the last 3 epochs), while the validation ' +
        'loss ended 14.3% above its lowest: the model overfits; stop earlier (earlyStopping) or regularise ' +
        '(weightDecay, dropout)',
    );
    expect(convergenceWarning(rising, cliName)).toMatch(
      /\(--early-stopping\) or regularise \(--weight-decay, --dropout\)$/,
    );
    // Without a validation set, the test set's loss; within 1% of its lowest is noise, not overfitting.
    const testOnly = train.map((trainLoss, i) => ({ trainLoss, testLoss: [0.9, 0.7, 0.65, 0.655][i] }));
    expect(convergence(testOnly)!.heldOutRise).toBeUndefined();
    testOnly[3].testLoss = 0.66;
    const testRise = convergence(testOnly)!.heldOutRise!;
    expect(testRise.set).toBe('test');
    expect(testRise.rise).toBeCloseTo(0.01 / 0.65, 12);
    // Still falling everywhere: the old advice.
    expect(convergenceWarning(convergence(withVal([0.9, 0.8, 0.7, 0.6]))!, apiName)).toMatch(
      /: train longer \(epochs\)/,
    );
  });
});

describe('fit', () => {
  it('says an iris-sized table with the defaults has not converged, and what to do', async () => {
    const { x, y } = irisLike(1);
    const model = await MLP.create({ inputs: 4, outputs: 3, backend: 'cpu' });
    const result = await model.fit(x, y);
    expect(result.steps, 'one step an epoch: the batch is the whole table').toBe(200);
    expect(result.converged).toBe(false);
    expect(result.warning).toMatch(
      /^the training loss was still falling at the end \(\d+\.\d% lower over the last 10 epochs\): train longer \(epochs\) or faster \(a larger learningRate\)$/,
    );
  });

  it('says a run whose loss has settled has converged, with no warning', async () => {
    const model = await MLP.create({ inputs: 2, hidden: [8], outputs: 2, backend: 'cpu', seed: 3 });
    const xor = {
      x: [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ],
      y: [0, 1, 1, 0],
    };
    const result = await model.fit(xor.x, xor.y, { epochs: 600, batchSize: 4, learningRate: 0.05 });
    expect(result.history.at(-1)!.trainEvalLoss).toBeLessThan(0.01);
    expect(result.converged).toBe(true);
    expect(result.warning).toBeUndefined();
  });

  it('judges no run of one epoch, nor one that early stopping ended', async () => {
    const { x, y } = irisLike(2);
    const model = await MLP.create({ inputs: 4, outputs: 3, backend: 'cpu' });
    const one = await model.fit(x, y, { epochs: 1 });
    expect('converged' in one || 'warning' in one).toBe(false);
    const stopped = await model.fit(x, y, { epochs: 400, batchSize: 8, earlyStopping: 1, validationSplit: 0.2 });
    expect(stopped.earlyStopping?.stopped).toBe(true);
    expect(stopped.converged).toBeUndefined();
  });
});

describe('train', () => {
  it('prints one line when the loss was still falling at the end, and none after a single epoch', async () => {
    const { x, y } = irisLike(1);
    const file = writeCsv(
      path.join(dir, 'iris.csv'),
      ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'],
      x.map((row, i) => [...row, y[i]]),
    );
    const report = path.join(dir, 'report.json');
    const falling = await runCli('train', '--data', file, '--backend', 'cpu', '--report', report);
    expect(falling.stderr).toBe('');
    expect(falling.code).toBe(0);
    const warnings = falling.stdout.split('\n').filter((line) => line.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^warning: the training loss was still falling at the end \(\d+\.\d% lower over the last 10 epochs\): train longer \(--epochs\) or faster \(a larger --learning-rate\)$/,
    );
    expect(JSON.parse(fs.readFileSync(report, 'utf8')).converged).toBe(false);
    const single = await runCli('train', '--data', file, '--backend', 'cpu', '--epochs', '1');
    expect(single.code).toBe(0);
    expect(single.stdout).not.toMatch(/^warning:/m);
  });
});
