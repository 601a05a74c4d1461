/** predict on a table: a CSV row per input row, the class and each class's probability, or a regression's targets. */
import Papa from 'papaparse';
import type { MLP } from '../api/model.js';
import type { Predictions } from '../api/records.js';
import { numericColumns } from '../data/csv.js';
import { readTable } from '../data/table.js';
import { writeFileAtomic } from '../io/atomic.js';
import { inferenceSettings } from '../train/inference.js';
import type { ModelFile } from './backends.js';
import { checkModelFile, readCsvFile } from './data.js';

/** The shortest decimal that reads back as the same float32 (what a float32 holds, without float64's noise digits). */
export function float32Text(value: number): string {
  const x = Math.fround(value);
  for (let digits = 1; digits < 9; digits++) {
    const text = Number(x.toPrecision(digits));
    if (Math.fround(text) === x) return String(text);
  }
  return String(Number(x.toPrecision(9)));
}

/** The predictions as CSV rows under their header: class and p(class) (MSE: output(class)), or the targets. */
export function predictionRows(model: MLP, p: Predictions): string[][] {
  const values = (r: number) => Array.from(p.row(r), float32Text);
  if (!p.labels) return [p.columns, ...Array.from({ length: p.rows }, (_, r) => values(r))];
  const { spec } = model;
  const header = [
    spec.data!.targets[0],
    ...p.columns.map((name) => (spec.loss === 'mse' ? `output(${name})` : `p(${name})`)),
  ];
  return [header, ...Array.from({ length: p.rows }, (_, r) => [p.labels![r], ...values(r)])];
}

export async function predictTable(
  modelFile: string,
  file: ModelFile,
  dataFile: string,
  outFile: string | undefined,
  say: (text: string) => void,
): Promise<void> {
  const { spec } = file;
  const d = spec.data!;
  const table = readCsvFile(dataFile);
  // Only the model's feature columns are read: a target column, or any other, is left alone.
  const set = readTable(table, d, spec.task, false);
  checkModelFile(
    modelFile,
    () => `the rows of ${dataFile}`,
    () => inferenceSettings(spec, set),
  );
  const model = await file.open(() => {}, 'predicting');
  try {
    const predicted = await model.predict({ data: numericColumns(table, d.features), rows: set.count });
    const text = `${Papa.unparse(predictionRows(model, predicted), { newline: '\n' })}\n`;
    if (outFile === undefined) {
      say(text);
    } else {
      writeFileAtomic(outFile, text);
      say(`predictions for ${set.count} rows written to ${outFile}\n`);
    }
  } finally {
    model.dispose();
  }
}
