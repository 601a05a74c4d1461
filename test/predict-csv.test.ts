/** predict's CSV in pieces: joined, exactly the one text of every row under the header, however the rows are cut. */
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { Predictions } from '../src/api/records.js';
import { float32Text, predictionCsv } from '../src/cli/predict.js';
import { makeSpec } from '../src/model/spec.js';

const spec = makeSpec([2, 3], {
  inputMean: 0,
  inputStd: 1,
  data: {
    features: ['a', 'b'],
    featureMean: [0, 0],
    featureStd: [1, 1],
    targets: ['kind'],
    classes: ['x, "quoted"', 'y', 'z'],
  },
});

describe('predict --data writes its CSV in pieces', () => {
  it('joins to the whole table of rows, for pieces of any size, with CSV quoting kept', () => {
    const rows = 7;
    const values = Float32Array.from({ length: rows * 3 }, (_, i) => Math.fround(i / 7));
    const labels = Array.from({ length: rows }, (_, r) => ['x, "quoted"', 'y', 'z'][r % 3]);
    const predicted = new Predictions(values, ['x, "quoted"', 'y', 'z'], labels);
    const header = ['kind', 'p(x, "quoted")', 'p(y)', 'p(z)'];
    const all = [header, ...labels.map((label, r) => [label, ...Array.from(predicted.row(r), float32Text)])];
    const whole = `${Papa.unparse(all, { newline: '\n' })}\n`;
    for (const size of [1, 3, 7, 100]) {
      const pieces = [...predictionCsv(spec, predicted, size)];
      expect(pieces, `pieces of ${size} rows`).toHaveLength(1 + Math.ceil(rows / size));
      expect(pieces.join(''), `pieces of ${size} rows`).toBe(whole);
    }
  });
});
