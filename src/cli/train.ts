import type { BackendNote } from '../api/engine.js';
import { MLP } from '../api/model.js';
import type { FitOptions, FitStart } from '../api/options.js';
import { checkLabelledSets } from '../check.js';
import { DeviceLostError, UserError } from '../errors.js';
import { nodeShaderLoader } from '../gpu/shaders-node.js';
import { readFileBytes, writeFileAtomic } from '../io/atomic.js';
import { decodeCheckpoint } from '../io/checkpoint-codec.js';
import { decodeModel } from '../io/model-codec.js';
import { curvesSvg } from '../io/plots.js';
import type { ModelSpec } from '../model/spec.js';
import { TABLE_BATCH, TABLE_EPOCHS } from '../train/defaults.js';
import type { SettingName } from '../train/setting-names.js';
import { FIT_SETTINGS, MODEL_SETTINGS, SETTINGS } from '../train/settings.js';
import { choiceFlag, gpuDataBytesOf, helpText, parseFlags } from './args.js';
import { BACKEND_CHOICES, choiceLine } from './backends.js';
import { checkModelFile } from './data.js';
import { cliIo } from './io.js';
import { checkOutputFile, reportText, writeOutput } from './output.js';
import { ProgressPrinter } from './progress.js';
import { checkAgainst, configFromFlags, describeRun, type RunConfig, TRAIN_FLAGS } from './train-config.js';
import { modelShape, trainingData } from './train-data.js';
import { convergenceLine, describeTable, earlyStopLine, resultsLine, trainReport } from './train-report.js';

const USAGE = 'webgpu-mlp train [options]';
const SUMMARY =
  'Trains an MLP and evaluates it on the test set after every epoch. On MNIST (the default, or --data DIR):\n' +
  `inputs are pixels / 255 standardised with MNIST's mean 0.1307 and std 0.3081. On a table (--data FILE.csv): every
column but --target is a feature, standardised with the training rows' mean and std (stored in the model); the
classes are the target's distinct values, or with --task regression the targets are standardised too and results
are in their units. A table's defaults follow scikit-learn's MLPClassifier: one hidden layer of 100, Adam at 0.001,
a batch of min(${TABLE_BATCH}, rows) and ${TABLE_EPOCHS} epochs. Each epoch runs floor(samples / batch)
steps on a fresh seeded shuffle. Optimisers, schedules and defaults follow PyTorch (torch.optim.SGD, Adam, AdamW;
StepLR, CosineAnnealingLR).`;

