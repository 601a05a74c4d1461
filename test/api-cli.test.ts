/** A model file from toBytes() is the CLI's: eval --model and predict --model on it agree with evaluate and predict. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { float32Text } from '../src/cli/predict.js';
import { MLP } from '../src/index.js';
import { colours, smooth } from './api-fixtures.js';
import { runCli } from './cli-runner.js';
import { csv } from './table-fixtures.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const file = (name: string) => path.join(dir, name);

/** Runs the CLI, which must succeed without a word on stderr. */
async function run(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runCli(...args);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return stdout;
}

/** Rows as CSV under the model's default column names; the numbers written as the float32 values they hold. */
const table = (x: number[][], y: (string | number[])[], targets: string[]) =>
  csv(
    [...x[0].map((_, i) => `x${i}`), ...targets],
    x.map((row, r) => [...row.map(float32Text), ...[y[r]].flat().map(String)]),
  );

describe('toBytes gives the CLI model file', () => {
  it('a classifier: eval and predict agree with evaluate and predict', async () => {
    const [train, test] = [colours(240, 1), colours(90, 2)];
    const model = await MLP.create({ inputs: 4, hidden: [16], outputs: 3, backend: 'cpu' });
    await model.fit(train.x, train.y, { epochs: 5, batchSize: 16 });
    fs.writeFileSync(file('colours.safetensors'), model.toBytes());
    fs.writeFileSync(file('test.csv'), table(test.x, test.y, ['y']));
    await run(
      'eval',
      '--model',
      file('colours.safetensors'),
      '--data',
      file('test.csv'),
      '--backend',
      'cpu',
      '--report',
      file('eval.json'),
    );
    const report = JSON.parse(fs.readFileSync(file('eval.json'), 'utf8'));
    expect({ loss: report.testLoss, accuracy: report.testAccuracy }).toEqual(await model.evaluate(test.x, test.y));
    await run(
      'predict',
      '--model',
      file('colours.safetensors'),
      '--data',
      file('test.csv'),
      '--backend',
      'cpu',
      '--out',
      file('p.csv'),
    );
    const [header, ...rows] = fs
      .readFileSync(file('p.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(','));
    const p = await model.predict(test.x);
    expect(header).toEqual(['y', ...p.columns.map((c) => `p(${c})`)]);
    rows.forEach((row, r) => expect(row).toEqual([p.labels![r], ...Array.from(p.row(r), float32Text)]));
  });

  it('a regression of two targets: eval and predict agree too', async () => {
    const [train, test] = [smooth(200, 3), smooth(60, 4)];
    const model = await MLP.create({ inputs: 2, hidden: [16], outputs: 2, task: 'regression', backend: 'cpu' });
    await model.fit(train.x, train.yz, { epochs: 20, batchSize: 20 });
    fs.writeFileSync(file('smooth.safetensors'), model.toBytes());
    fs.writeFileSync(file('smooth.csv'), table(test.x, test.yz, ['y0', 'y1']));
    await run(
      'eval',
      '--model',
      file('smooth.safetensors'),
      '--data',
      file('smooth.csv'),
      '--backend',
      'cpu',
      '--report',
      file('r.json'),
    );
    const report = JSON.parse(fs.readFileSync(file('r.json'), 'utf8'));
    const metrics = await model.evaluate(test.x, test.yz);
    expect({ loss: report.testLoss, rmse: report.testRMSE, mae: report.testMAE, r2: report.testR2 }).toEqual(metrics);
    await run(
      'predict',
      '--model',
      file('smooth.safetensors'),
      '--data',
      file('smooth.csv'),
      '--backend',
      'cpu',
      '--out',
      file('q.csv'),
    );
    const [header, ...rows] = fs
      .readFileSync(file('q.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(','));
    const p = await model.predict(test.x);
    expect(header).toEqual(['y0', 'y1']);
    rows.forEach((row, r) => expect(row).toEqual(Array.from(p.row(r), float32Text)));
  });
});
