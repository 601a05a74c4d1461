/**
 * Loading a large CSV table: our reader beside pandas' read_csv, each in a fresh process, rounds interleaved, time
 * and peak memory (resident set, from /usr/bin/time) of each, medians over the rounds.
 *
 *   node --import tsx bench/load-table.ts FILE.csv [--rounds 3]
 *
 * "ours" reads the file (readCsvFile: streamed into float32 columns) and takes the features and labels of the
 * training and test rows out of it (what `train --data` does before training); "ours, read" only reads it;
 * "pandas" is read_csv(FILE, dtype=float32) with the C parser (Debian's python3-pandas). FILE is any table whose last
 * column is a class, e.g. one written by bench/make-table.mjs.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';

const child = process.env.LOAD_TABLE_CHILD;
if (child) {
  const { readCsvFile } = await import('../src/data/csv-file.js');
  const { tableRows } = await import('../src/data/table.js');
  const start = performance.now();
  const table = readCsvFile(process.argv[2]);
  const rows = child === 'rows' ? tableRows(table, { task: 'classification' }).train.rows : table.cells.rows;
  console.log(JSON.stringify({ seconds: (performance.now() - start) / 1000, rows }));
  process.exit(0);
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string' } } });
const file = positionals[0];
if (!file) {
  console.error('usage: node --import tsx bench/load-table.ts FILE.csv [--rounds 3]');
  process.exit(2);
}
const rounds = Number(values.rounds ?? 3);
const PANDAS = [
  'import sys, time, numpy, pandas',
  'start = time.perf_counter()',
  'frame = pandas.read_csv(sys.argv[1], dtype=numpy.float32)',
  'print(\'{"seconds": %f, "rows": %d}\' % (time.perf_counter() - start, len(frame)))',
].join('\n');
const here = path.dirname(new URL(import.meta.url).pathname);
const contenders: Record<string, { command: string[]; env?: Record<string, string> }> = {
  'ours, read': {
    command: ['node', '--import', 'tsx', path.join(here, 'load-table.ts'), file],
    env: { LOAD_TABLE_CHILD: 'read' },
  },
  'ours, read and split': {
    command: ['node', '--import', 'tsx', path.join(here, 'load-table.ts'), file],
    env: { LOAD_TABLE_CHILD: 'rows' },
  },
  pandas: { command: ['/usr/bin/python3', '-c', PANDAS, file] },
};

const results = new Map<string, { seconds: number[]; peakMb: number[] }>();
for (let round = 0; round < rounds; round++) {
  for (const [name, { command, env }] of Object.entries(contenders)) {
    const run = spawnSync('/usr/bin/time', ['-f', 'peak %M', ...command], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`${name} failed: ${run.stderr}`);
    const { seconds } = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    const peakMb = Number(/peak (\d+)/.exec(run.stderr)![1]) / 1024;
    const entry = results.get(name) ?? { seconds: [], peakMb: [] };
    entry.seconds.push(seconds);
    entry.peakMb.push(peakMb);
    results.set(name, entry);
    console.error(`round ${round + 1} ${name}: ${seconds.toFixed(2)} s, peak ${peakMb.toFixed(0)} MB`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`| ${path.basename(file)} | seconds (median of ${rounds}) | peak MB (median) |`);
console.log('| --- | --- | --- |');
for (const [name, { seconds, peakMb }] of results) {
  console.log(`| ${name} | ${median(seconds).toFixed(2)} | ${median(peakMb).toFixed(0)} |`);
}
