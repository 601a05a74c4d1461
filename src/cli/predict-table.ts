/**
 * predict on a table: one output row per input row, the predicted class and each class's probability (or a
 * regression's predicted targets, in their units), as CSV. The target columns may be absent from the file.
 */
import Papa from 'papaparse';
import { readTable } from '../data/table.js';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { outputSize, type ModelSpec } from '../model/spec.js';
import { targetStandardisation, unstandardiseFloat32 } from '../model/table.js';
import { inferenceSizes, predictOutputs } from '../train/inference.js';
import { argmax, softmax } from '../train/metrics.js';
import { type BackendChoice, openCliBackend } from './backends.js';
import { checkModelFile } from './data.js';
import { readCsvFile } from './tables.js';

/** The shortest decimal that reads back as the same float32 (what a float32 holds, without float64's noise digits). */
export function float32Text(value: number): string {
  const x = Math.fround(value);
  for (let digits = 1; digits < 9; digits++) {
    const text = Number(x.toPrecision(digits));
    if (Math.fround(text) === x) return String(text);
  }
  return String(Number(x.toPrecision(9)));
}

/**
 * The predictions as CSV rows under their header. A softmax classifier gives the class and p(class) per class, an
 * MSE classifier its raw outputs as output(class); a regression its predicted targets, un-standardised in float32
 * (out · std + mean), as PyTorch computes them from the same outputs.
 */
export function predictionRows(spec: ModelSpec, outputs: Float32Array, count: number): string[][] {
  const d = spec.data!;
  const width = outputSize(spec);
  if (spec.task === 'regression') {
    const values = unstandardiseFloat32(outputs.subarray(0, count * width), width, targetStandardisation(d, width));
    const rows = [d.targets];
    for (let r = 0; r < count; r++) rows.push(Array.from(values.subarray(r * width, (r + 1) * width), float32Text));
    return rows;
  }
  const classes = d.classes!;
  const mse = spec.loss === 'mse';
  const rows = [[d.targets[0], ...classes.map((name) => (mse ? `output(${name})` : `p(${name})`))]];
  for (let r = 0; r < count; r++) {
    const values = mse ? outputs.subarray(r * width, (r + 1) * width) : softmax(outputs, r * width, width);
    rows.push([classes[argmax(outputs, r * width, width)], ...Array.from(values, float32Text)]);
  }
  return rows;
}

export async function predictTable(
  modelFile: string, spec: ModelSpec, params: Float32Array, dataFile: string, outFile: string | undefined, backendChoice: BackendChoice,
): Promise<void> {
  if (!spec.data) throw new UserError(`${modelFile} was trained on MNIST-style images, not a table: give --image FILE.png or --index N`);
  const table = readCsvFile(dataFile);
  // Only the model's feature columns are read: a target column, or any other, is left alone.
  const set = readTable(table, spec.data, spec.task, false);
  const sizes = checkModelFile(modelFile, () => `the rows of ${dataFile}`, () => inferenceSizes(spec, set));
  const backend = await openCliBackend(backendChoice, () => {}, 'predicting', sizes);
  try {
    const outputs = await predictOutputs(backend, spec, params, set, sizes);
    const text = Papa.unparse(predictionRows(spec, outputs, set.count), { newline: '\n' }) + '\n';
    if (outFile === undefined) {
      process.stdout.write(text);
    } else {
      writeFileAtomic(outFile, text);
      process.stdout.write(`predictions for ${set.count} rows written to ${outFile}\n`);
    }
  } finally {
    backend.dispose();
  }
}
