/**
 * A sweep against one default run on the real tables of bench/peers/sklearn_tables.py, on its train and test files:
 *
 *     /usr/bin/python3 bench/peers/sklearn_tables.py write      # the tables' files, once
 *     npx tsx bench/sweep-tables.ts [--out DIR] [--seeds 1-3] [--backend cpu]
 *     /usr/bin/python3 bench/peers/sklearn_tables.py sweep      # GridSearchCV over the same grid
 *
 * For each table and seed: our default run (MLP.create + fit with the defaults), and MLP.sweep over GRID with 5
 * folds of the train file (stratified for a classifier), whose best setting is refitted on the whole train file.
 * Both are scored on the test file, which the sweep never sees. Writes DIR/sweep.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type BackendChoice, MLP, numericColumns, readCsvFile, textColumn } from '../src/node.js';

/** The default sweep: Adam's rate around its table default of 0.001, and weight decay. */
export const GRID = { learningRate: [0.01, 0.003, 0.001], weightDecay: [0, 1e-3, 1e-2] };
const TABLES = [
  { name: 'breast_cancer', target: 'diagnosis', task: 'classification' },
  { name: 'wine', target: 'cultivar', task: 'classification' },
  { name: 'diabetes', target: 'progression', task: 'regression' },
] as const;

const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const out = flag('out', path.join('test', 'output', 'tables'));
const [first, last = first] = flag('seeds', '1-3').split('-').map(Number);
const seeds = Array.from({ length: last - first + 1 }, (_, i) => first + i);
const backend = flag('backend', 'cpu') as BackendChoice;

function read(file: string, target: string, task: string) {
  const table = readCsvFile(file);
  const features = table.columns.filter((c) => c !== target);
  const values = numericColumns(table, features);
  const rows = values.length / features.length;
  const x = Array.from({ length: rows }, (_, r) =>
    Array.from(values.subarray(r * features.length, (r + 1) * features.length)),
  );
  const y = task === 'regression' ? Array.from(numericColumns(table, [target])) : textColumn(table, target);
  return { x, y, features: features.length };
}

const score = (metrics: object) =>
  ('accuracy' in metrics ? metrics.accuracy : (metrics as { r2: number }).r2) as number;
const results: Record<string, unknown>[] = [];
for (const { name, target, task } of TABLES) {
  const train = read(path.join(out, `${name}-train.csv`), target, task);
  const test = read(path.join(out, `${name}-test.csv`), target, task);
  for (const seed of seeds) {
    let start = performance.now();
    const outputs = task === 'regression' ? 1 : new Set(train.y as string[]).size;
    const single = await MLP.create({ inputs: train.features, outputs, task, seed, backend });
    await single.fit(train.x, train.y);
    const defaultScore = score(await single.evaluate(test.x, test.y));
    const defaultSeconds = (performance.now() - start) / 1000;
    single.dispose();
    start = performance.now();
    const sweep = await MLP.sweep(train.x, train.y, {
      model: { task, seed, backend },
      grid: GRID,
      seeds: [seed],
      folds: 5,
    });
    const sweepScore = score(await sweep.best.model.evaluate(test.x, test.y));
    const sweepSeconds = (performance.now() - start) / 1000;
    sweep.best.model.dispose();
    const row = {
      table: name,
      seed,
      defaultScore,
      defaultSeconds,
      sweepScore,
      sweepSeconds,
      best: sweep.best.setting,
      cv: sweep.best.mean,
    };
    results.push(row);
    console.log(JSON.stringify(row));
  }
}
fs.writeFileSync(path.join(out, 'sweep.json'), JSON.stringify({ grid: GRID, backend, results }, null, 1));
