import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { parseCsvSync } from '../src/data/csv.js';
import { holdOut } from '../src/data/split.js';
import { heldOutRows, readTable, type TableOptions, tableSets } from '../src/data/table.js';
import { UserError } from '../src/errors.js';
import { Rng } from '../src/model/rng.js';
import { fitStandardisation, standardise, unstandardise } from '../src/model/table.js';

/** Tables from text, synchronously (as readCsvFile reads them in Node). */
const parseCsv = (text: string, file: string) => parseCsvSync(text, file, () => Papa);

/** The one-line UserError that `read` throws. */
function failure(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).not.toContain('\n');
    return (error as Error).message;
  }
  throw new Error('expected a UserError, but it read');
}

/** A seeded table: features a, b (b constant), and a class column with three names. */
function flowers(rows: number, seed = 1): string {
  const rng = new Rng(seed);
  const names = ['virginica', 'setosa', 'versicolor'];
  const lines = ['a,b,kind'];
  for (let r = 0; r < rows; r++) lines.push(`${(rng.next() * 10 - 3).toFixed(3)},4.5,${names[r % 3]}`);
  return lines.join('\n');
}

describe('standardisation', () => {
  it('fits the mean and population std per column in float32, a constant column dividing by 1', () => {
    const rows = Float32Array.of(1, 5, 2, 5, 3, 5, 6, 5);
    const { mean, std } = fitStandardisation(rows, 4, 2);
    expect(mean).toEqual([3, 5]);
    expect(std).toEqual([Math.fround(Math.sqrt(3.5)), 1]);
  });

  it('fits rows picked by index exactly as those rows copied out, each column summed in float64 in row order', () => {
    const rng = new Rng(21);
    const width = 5;
    const rows = Float32Array.from({ length: 400 * width }, () => rng.uniform(-1e3, 1e4));
    const indices = Uint32Array.from({ length: 150 }, () => Math.floor(rng.next() * 400));
    const picked = Float32Array.from(
      { length: 150 * width },
      (_, i) => rows[indices[Math.floor(i / width)] * width + (i % width)],
    );
    expect(fitStandardisation(rows, 150, width, indices)).toEqual(fitStandardisation(picked, 150, width));
    // Each column on its own, summed in row order in float64: the definition, not the two-pass loop.
    const { mean, std } = fitStandardisation(picked, 150, width);
    for (let j = 0; j < width; j++) {
      const column = Array.from({ length: 150 }, (_, r) => picked[r * width + j]);
      const m = column.reduce((sum, x) => sum + x, 0) / 150;
      const s = Math.sqrt(column.reduce((sum, x) => sum + (x - m) ** 2, 0) / 150);
      expect([mean[j], std[j]]).toEqual([Math.fround(m), Math.fround(s)]);
    }
  });

  it('computes (x - mean) / std as float32 operations, and unstandardise undoes it', () => {
    const rng = new Rng(3);
    const rows = Float32Array.from({ length: 300 }, () => rng.uniform(-50, 80));
    const stats = fitStandardisation(rows, 100, 3);
    const scaled = rows.slice();
    standardise(scaled, 3, stats);
    scaled.forEach((x, i) => expect(x).toBe(Math.fround(Math.fround(rows[i] - stats.mean[i % 3]) / stats.std[i % 3])));
    const back = unstandardise(scaled, 3, stats);
    back.forEach((x, i) => expect(Math.abs(x - rows[i])).toBeLessThan(1e-4));
  });
});

