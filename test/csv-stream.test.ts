import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MLP } from '../src/api/model.js';
import { readingProgress } from '../src/cli/progress.js';
import { type CsvTable, parseCsvSync, textColumn } from '../src/data/csv.js';
import { type CsvFileOptions, readCsvFile } from '../src/data/csv-file.js';
import { MAX_DISTINCT_TEXTS } from '../src/data/csv-stream.js';
import { heldOutRows, type TableOptions, tableRows, tableSets } from '../src/data/table.js';
import { Rng } from '../src/model/rng.js';
import { expectSame, outcome, whole } from './csv-same.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-stream-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `text` (or bytes) written to a file, read back by readCsvFile. */
function readText(text: string | Uint8Array, options: CsvFileOptions = {}, name = 's.csv'): CsvTable {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return readCsvFile(file, options);
}

/** Reads `text` streamed in chunks of each size, comparing with the whole text's reading. */
function expectStreamsAsWhole(text: string | Uint8Array, chunkSizes = [1, 2, 3, 7, 64]): void {
  const file = path.join(dir, 's.csv');
  const reference = whole(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'), file);
  for (const chunkBytes of chunkSizes) {
    expectSame(
      outcome(() => readText(text, { chunkBytes })),
      reference,
      `${JSON.stringify(text)} in chunks of ${chunkBytes}`,
    );
  }
}

describe('readCsvFile, streamed', () => {
  it('reads tables as the whole text reads them, chunks splitting lines, line ends and characters', () => {
    for (const text of [
      'a,b\n1,2\n',
      'x,y,label\n1.5,-2e3,a\n.25, +7 ,b\n',
      '\ufeff name ,b\r\n1, 2\r\n\r\n3,4',
      '\ufeff\ufeffa,b\n1,2\n',
      '\n\na,b\n\n1,2\n\n',
      'é,€\n😀,1e39\n-0,x\n',
      'a,b\n1,2\n3,4\r\n',
      'a,b\r\n1,2\r3,4\r\n',
      'a,b\n1,2\r',
      'a,b\n1,"2"\n3,4\n',
      'f,kind\n1,setosa\n2, virginica\n3,setosa\n4,versicolor\n',
      'x\n1\n\n2\n-3.5',
    ]) {
      expectStreamsAsWhole(text);
    }
  });

  it('gives the same one-line errors', () => {
    for (const text of [
      '',
      ' \n\n',
      '\ufeff \r\n',
      'a,b\n',
      'a,b\n1,2\n3\n',
      'a,b\n1\n2,3\n',
      'a,b\n1,2,3\n',
      'a,,c\n1,2,3\n',
      'a,b,a\n1,2,3\n',
      'a,b,a\n1\n',
      'a,b\n1\n"x\n',
      'a,b\n1,"2\n',
      'x,y\n1,1\n2, \n',
      'x,y\n1,1\nabc,1\n',
      'x,y\nNaN,1\n',
      'x,y\n1e39,1\n',
      'x,y\n0x10,1\n',
      'x,kind\n1,a\n2,\n',
    ]) {
      expectStreamsAsWhole(text);
    }
  });

  it('reads a split UTF-8 character as the whole file does, an invalid one too', () => {
    const bytes = Buffer.from('a,é\n€,😀\n', 'utf8');
    expectStreamsAsWhole(bytes);
    expectStreamsAsWhole(Buffer.concat([bytes, Uint8Array.of(0xe2, 0x82, 0x2c, 0x31, 0x0a)]));
    expectStreamsAsWhole(Buffer.concat([bytes, Uint8Array.of(0x31, 0x2c, 0xf0, 0x9f)]));
  });

  it('reads or refuses 1000 mutated tables as the whole text does, in chunks of random size', () => {
    const rng = new Rng(13);
    const good = 'x,y,label\n1,2,a\n3.5,-4,b\n5,6,c\n-1e2, 7 ,a\n';
    const alphabet = ['a', '1', '-', '.', 'e', ',', '"', '\n', '\r', ' ', '\ufeff', 'é', '0', '😀'];
    for (let i = 0; i < 1000; i++) {
      const chars = [...good];
      for (let n = 1 + rng.below(6); n > 0; n--) {
        const at = rng.below(chars.length + 1);
        if (rng.below(2)) chars.splice(at, 1);
        else chars.splice(at, 0, alphabet[rng.below(alphabet.length)]);
      }
      expectStreamsAsWhole(chars.join(''), [1 + rng.below(12)]);
    }
  });

  it('keeps a column of many distinct numbers as numbers, and the text of its cells that are none', () => {
    const rows = Array.from({ length: MAX_DISTINCT_TEXTS + 50 }, (_, r) => `${r * 0.5},${r % 3}`);
    rows[10] = '5.0,1';
    const table = readText(`x,label\n${rows.join('\n')}\n`, { chunkBytes: 1000 });
    expect(table.cells.decimal(MAX_DISTINCT_TEXTS + 20, 0)).toBe((MAX_DISTINCT_TEXTS + 20) * 0.5);
    expect(table.cells.decimal(10, 0)).toBe(5);
    expect(textColumn(table, 'label').slice(0, 4)).toEqual(['0', '1', '2', '0']);
    expect(outcome(() => textColumn(table, 'x'))).toBe(
      `${path.join(dir, 's.csv')}: column "x" has more than ${MAX_DISTINCT_TEXTS} different values, ` +
        'too many to read as classes: predict it as a number (a regression), or give it fewer classes',
    );
    for (const [row, bad] of [
      [5, 'oops'],
      [MAX_DISTINCT_TEXTS + 30, ' 1e39'],
    ] as const) {
      const broken = [...rows];
      broken[row] = `${bad},1`;
      const text = `x,label\n${broken.join('\n')}\n`;
      expectSame(readText(text, { chunkBytes: 4096 }), whole(text, path.join(dir, 's.csv')), bad);
    }
  });

  it('tells how far it has read', () => {
    const text = 'a,b\n1,2\n3,4\n';
    const seen: number[][] = [];
    readText(text, { chunkBytes: 5, onProgress: (read, total) => seen.push([read, total]) });
    const reads = seen.map(([read]) => read);
    expect(reads.length).toBeGreaterThanOrEqual(3);
    expect(reads).toEqual([...reads].sort((a, b) => a - b));
    expect(reads.at(-1)).toBe(text.length);
    expect(seen.every(([, total]) => total === text.length)).toBe(true);
  });
});

describe("the CLI's reading line", () => {
  it('on a terminal, is redrawn as chunks arrive and erased at the end; elsewhere, nothing is written', () => {
    const file = path.join(dir, 's.csv');
    for (const isTTY of [true, false]) {
      const written: string[] = [];
      const out = { write: (text: string) => written.push(text), isTTY };
      readText('a,b\n1,2\n3,4\n', { chunkBytes: 6, onProgress: readingProgress(out, file) });
      if (!isTTY) expect(written).toEqual([]);
      else {
        expect(written[0]).toMatch(/^\rreading \S+ \[#{15}\.{15}\] 0\/0 MB {2}0 rows\/s {2}\d+ s left/);
        expect(written[0].endsWith('\x1b[K')).toBe(true);
        expect(written.slice(1, -1).every((line) => line.startsWith(`\rreading ${file} [`))).toBe(true);
        expect(written.at(-1)).toBe('\r\x1b[K');
      }
    }
  });

  it('says the rows a second and the time left at that pace', () => {
    const written: string[] = [];
    const now = vi.spyOn(performance, 'now').mockReturnValue(1000);
    const progress = readingProgress({ write: (text: string) => written.push(text), isTTY: true }, 'big.csv');
    now.mockReturnValue(5000);
    progress(100 * 2 ** 20, 300 * 2 ** 20, 1_000_000);
    now.mockRestore();
    expect(written).toEqual([
      `\rreading big.csv [##########....................] 100/300 MB  250,000 rows/s  8 s left\x1b[K`,
    ]);
  });
});

describe('tables as data sets, streamed', () => {
  /** tableSets on the streamed file and on the whole text: the same sets and description, or the same error. */
  function expectSameSets(text: string, options: TableOptions, chunkBytes: number): boolean {
    const file = path.join(dir, 's.csv');
    const streamed = outcome(() => tableSets(readText(text, { chunkBytes }), options));
    const reference = outcome(() =>
      tableSets(
        parseCsvSync(text, file, () => Papa),
        options,
      ),
    );
    expect(streamed, `${JSON.stringify(text)} ${JSON.stringify(options)}`).toEqual(reference);
    return typeof reference !== 'string';
  }

  it("gives the whole text's sets and errors for the tables of the table tests", () => {
    const cases: [string, TableOptions][] = [
      ['a,b\n1,2\n3,4\n', { task: 'classification', targets: ['c'] }],
      ['y\n1\n2\n', { task: 'regression' }],
      ['a,k\n1,x\n2,x\n3,x\n', { task: 'classification' }],
      ['a,k\n1,p\n2,q\n3,r\n4,s\n5,s\n', { task: 'classification', testSplit: 0.2 }],
      ['a,k\n1,p\n,q\n', { task: 'classification' }],
      ['a,y\n1,2\n2,x\n', { task: 'regression' }],
      ['a,y,z\n1,2,3\n2,-1e-3,4\n5,6,7.5\n1,1,1\n0,0,0\n', { task: 'regression', targets: ['y', 'z'] }],
      ['a,b,kind\n1,4.5,x\n2,4.5,y\n3,4.5,x\n4,4.5,y\n5,4.5,x\n6,4.5,y\n', { task: 'classification' }],
    ];
    for (const [text, options] of cases) for (const chunkBytes of [3, 64]) expectSameSets(text, options, chunkBytes);
  });

  it('reads or refuses 500 mutated tables as the whole text does, either task', () => {
    const rng = new Rng(17);
    const good = 'x,y,kind\n1,2,a\n3.5,-4,b\n5,6,a\n7,8,b\n-1,0.5,a\n2,2,b\n';
    const alphabet = ['a', 'b', '1', '-', '.', 'e', ',', '"', '\n', ' ', '', '\r\n'];
    let read = 0;
    for (let i = 0; i < 500; i++) {
      const chars = [...good];
      for (let n = 1 + rng.below(4); n > 0; n--)
        chars.splice(rng.below(chars.length + 1), rng.below(2), alphabet[rng.below(alphabet.length)]);
      const task = rng.below(2) ? 'classification' : 'regression';
      if (expectSameSets(chars.join(''), { task, testSplit: 0.3 }, 1 + rng.below(16))) read++;
    }
    expect(read).toBeGreaterThan(20);
    expect(read).toBeLessThan(450);
  });
});

describe('files larger than a string', () => {
  // A string here holds 4096 characters: a table of 50 kB streams past that, a quoted one is refused in one line.
  const maxStringLength = 4096;
  const rng = new Rng(3);
  const lines = Array.from({ length: 1500 }, () => {
    const [x, y] = [rng.below(2000) / 100 - 10, rng.below(2000) / 100 - 10];
    return `${x},${y},${x * y > 0 ? 'same' : 'opposite'}`;
  });
  const text = `x,y,sign\n${lines.join('\n')}\n`;

  it('streams a table over the limit and trains an epoch on it', async () => {
    expect(text.length).toBeGreaterThan(10 * maxStringLength);
    const table = readText(text, { maxStringLength, chunkBytes: 1024 }, 'big.csv');
    expect(table.cells.rows).toBe(1500);
    const { train, columns } = tableRows(table, { task: 'classification' });
    expect(columns.classes).toEqual(['opposite', 'same']);
    const model = await MLP.create({ inputs: 2, hidden: [8], outputs: 2, backend: 'cpu', seed: 1 });
    const { history } = await model.fit(
      { data: train.features, rows: train.rows },
      Array.from(train.labels, (i) => columns.classes![i]),
      { epochs: 1 },
    );
    expect(history).toHaveLength(1);
    expect(Number.isFinite(history[0].trainLoss)).toBe(true);
  });

  it('holds out a stratified fifth of millions of rows', () => {
    const labels = Uint8Array.from({ length: 3_000_000 }, (_, r) => r % 2);
    const held = heldOutRows('huge.csv', labels.length, 0.2, { labels, name: String });
    expect(held.length).toBe(600_000);
    expect(held.filter((r) => labels[r] === 1).length).toBe(300_000);
  });

  it('reads a quoted file over the limit a piece of whole records at a time, as the whole text reads', () => {
    const quoted = `"x",y,sign\n${lines.map((line, i) => (i % 3 ? line : line.replace(/(same|opposite)$/, '"$1, ""q""\n"'))).join('\n')}\n`;
    expect(quoted.length).toBeGreaterThan(10 * maxStringLength);
    const file = path.join(dir, 'quoted.csv');
    for (const chunkBytes of [5, 300, 5000]) {
      expectSame(readText(quoted, { maxStringLength, chunkBytes }, 'quoted.csv'), whole(quoted, file), `${chunkBytes}`);
    }
  });

  it('refuses, in one line naming the row before it, a record that a quote left open runs past the limit', () => {
    const open = `x,y,sign\n${lines.slice(0, 3).join('\n')}\n1,"2,same\n${lines.slice(3).join('\n')}\n`;
    expect(outcome(() => readText(open, { maxStringLength, chunkBytes: 100 }, 'open.csv'))).toBe(
      `${path.join(dir, 'open.csv')}: the record after row 3 runs past 4096 characters (a quoted cell left open, or ` +
        'line ends of \\r alone?): close every quoted cell with a " (write "" for a quote inside one), and end lines ' +
        'with \\n or \\r\\n',
    );
  });

  it('reads random quoted tables, and damaged ones, in pieces as whole, or refuses them in one line', () => {
    const random = new Rng(8);
    const cell = () => {
      const kind = random.below(5);
      const x = (random.below(20000) / 100 - 100).toString();
      if (kind === 0) return `"${x}"`;
      if (kind === 1) return `"a,${random.below(9)}"`;
      if (kind === 2) return `"${random.below(9)}\r\nb ""c"""`;
      return x;
    };
    const file = path.join(dir, 'r.csv');
    let same = 0;
    for (let t = 0; t < 60; t++) {
      const eol = random.below(2) ? '\r\n' : '\n';
      const rows = Array.from({ length: 40 + random.below(40) }, () =>
        [cell(), cell(), `k${random.below(3)}`].join(','),
      );
      let text = `a,"b",k${eol}${rows.join(eol)}${eol}`;
      if (t % 2) {
        const at = random.below(text.length);
        text = text.slice(0, at) + ['"', ',', '\n', ''][random.below(4)] + text.slice(at + 1);
      }
      const reference = whole(text, file);
      const streamed = outcome(() =>
        readText(text, { maxStringLength: 256, chunkBytes: 1 + random.below(300) }, 'r.csv'),
      );
      if (typeof reference === 'string') {
        // Damaged past what Papa Parse reads: refused too, in one line, though maybe at another row.
        expect(typeof streamed, `table ${t}`).toBe('string');
        same += +(streamed === reference);
      } else if (typeof streamed === 'string') {
        // Only a quote inside an unquoted cell (which RFC 4180 has no place for) ends a piece where Papa Parse would not.
        expect(text, streamed).toMatch(/[^,\n\r"]"[^,\n\r"]/);
      } else {
        expectSame(streamed, reference, `table ${t}`);
        same++;
      }
    }
    expect(same).toBeGreaterThan(35);
  });

  it('reads a pipe whole, quoted or not', async () => {
    const fifo = path.join(dir, 'pipe.csv');
    for (const text of ['a,b\n1,2\n', 'a,"b"\n"1,5",2\n']) {
      fs.rmSync(fifo, { force: true });
      execFileSync('mkfifo', [fifo]);
      // A writer in another process: the read below waits, blocking this one, until it has written and closed.
      const writer = spawn('sh', ['-c', 'printf "%s" "$1" > "$2"', 'sh', text, fifo]);
      const table = readCsvFile(fifo);
      await new Promise((done) => writer.on('exit', done));
      expectSame(
        table,
        parseCsvSync(text, fifo, () => Papa),
        text,
      );
    }
  });

  it('names a missing file and a folder', () => {
    expect(outcome(() => readCsvFile(path.join(dir, 'none.csv')))).toBe(
      `${path.join(dir, 'none.csv')}: no such file: give a CSV file with a header row`,
    );
    expect(outcome(() => readCsvFile(dir))).toBe(`${dir}: a folder, not a file: give a CSV file with a header row`);
  });
});
