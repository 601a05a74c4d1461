import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { type CsvTable, classColumn, numericColumns, parseCsv, sortClasses } from '../src/data/csv.js';
import { type ParsedCells, parseWithPapa as papaCells, readDecimal, scanUnquoted } from '../src/data/csv-cells.js';
import { readCsvFile } from '../src/data/csv-file.js';
import { UserError } from '../src/errors.js';
import { Rng } from '../src/model/rng.js';

const parseWithPapa = (text: string) => papaCells(Papa, text);

/** The one-line UserError that `read` throws or rejects with. */
async function failure(read: () => unknown): Promise<string> {
  try {
    await read();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a UserError, but it read');
}

/** Every data cell as text, row by row. */
const rowsOf = ({ columns, cells }: Pick<CsvTable, 'columns' | 'cells'>) =>
  Array.from({ length: cells.rows }, (_, r) => columns.map((_, c) => cells.text(r, c)));

describe('parseCsv', () => {
  it('reads quoting, CRLF, a byte-order mark and blank lines', async () => {
    const table = await parseCsv('\ufeff name ,"a, b"\r\n"x ""y""",2\r\n\r\n3,"4\n5"\r\n', 'q.csv');
    expect(table.columns).toEqual(['name', 'a, b']);
    expect(rowsOf(table)).toEqual([
      ['x "y"', '2'],
      ['3', '4\n5'],
    ]);
  });

  it("readCsvFile (Node, synchronous) reads a file to parseCsv's table, quoted or not", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-file-'));
    try {
      for (const text of ['\ufeff name ,"a, b"\r\n"x ""y""",2\r\n\r\n3,"4\n5"\r\n', 'a,b\n1, 2\n\n3,4\n']) {
        const file = path.join(dir, 't.csv');
        fs.writeFileSync(file, text);
        const read = readCsvFile(file);
        const parsed = await parseCsv(text, file);
        expect(read.columns).toEqual(parsed.columns);
        expect(rowsOf(read)).toEqual(rowsOf(parsed));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['', 'e.csv: the file is empty: a CSV file needs a header row of column names, then rows of data'],
    [' \n\n', 'e.csv: the file is empty: a CSV file needs a header row of column names, then rows of data'],
    ['a,b\n', 'e.csv: the file has a header but no rows of data'],
    ['a,b\n1,2\n3\n', 'e.csv: row 2 has 1 cells, the header has 2 columns: give every row one cell per column'],
    ['a,b\n1,2,3\n', 'e.csv: row 1 has 3 cells, the header has 2 columns: give every row one cell per column'],
    ['a,,c\n1,2,3\n', 'e.csv: column 2 of the header has no name: give every column a name'],
    ['a,b,a\n1,2,3\n', 'e.csv: the header names "a" twice (columns 1 and 3): give each column its own name'],
    [
      'a,b\n1,"2\n',
      'e.csv: row 1: quoted field unterminated: close every quoted cell with a " (write "" for a quote inside one)',
    ],
  ])('%j fails in one line', async (text, message) => {
    expect(await failure(() => parseCsv(text, 'e.csv'))).toBe(message);
  });
});

const numbers = await parseCsv('x,y,label\n1.5,-2e3,a\n.25, +7 ,b\n', 't.csv');

describe('numericColumns', () => {
  it('gives the named columns as float32, row-major', () => {
    expect([...numericColumns(numbers, ['y', 'x'])]).toEqual([-2000, 1.5, 7, 0.25]);
    expect(numericColumns(numbers, ['x'])[0]).toBe(Math.fround(1.5));
  });

  it.each([
    ['x,y\n1,1\n\n"",2\n', 'row 2, column "x" is empty'],
    ['y,x\n1,1\n2, \n', 'row 2, column "x" is empty'],
    ['x\n1\nabc\n', 'row 2, column "x" holds "abc", which is not a finite number'],
    ['x\nNaN\n', 'row 1, column "x" holds "NaN", which is not a finite number'],
    ['x\nInfinity\n', 'row 1, column "x" holds "Infinity", which is not a finite number'],
    ['x\n1e39\n', 'row 1, column "x" holds "1e39", which is not a finite number'],
    ['x\n0x10\n', 'row 1, column "x" holds "0x10", which is not a finite number'],
  ])('%j: a bad cell names its row and column', async (text, where) => {
    const table = await parseCsv(text, 'n.csv');
    expect(await failure(() => numericColumns(table, ['x']))).toBe(
      `n.csv: ${where}: every feature cell needs a number (nothing is filled in), so fix the cell or drop the row`,
    );
  });

  it('names the columns there are when one is missing', async () => {
    expect(await failure(() => numericColumns(numbers, ['z']))).toBe(
      't.csv: no column named "z": the columns are "x", "y", "label"',
    );
  });
});

describe('classColumn', () => {
  it('orders names numerically where all are numbers, else by code units', () => {
    expect(sortClasses(['10', '2', '2', '-1', '1.5'])).toEqual(['-1', '1.5', '2', '10']);
    expect(sortClasses(['b', 'B', 'a', '10', '2'])).toEqual(['10', '2', 'B', 'a', 'b']);
  });

  it('indexes each row into the sorted classes, or into given ones', async () => {
    const table = await parseCsv('f,kind\n1,setosa\n2, virginica\n3,setosa\n4,versicolor\n', 'c.csv');
    expect(classColumn(table, 'kind')).toEqual({
      classes: ['setosa', 'versicolor', 'virginica'],
      labels: Uint32Array.of(0, 2, 0, 1),
    });
    expect(classColumn(table, 'kind', ['virginica', 'versicolor', 'setosa']).labels).toEqual(
      Uint32Array.of(2, 0, 2, 1),
    );
  });

  it('refuses a class the given ones lack, and an empty class cell', async () => {
    const table = await parseCsv('f,kind\n1,a\n2,c\n', 'test.csv');
    expect(await failure(() => classColumn(table, 'kind', ['a', 'b']))).toBe(
      'test.csv: row 2, column "kind" holds the class "c", which the training data does not have (its classes: a, b)',
    );
    const unlabelled = await parseCsv('f,kind\n1,\n', 'e.csv');
    expect(await failure(() => classColumn(unlabelled, 'kind'))).toBe(
      'e.csv: row 1, column "kind" is empty: every row needs its class, so fill the cell or drop the row',
    );
  });
});

describe('fuzzing', () => {
  // Random damage to a good table: every case reads, or ends in a one-line UserError; nothing else is thrown.
  const alphabet = ['a', '1', '-', '.', 'e', ',', '"', '\n', '\r', ' ', '\ufeff', 'é', '0'];
  it('reads or refuses 2000 mutated tables in one line each', async () => {
    const rng = new Rng(7);
    const good = 'x,y,label\n1,2,a\n3.5,-4,b\n"5",6,"c,d"\n';
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      const chars = [...good];
      for (let n = 1 + rng.below(6); n > 0; n--) {
        const at = rng.below(chars.length + 1);
        if (rng.below(2)) chars.splice(at, 1);
        else chars.splice(at, 0, alphabet[rng.below(alphabet.length)]);
      }
      const text = chars.join('');
      try {
        const table = await parseCsv(text, 'f.csv');
        const features = table.columns.slice(0, -1);
        numericColumns(table, features);
        classColumn(table, table.columns[table.columns.length - 1]);
      } catch (error) {
        if (!(error instanceof UserError) || error.message.includes('\n'))
          throw new Error(`case ${i} ${JSON.stringify(text)}: ${error}`);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(2000);
  });
});

describe('reading numbers', () => {
  it('reads every decimal as Number() does, bit for bit, and refuses what is no decimal', () => {
    const rng = new Rng(11);
    const digits = (n: number) => Array.from({ length: n }, () => rng.below(10)).join('');
    const cases = [
      '0',
      '-0',
      '+0.0',
      '1.',
      '.5',
      '-.5',
      '1e22',
      '1e23',
      '9007199254740991',
      '9007199254740993',
      '123456789012345678901',
      '1e-22',
      '1e-23',
      '4.9e-324',
      '1e400',
      '0.000000000000000000000000001',
      '1e0400',
      ' 7 ',
      '\t-3.25\t',
      '\u00a02\u00a0',
      '',
      ' ',
      '.',
      '-',
      '+',
      'e5',
      '1e',
      '1e+',
      '1.2.3',
      '--1',
      '1_0',
      '0x10',
      'NaN',
      'Infinity',
      '١',
    ];
    for (let i = 0; i < 5000; i++) {
      const exponent = rng.below(3) ? '' : `${['e', 'E'][rng.below(2)]}${['', '+', '-'][rng.below(3)]}${rng.below(40)}`;
      const point = rng.below(4) === 0 ? '' : `.${digits(rng.below(12))}`;
      cases.push(`${['', '-', '+'][rng.below(3)]}${digits(rng.below(18))}${point}${exponent}`);
    }
    for (const text of cases) {
      const trimmed = text.trim();
      const want = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) ? Number(trimmed) : NaN;
      expect(Object.is(readDecimal(`x${text}y`, 1, text.length + 1), want), JSON.stringify(text)).toBe(true);
    }
  });
});

describe('the scan of text without quotes', () => {
  // Papa Parse is the reference: wherever the scan reads a text, it reads the cells (or the problem) Papa reads.
  const same = (text: string) => {
    const scanned = scanUnquoted(text);
    if (!scanned) return false;
    const plain = (p: ParsedCells) =>
      'cells' in p ? { header: p.header, rows: rowsOf({ columns: p.header, cells: p.cells }) } : p;
    expect(plain(scanned), JSON.stringify(text)).toEqual(plain(parseWithPapa(text)));
    if ('cells' in scanned) {
      const papa = parseWithPapa(text) as { cells: CsvTable['cells'] };
      for (let r = 0; r < scanned.cells.rows; r++) {
        scanned.header.forEach((_, c) =>
          expect(Object.is(scanned.cells.decimal(r, c), papa.cells.decimal(r, c))).toBe(true),
        );
      }
    }
    return true;
  };

  it('reads LF and CRLF files, blank lines and ragged rows as Papa Parse does', () => {
    for (const text of [
      'a,b\n1,2\n',
      'a,b\r\n1,2\r\n\r\n3,4',
      '\n\na\n1\n\n',
      'a,b\n1,2\n3\n',
      'a\n \n',
      'a,b\r\n1,2,3\r\n',
    ]) {
      expect(same(text)).toBe(true);
    }
    // Left to Papa Parse: quotes, and line ends whose reading depends on its guess.
    for (const text of ['a,"b"\n1,2\n', 'a,b\r1,2\r', 'a,b\r\n1,2\n3,4\n', 'a\n1\r2\n'])
      expect(scanUnquoted(text)).toBeUndefined();
  });

  it('agrees with Papa Parse on 3000 random texts', () => {
    const rng = new Rng(5);
    const alphabet = ['1', '2', '-', '.', 'e', ',', ',', '\n', '\n', ' ', 'x', '7', '\t'];
    // LF line ends, CRLF ones, or a mixture with lone CRs (which the scan leaves to Papa Parse).
    const ends = [['\n'], ['\r\n'], ['\n', '\r\n', '\r']];
    let scanned = 0;
    for (let i = 0; i < 3000; i++) {
      const end = ends[i % 3];
      const text = Array.from({ length: 1 + rng.below(40) }, () => alphabet[rng.below(alphabet.length)])
        .map((c) => (c === '\n' ? end[rng.below(end.length)] : c))
        .join('');
      if (same(text)) scanned++;
    }
    expect(scanned).toBeGreaterThan(1000);
  });
});