describe('tables as data sets', () => {
  it('holds a seeded fifth out, fits the standardisation on the training rows only, and names the classes in order', () => {
    const table = parseCsv(flowers(50), 'f.csv');
    const { train, test, description } = tableSets(table, { task: 'classification' });
    expect([train.count, test.count, train.features]).toEqual([40, 10, 2]);
    expect(description.features).toEqual(['a', 'b']);
    expect(description.targets).toEqual(['kind']);
    expect(description.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(description.featureStd[1]).toBe(1);
    expect(description.featureMean[1]).toBe(4.5);
    // Fitted on the training rows: their standardised feature has mean 0 and std 1.
    const a = Array.from({ length: train.count }, (_, r) => train.inputs[r * 2]);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(1e-6);
    expect(Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length)).toBeCloseTo(1, 5);
    const kind = (r: number) => ['virginica', 'setosa', 'versicolor'][r % 3];
    const labels = Array.from({ length: 50 }, (_, r) => description.classes!.indexOf(kind(r)));
    const test0 = heldOutRows('f.csv', 50, 0.2, { labels, name: (i) => description.classes![i] });
    expect(tableSets(table, { task: 'classification' }).test.inputs).toEqual(test.inputs);
    expect(Array.from(test0)).toEqual([...test0].sort((x, y) => x - y));
    // Stratified: 17, 17 and 16 rows of the classes give 3, 4 and 3 (or so) of the 10 test rows, each at least 3.
    expect([0, 1, 2].map((c) => Array.from(test.labels).filter((l) => l === c).length).every((n) => n >= 3)).toBe(true);
    expect(Array.from(test.labels)).toEqual(Array.from(test0, (r) => description.classes!.indexOf(kind(r))));
  });

  it('reads a test file, a limit and a validation hold-out; the validation rows do not fit the statistics', () => {
    const table = parseCsv(flowers(30), 'train.csv');
    const testTable = parseCsv('kind,b,a\nsetosa,1,2\n', 'test.csv');
    const { train, val, test, description } = tableSets(table, {
      task: 'classification',
      test: testTable,
      trainLimit: 24,
      validationSplit: 0.25,
    });
    expect([train.count, val!.count, test.count]).toEqual([18, 6, 1]);
    // The validation rows, found by their feature a (distinct per row): a quarter of each class, out of the statistics.
    const a = Array.from({ length: 24 }, (_, r) => Number(table.cells.text(r, 0)));
    const [mean, std] = [description.featureMean[0], description.featureStd[0]];
    const valRows = Array.from({ length: 6 }, (_, i) => {
      const raw = val!.inputs[2 * i] * std + mean;
      return a.reduce((best, x, r) => (Math.abs(x - raw) < Math.abs(a[best] - raw) ? r : best), 0);
    });
    expect([0, 1, 2].map((k) => valRows.filter((r) => r % 3 === k).length)).toEqual([2, 2, 2]);
    const kept = a.filter((_, r) => !valRows.includes(r));
    expect(description.featureMean[0]).toBe(Math.fround(kept.reduce((s, x) => s + x, 0) / 18));
    expect(Array.from(test.inputs)).toEqual([
      Math.fround(Math.fround(2 - description.featureMean[0]) / description.featureStd[0]),
      Math.fround(1 - 4.5),
    ]);
  });

  it('standardises regression targets, several of them, and reads a table without them for prediction', () => {
    const lines = ['x,y,z'];
    for (let r = 0; r < 20; r++) lines.push(`${r},${2 * r + 1},${-r}`);
    const table = parseCsv(lines.join('\n'), 'r.csv');
    const { train, description } = tableSets(table, { task: 'regression', targets: ['y', 'z'] });
    expect(description.features).toEqual(['x']);
    expect(description.targets).toEqual(['y', 'z']);
    expect(description.classes).toBeUndefined();
    expect(train.labels).toBeInstanceOf(Float32Array);
    expect(train.labels.length).toBe(2 * train.count);
    const back = unstandardise(train.labels, 2, { mean: description.targetMean!, std: description.targetStd! });
    for (let i = 0; i < train.count; i++) {
      const x = Math.fround(train.inputs[i] * description.featureStd[0] + description.featureMean[0]);
      expect(back[2 * i]).toBeCloseTo(2 * x + 1, 4);
      expect(back[2 * i + 1]).toBeCloseTo(-x, 4);
    }
    const unlabelled = readTable(parseCsv('id,x\n7,3\n', 'p.csv'), description, 'regression', false);
    expect(unlabelled.inputs[0]).toBe(
      Math.fround(Math.fround(3 - description.featureMean[0]) / description.featureStd[0]),
    );
    expect(unlabelled.labels.length).toBe(2);
  });

  it.each([
    [
      'a,b\n1,2\n3,4\n',
      { task: 'classification', targets: ['c'] },
      'e.csv: no column named "c" for target: the columns are "a", "b"',
    ],
    [
      'a,b\n1,2\n3,4\n',
      { task: 'classification', targets: ['a', 'b'] },
      'a classification predicts one column, target names 2: give one, or task regression for several',
    ],
    [
      'y\n1\n2\n',
      { task: 'regression' },
      'e.csv: no feature columns: every column but target is a feature, and the file has only "y"',
    ],
    [
      'a,k\n1,x\n2,x\n3,x\n',
      { task: 'classification' },
      'e.csv: column "k" holds one class only ("x"): a classifier needs at least 2; to predict another column, name it with target',
    ],
    [
      'a,k\n1,p\n2,q\n3,r\n4,s\n5,s\n',
      { task: 'classification', testSplit: 0.2 },
      'e.csv: column "k" holds 4 classes for 4 training rows, fewer than 2 rows per class: a classifier needs several rows of each class; ' +
        'if "k" is a number to predict, use task regression',
    ],
    [
      'a,k\n1,p\n2,q\n',
      { task: 'classification', testSplit: 0.1 },
      'e.csv: testSplit 0.1 of its 2 rows holds out 0 rows: give a fraction between 0 and 1 that leaves rows for both training and testing, or a separate test file',
    ],
    [
      'a,k\n1,p\n,q\n',
      { task: 'classification' },
      'e.csv: row 2, column "a" is empty: every feature cell needs a number (nothing is filled in), so fix the cell or drop the row',
    ],
    [
      'a,y\n1,2\n2,x\n',
      { task: 'regression' },
      'e.csv: row 2, column "y" holds "x", which is not a finite number: every target cell needs a number (nothing is filled in), so fix the cell or drop the row',
    ],
  ] as [string, TableOptions, string][])('%j %j fails in one line', (text, options, message) => {
    expect(failure(() => tableSets(parseCsv(text, 'e.csv'), options))).toBe(message);
  });

  it('refuses a test row whose class the training file lacks, naming the row and the value', () => {
    const table = parseCsv(flowers(12), 'train.csv');
    expect(
      failure(() =>
        tableSets(table, { task: 'classification', test: parseCsv('a,b,kind\n1,2,setosa\n1,2,rosa\n', 'test.csv') }),
      ),
    ).toBe(
      'test.csv: row 2, column "kind" holds the class "rosa", which the training data does not have (its classes: setosa, versicolor, virginica)',
    );
  });
});

