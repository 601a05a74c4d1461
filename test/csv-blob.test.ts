import { describe, expect, it } from 'vitest';
import { parseCsv } from '../src/data/csv.js';
import { type CsvBlobOptions, readCsvBlob } from '../src/data/csv-blob.js';
import { scanUnquoted } from '../src/data/csv-cells.js';
import { readCsvBlob as fromMainEntry, UserError } from '../src/index.js';
import { Rng } from '../src/model/rng.js';
import { expectSame } from './csv-same.js';

/** What `read` resolves to: the table, or the message of the one-line UserError it rejects with. */
async function settled<T>(read: () => Promise<T>): Promise<T | string> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof UserError) || error.message.includes('\n')) throw error;
    return error.message;
  }
}

/** The Blob's text, as readCsvFile decodes a file: its byte-order mark kept for parseCsv to drop. */
const textOf = (bytes: Uint8Array) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);

/**
 * Reads `bytes` as a Blob in chunks of each size: the table parseCsv gives for its text (and for `blob.text()`, which
 * drops a byte-order mark itself), and progress that grows to the Blob's size. Tells how parseCsv read the text.
 */
async function expectReadsAsParseCsv(
  bytes: Uint8Array<ArrayBuffer>,
  chunkSizes: number[],
): Promise<'streamed' | 'whole' | 'refused'> {
  const blob = new Blob([bytes]);
  const text = textOf(bytes);
  const what = JSON.stringify(text);
  const reference = await settled(() => parseCsv(text, 't.csv'));
  // Without quotes and with one kind of line end, the table streams, and holds its numbers as float32.
  const float32 = scanUnquoted(text.replace(/^\ufeff/, '')) !== undefined;
  expectSame(
    await settled(async () => parseCsv(await blob.text(), 't.csv')),
    reference,
    `${what} as blob.text()`,
    false,
  );
  for (const chunkBytes of chunkSizes) {
    const progress: [number, number][] = [];
    const onProgress = (read: number, total: number) => progress.push([read, total]);
    const read = await settled(() => readCsvBlob(blob, { name: 't.csv', chunkBytes, onProgress }));
    expectSame(read, reference, `${what} in chunks of ${chunkBytes}`, float32);
    const reads = progress.map(([bytesRead]) => bytesRead);
    expect(reads, what).toEqual([...reads].sort((a, b) => a - b));
    expect(
      progress.every(([, total]) => total === bytes.length),
      what,
    ).toBe(true);
    if (typeof read !== 'string') expect(reads.at(-1), what).toBe(bytes.length);
    if (typeof read !== 'string' && float32) expect(reads.length, what).toBe(Math.ceil(bytes.length / chunkBytes));
  }
  return typeof reference === 'string' ? 'refused' : float32 ? 'streamed' : 'whole';
}

const CLASSES = ['red', 'green', 'blue', 'été', '€uro', '日本', '😀', ' spaced '];

/** A cell: a number as people write one (or do not), a class name, or nothing. */
function randomCell(rng: Rng, texts: boolean): string {
  if (texts) return CLASSES[rng.below(CLASSES.length)];
  const x = (rng.below(2_000_001) - 1_000_000) / 10 ** rng.below(7);
  switch (rng.below(8)) {
    case 0:
      return x.toExponential(rng.below(8));
    case 1:
      return ` ${x} `;
    case 2:
      return String(Math.fround(x * 1e-30));
    case 3:
      return rng.below(20) === 0 ? '' : String(rng.below(100));
    default:
      return String(x);
  }
}

interface TableShape {
  lineEnd: '\n' | '\r\n';
  mark?: boolean;
  ragged?: boolean;
  quoted?: boolean;
  mixedEnds?: boolean;
}