export async function trainCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, TRAIN_FLAGS, 'train');
  if (flags.help) {
    cliIo().stdout.write(helpText(USAGE, SUMMARY, TRAIN_FLAGS));
    return;
  }
  const str = (name: string) => flags[name] as string | undefined;
  const backendChoice = choiceFlag('backend', str('backend'), BACKEND_CHOICES, 'auto');
  const gpuDataBytes = gpuDataBytesOf(flags);
  for (const name of ['out', 'report', 'checkpoint']) checkOutputFile(name, str(name));
  checkOutputFile('plot', str('plot'), ['.svg']);
  if (str('checkpoint-every') !== undefined && str('checkpoint') === undefined) {
    throw new UserError('--checkpoint-every needs --checkpoint FILE: where to save');
  }
  if (str('resume') !== undefined && str('init') !== undefined) {
    throw new UserError('--init and --resume cannot be combined: --resume continues a run with its own weights');
  }

  // The run follows the data, read first, and the flags, which must agree with a checkpoint being resumed.
  const resumeFile = str('resume');
  const initFile = str('init');
  const modelFile = resumeFile ?? initFile;
  const modelBytes = modelFile ? readFileBytes(modelFile, resumeFile ? 'checkpoint' : 'model file') : undefined;
  const resumed = resumeFile && modelBytes ? decodeCheckpoint(modelBytes, resumeFile) : undefined;
  let base: (Partial<RunConfig> & { spec: ModelSpec }) | undefined;
  if (resumed) base = { spec: resumed.spec, options: resumed.options, ...resumed.data };
  else if (initFile && modelBytes) base = { spec: decodeModel(modelBytes, initFile).spec };
  const what = resumeFile ? `the checkpoint ${resumeFile}` : `the model ${initFile}`;
  const data = trainingData(flags, base, what);
  const config = configFromFlags(flags, data.shape, base);
  if (base) checkAgainst(flags, config, { options: config.options, ...base }, what, !resumed);
  if (data.testSplit !== undefined) config.testSplit = data.testSplit;
  const { spec, options } = config;
  // Images that do not fit the layers are said in the flags' terms, or (a model file's) naming the file.
  const images = data.images;
  if (images)
    checkModelFile(
      modelFile,
      (set) => `the ${set} images of ${data.source}`,
      () => checkLabelledSets(spec, images),
    );

  const say = (line: string) => cliIo().stdout.write(`${line}\n`);
  // auto may change its mind once fit knows the run's sizes: its last choice is the one said.
  let note: BackendNote | undefined;
  const opening = {
    backend: backendChoice,
    shaders: nodeShaderLoader,
    gpuDataBytes,
    onBackend: (n: BackendNote) => (note = n),
  };
  const pick = (names: readonly SettingName[], from = config.settings) =>
    Object.fromEntries(names.filter((n) => from[n] !== undefined).map((n) => [n, from[n]]));
  const d = data.shape.data;
  const model = modelBytes
    ? await MLP.fromBytes(modelBytes, { ...opening, source: modelFile })
    : await MLP.create({
        ...pick(MODEL_SETTINGS),
        ...modelShape(spec, d),
        seed: options.seed,
        ...opening,
      });
  try {
    const checkpointFile = str('checkpoint');
    const printer = new ProgressPrinter(cliIo().stdout, options.epochs);
    // The last checkpoint on disk, for the message if the GPU is lost.
    let saved = resumed && resumeFile ? { file: resumeFile, step: resumed.state.step } : undefined;
    let counts: FitStart = { trainRows: 0, validationRows: 0, testRows: 0 };
    // A resumed run takes its settings from the checkpoint, but those the flags may still change.
    const resumable = FIT_SETTINGS.filter((name) => SETTINGS[name].resumable);
    const settings = resumed ? pick(resumable, config.given) : pick(FIT_SETTINGS);
    const fitOptions: FitOptions = {
      ...settings,
      validationSplit: config.validationSplit,
      testData: data.test,
      resume: resumed && modelBytes,
      onStart: (start) => {
        counts = start;
        if (note) say(choiceLine(note, 'training'));
        say(`training ${describeRun(config)}`);
        const val = start.validationRows ? `, ${start.validationRows} validation` : '';
        const table = d ? ` (${describeTable(data)})` : '';
        say(`data: ${start.trainRows} training samples${val}, ${start.testRows} test${table}`);
        if (resumed) say(`resuming from ${resumeFile}: epoch ${resumed.state.epoch}, step ${resumed.state.step}`);
        if (initFile) say(`starting from the weights of ${initFile}`);
        say(`device: ${model.device}`);
      },
      onChunk: (p) => printer.progress(p),
      onEpoch: (r) => printer.epoch(r),
      checkpoint: checkpointFile
        ? {
            every: options.checkpointEvery,
            data: { trainLimit: config.trainLimit, testSplit: config.testSplit },
            save: (bytes, at) => {
              writeFileAtomic(checkpointFile, bytes);
              saved = { file: checkpointFile, step: at.step };
            },
          }
        : undefined,
    };
    const result = await model.fit(data.x, data.y, fitOptions).catch((error: unknown) => {
      throw explainLoss(error, saved);
    });
    const stepsRun = result.steps - (resumed?.state.step ?? 0);
    const samplesPerSecond = (stepsRun * options.batch) / result.seconds;
    say(
      `done: ${resultsLine(result)}, ${result.steps} steps, ${result.seconds.toFixed(1)} s ` +
        `(${Math.round(samplesPerSecond)} samples/s including evaluation)`,
    );
    if (result.earlyStopping) say(earlyStopLine(result.earlyStopping, result.history, options.earlyStop!));
    const unsettled = convergenceLine(result);
    if (unsettled) say(unsettled);
    if (checkpointFile) say(`checkpoint written to ${checkpointFile}`);
    writeOutput(str('out'), () => model.toBytes(), 'model written to');
    writeOutput(str('plot'), () => curvesSvg(result.history, describeRun(config)), 'curves drawn in');
    const report = () => trainReport({ model, config, data, counts, result, initFile, resumeFile });
    writeOutput(str('report'), () => reportText(report()), 'report written to');
  } finally {
    model.dispose();
  }
}

/** A lost GPU device's failure as one line saying where the run can continue from; any other error as it is. */
function explainLoss(error: unknown, saved?: { file: string; step: number }): unknown {
  if (!(error instanceof DeviceLostError)) return error;
  const next = saved
    ? `the last checkpoint, at step ${saved.step}, is ${saved.file}: --resume ${saved.file} continues the run ` +
      '(add --backend cpu if the GPU stays unavailable)'
    : 'no checkpoint was saved: run again, with --checkpoint FILE --checkpoint-every N to keep one';
  return new UserError(`the GPU device was lost (${error.reason}: ${error.detail || 'no message'}); ${next}`);
}
