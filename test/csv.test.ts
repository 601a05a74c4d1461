import { describe, expect, it } from 'vitest';
import { classColumn, numericColumns, parseCsv, sortClasses } from '../src/data/csv.js';
import { UserError } from '../src/errors.js';
import { Rng } from '../src/model/rng.js';

/** The one-line UserError that `read` throws. */
function failure(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a UserError, but it read');
}

describe('parseCsv', () => {
  it('reads quoting, CRLF, a byte-order mark and blank lines', () => {
    const table = parseCsv('\ufeff name ,"a, b"\r\n"x ""y""",2\r\n\r\n3,"4\n5"\r\n', 'q.csv');
    expect(table.columns).toEqual(['name', 'a, b']);
    expect(table.rows).toEqual([['x "y"', '2'], ['3', '4\n5']]);
  });

  it.each([
    ['', 'e.csv: the file is empty: a CSV file needs a header row of column names, then rows of data'],
    [' \n\n', 'e.csv: the file is empty: a CSV file needs a header row of column names, then rows of data'],
    ['a,b\n', 'e.csv: the file has a header but no rows of data'],
    ['a,b\n1,2\n3\n', 'e.csv: row 2 has 1 cells, the header has 2 columns: give every row one cell per column'],
    ['a,b\n1,2,3\n', 'e.csv: row 1 has 3 cells, the header has 2 columns: give every row one cell per column'],
    ['a,,c\n1,2,3\n', 'e.csv: column 2 of the header has no name: give every column a name'],
    ['a,b,a\n1,2,3\n', 'e.csv: the header names "a" twice (columns 1 and 3): give each column its own name'],
    ['a,b\n1,"2\n', 'e.csv: row 1: quoted field unterminated: close every quoted cell with a " (write "" for a quote inside one)'],
  ])('%j fails in one line', (text, message) => {
    expect(failure(() => parseCsv(text, 'e.csv'))).toBe(message);
  });
});

describe('numericColumns', () => {
  const table = parseCsv('x,y,label\n1.5,-2e3,a\n.25, +7 ,b\n', 't.csv');

  it('gives the named columns as float32, row-major', () => {
    expect([...numericColumns(table, ['y', 'x'])]).toEqual([-2000, 1.5, 7, 0.25]);
    expect(numericColumns(table, ['x'])[0]).toBe(Math.fround(1.5));
  });

  it.each([
    ['x,y\n1,1\n\n"",2\n', 'row 2, column "x" is empty'],
    ['y,x\n1,1\n2, \n', 'row 2, column "x" is empty'],
    ['x\n1\nabc\n', 'row 2, column "x" holds "abc", which is not a finite number'],
    ['x\nNaN\n', 'row 1, column "x" holds "NaN", which is not a finite number'],
    ['x\nInfinity\n', 'row 1, column "x" holds "Infinity", which is not a finite number'],
    ['x\n1e39\n', 'row 1, column "x" holds "1e39", which is not a finite number'],
    ['x\n0x10\n', 'row 1, column "x" holds "0x10", which is not a finite number'],
  ])('%j: a bad cell names its row and column', (text, where) => {
    expect(failure(() => numericColumns(parseCsv(text, 'n.csv'), ['x']))).toBe(
      `n.csv: ${where}: every feature cell needs a number (nothing is filled in), so fix the cell or drop the row`);
  });

  it('names the columns there are when one is missing', () => {
    expect(failure(() => numericColumns(table, ['z']))).toBe('t.csv: no column named "z": the columns are "x", "y", "label"');
  });
});

describe('classColumn', () => {
  it('orders names numerically where all are numbers, else by code units', () => {
    expect(sortClasses(['10', '2', '2', '-1', '1.5'])).toEqual(['-1', '1.5', '2', '10']);
    expect(sortClasses(['b', 'B', 'a', '10', '2'])).toEqual(['10', '2', 'B', 'a', 'b']);
  });

  it('indexes each row into the sorted classes, or into given ones', () => {
    const table = parseCsv('f,kind\n1,setosa\n2, virginica\n3,setosa\n4,versicolor\n', 'c.csv');
    expect(classColumn(table, 'kind')).toEqual({ classes: ['setosa', 'versicolor', 'virginica'], labels: Uint32Array.of(0, 2, 0, 1) });
    expect(classColumn(table, 'kind', ['virginica', 'versicolor', 'setosa']).labels).toEqual(Uint32Array.of(2, 0, 2, 1));
  });

  it('refuses a class the given ones lack, and an empty class cell', () => {
    const table = parseCsv('f,kind\n1,a\n2,c\n', 'test.csv');
    expect(failure(() => classColumn(table, 'kind', ['a', 'b']))).toBe(
      'test.csv: row 2, column "kind" holds the class "c", which the training data does not have (its classes: a, b)');
    expect(failure(() => classColumn(parseCsv('f,kind\n1,\n', 'e.csv'), 'kind'))).toBe(
      'e.csv: row 1, column "kind" is empty: every row needs its class, so fill the cell or drop the row');
  });
});

describe('fuzzing', () => {
  // Random damage to a good table: every case reads, or ends in a one-line UserError; nothing else is thrown.
  const alphabet = ['a', '1', '-', '.', 'e', ',', '"', '\n', '\r', ' ', '\ufeff', 'é', '0'];
  it('reads or refuses 2000 mutated tables in one line each', () => {
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
        const table = parseCsv(text, 'f.csv');
        const features = table.columns.slice(0, -1);
        numericColumns(table, features);
        classColumn(table, table.columns[table.columns.length - 1]);
      } catch (error) {
        if (!(error instanceof UserError) || error.message.includes('\n')) throw new Error(`case ${i} ${JSON.stringify(text)}: ${error}`);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(2000);
  });
});
