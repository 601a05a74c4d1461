/** Comparing a table read in chunks with the same text read whole: columns, texts, float32 values, errors. */
import Papa from 'papaparse';
import { expect } from 'vitest';
import { type CsvTable, classColumn, numericColumns, parseCsvSync } from '../src/data/csv.js';
import { MAX_DISTINCT_TEXTS } from '../src/data/csv-stream.js';
import { UserError } from '../src/errors.js';

/** What `read` gives: the table, or the message of the one-line UserError it throws. */
export function outcome<T>(read: () => T): T | string {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof UserError) || error.message.includes('\n')) throw error;
    return error.message;
  }
}

/** Today's reading of the whole text (Papa Parse or the scan of text without quotes), as the reference. */
export const whole = (text: string, file: string) => outcome(() => parseCsvSync(text, file, () => Papa));

/**
 * Expects the streamed table to be the whole text's: columns, texts, values (rounded to float32 where `float32`, as
 * a streamed table holds them), and the same errors after.
 */
export function expectSame(streamed: CsvTable | string, reference: CsvTable | string, what: string, float32 = true) {
  if (typeof reference === 'string' || typeof streamed === 'string') {
    expect(streamed, what).toEqual(reference);
    return;
  }
  expect(streamed.columns, what).toEqual(reference.columns);
  expect(streamed.cells.rows, what).toBe(reference.cells.rows);
  const manyTexts = reference.columns.map((_, c) => {
    const texts = new Set(Array.from({ length: reference.cells.rows }, (_, r) => reference.cells.text(r, c)));
    return texts.size > MAX_DISTINCT_TEXTS;
  });
  for (let r = 0; r < reference.cells.rows; r++) {
    reference.columns.forEach((_, c) => {
      const want = float32 ? Math.fround(reference.cells.decimal(r, c)) : reference.cells.decimal(r, c);
      expect(Object.is(streamed.cells.decimal(r, c), want), `${what} row ${r} column ${c}`).toBe(true);
      // A column of many different texts keeps those of its cells that are no (float32) number only.
      if (!manyTexts[c] || !Number.isFinite(want))
        expect(streamed.cells.text(r, c), what).toBe(reference.cells.text(r, c));
    });
  }
  const features = reference.columns.slice(0, -1);
  const target = reference.columns[reference.columns.length - 1];
  expect(
    outcome(() => numericColumns(streamed, features)),
    what,
  ).toEqual(outcome(() => numericColumns(reference, features)));
  expect(
    outcome(() => classColumn(streamed, target)),
    what,
  ).toEqual(outcome(() => classColumn(reference, target)));
}