describe('fuzzing tables', () => {
  // Random damage to a good table, read as either task with a test split: every case reads, or ends in a one-line
  // UserError; nothing else is thrown.
  it('reads or refuses 1000 mutated tables in one line each', () => {
    const rng = new Rng(17);
    const good = 'x,y,kind\n1,2,a\n3.5,-4,b\n5,6,a\n7,8,b\n-1,0.5,a\n2,2,b\n';
    const alphabet = ['a', 'b', '1', '-', '.', 'e', ',', '"', '\n', ' ', ''];
    let refused = 0;
    for (let i = 0; i < 1000; i++) {
      const chars = [...good];
      for (let n = 1 + rng.below(4); n > 0; n--)
        chars.splice(rng.below(chars.length + 1), rng.below(2), alphabet[rng.below(alphabet.length)]);
      const text = chars.join('');
      try {
        const table = parseCsv(text, 'f.csv');
        const { train, test } = tableSets(table, {
          task: rng.below(2) ? 'classification' : 'regression',
          testSplit: 0.3,
        });
        expect(train.count + test.count).toBe(table.cells.rows);
        expect(Array.from(train.inputs).every(Number.isFinite)).toBe(true);
      } catch (error) {
        if (!(error instanceof UserError) || error.message.includes('\n'))
          throw new Error(`case ${i} ${JSON.stringify(text)}: ${error}`);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(1000);
  });
});

describe('holdOut', () => {
  it('holds shuffled samples out with all their features and targets, several targets per sample', () => {
    const set = {
      inputs: Float32Array.from({ length: 10 }, (_, i) => i),
      labels: Float32Array.from({ length: 15 }, (_, i) => i),
      count: 5,
      features: 2,
    };
    const { train, val } = holdOut(set, 0.4, 3);
    expect([train.count, val.count]).toEqual([3, 2]);
    const rows = (part: typeof train) =>
      Array.from({ length: part.count }, (_, i) => {
        const r = part.inputs[2 * i] / 2;
        expect(Array.from(part.inputs.subarray(2 * i, 2 * i + 2))).toEqual([2 * r, 2 * r + 1]);
        expect(Array.from(part.labels.subarray(3 * i, 3 * i + 3))).toEqual([3 * r, 3 * r + 1, 3 * r + 2]);
        return r;
      });
    expect([...rows(train), ...rows(val)].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(rows(val)).not.toEqual([3, 4]);
  });
});