/** A fresh table: 1-5 columns, some of texts (classes), 0-40 rows, blank lines, maybe no final line end. */
function randomTable(rng: Rng, shape: TableShape): string {
  const width = 1 + rng.below(5);
  const texts = Array.from({ length: width }, () => rng.below(3) === 0);
  const header = Array.from({ length: width }, (_, c) => (c === 1 ? ` col é${c} ` : `c${c}`));
  const lines = [header.join(',')];
  for (let r = 1 + rng.below(40); r > 0; r--) {
    if (rng.below(10) === 0) lines.push('');
    lines.push(texts.map((isText) => randomCell(rng, isText)).join(','));
  }
  if (shape.ragged) {
    const cells = width === 1 ? 2 : width - 1 + 2 * rng.below(2);
    lines.splice(1 + rng.below(lines.length), 0, Array.from({ length: cells }, () => '1').join(','));
  }
  if (shape.quoted) {
    const rows = lines.flatMap((line, row) => (row > 0 && line !== '' ? [row] : []));
    const row = rows[rng.below(rows.length)];
    lines[row] = lines[row].replace(/^[^,]*/, (cell) => `"${cell},x"`);
  }
  let text = (shape.mark ? '\ufeff' : '') + lines.join(shape.lineEnd);
  if (shape.mixedEnds)
    text = text.replace(shape.lineEnd === '\n' ? /\n/ : /\r\n/, shape.lineEnd === '\n' ? '\r\n' : '\n');
  return rng.below(2) ? text + shape.lineEnd : text;
}

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('readCsvBlob', () => {
  it("gives parseCsv's table for fresh random tables, chunks splitting lines, line ends and characters", async () => {
    const rng = new Rng(29);
    const shapes: TableShape[] = [
      { lineEnd: '\n' },
      { lineEnd: '\r\n' },
      { lineEnd: '\n', mark: true },
      { lineEnd: '\r\n', mark: true },
    ];
    for (let i = 0; i < 60; i++) {
      const bytes = utf8(randomTable(rng, shapes[i % shapes.length]));
      expect(await expectReadsAsParseCsv(bytes, [1, 2, 3, 1 + rng.below(16), 64, 1 << 20])).toBe('streamed');
    }
  });

  it("gives parseCsv's errors and Papa Parse's reading of what it must read whole", async () => {
    const rng = new Rng(31);
    const shapes: TableShape[] = [
      { lineEnd: '\n', ragged: true },
      { lineEnd: '\r\n', ragged: true, mark: true },
      { lineEnd: '\n', quoted: true },
      { lineEnd: '\r\n', quoted: true, mark: true },
      { lineEnd: '\n', quoted: true, ragged: true },
      { lineEnd: '\n', mixedEnds: true },
      { lineEnd: '\r\n', mixedEnds: true },
    ];
    const kinds = { streamed: 0, whole: 0, refused: 0 };
    for (let i = 0; i < 35; i++) {
      const bytes = utf8(randomTable(rng, shapes[i % shapes.length]));
      kinds[await expectReadsAsParseCsv(bytes, [1, 3, 1 + rng.below(16), 1 << 20])]++;
    }
    // Papa Parse reads every quoted table; it refuses every ragged one, and some with mixed line ends (by its guess).
    expect(kinds.streamed).toBe(0);
    expect(kinds.whole).toBeGreaterThanOrEqual(10);
    expect(kinds.refused).toBeGreaterThanOrEqual(15);
    for (const text of [
      '',
      ' \n\r\n',
      '\ufeff',
      'a,b\n',
      'a,b\n1,"2\n',
      'a,,c\n1,2,3\n',
      'a,b,a\n1,2,3\n',
      'a,b\r1,2\r',
    ]) {
      await expectReadsAsParseCsv(utf8(text), [1, 2, 5]);
    }
  });

  it('reads a split or invalid UTF-8 character as the whole text does', async () => {
    const bytes = utf8('a,é\n€,😀\n');
    const joined = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((part) => [...part]));
    await expectReadsAsParseCsv(bytes, [1, 2, 3]);
    await expectReadsAsParseCsv(joined(bytes, Uint8Array.of(0xe2, 0x82, 0x2c, 0x31, 0x0a)), [1, 2, 3]);
    await expectReadsAsParseCsv(joined(bytes, Uint8Array.of(0x31, 0x2c, 0xf0, 0x9f)), [1, 2, 3]);
  });

  it('names a File by its name, another Blob by its name option; drops one mark, as readCsvFile', async () => {
    const ragged = 'a,b\n1,2\n3\n';
    const message = (name: string) =>
      `${name}: row 2 has 1 cells, the header has 2 columns: give every row one cell per column`;
    expect(await settled(() => fromMainEntry(new File([ragged], 'mine.csv')))).toBe(message('mine.csv'));
    expect(await settled(() => readCsvBlob(new File([ragged], 'mine.csv'), { name: 'other.csv' }))).toBe(
      message('other.csv'),
    );
    expect(await settled(() => readCsvBlob(new Blob([ragged])))).toBe(message('the CSV'));
    // After the first mark, a second one is text, as readCsvFile reads it: here a header of one nameless column.
    // (blob.text() drops the first mark itself, so parseCsv on it drops both, and reads the columns a and b.)
    expect(await settled(() => readCsvBlob(new Blob(['\ufeff\ufeff\na,b\n1,2\n'])))).toBe(
      'the CSV: column 1 of the header has no name: give every column a name',
    );
  });

  it('refuses a chunk size that is no whole number above 0, and a Blob it cannot read, in one line', async () => {
    const blob = new Blob(['a,b\n1,2\n']);
    for (const chunkBytes of [0, -1, 1.5, Number.NaN]) {
      expect(await settled(() => readCsvBlob(blob, { chunkBytes }))).toBe(
        `chunkBytes is ${chunkBytes}: give a whole number of bytes above 0`,
      );
    }
    const gone = {
      size: 10,
      slice: () => ({ arrayBuffer: () => Promise.reject(new DOMException('changed', 'NotReadableError')) }),
    } as unknown as Blob;
    const options: CsvBlobOptions = { name: 'gone.csv' };
    expect(await settled(() => readCsvBlob(gone, options))).toBe(
      'gone.csv: cannot read the file (NotReadableError): check that it still exists, then choose it again',
    );
  });
});
