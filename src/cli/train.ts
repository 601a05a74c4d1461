import { explainFailure } from '../api/engine.js';
import { DeviceLostError, UserError } from '../errors.js';
import { readFileBytes, writeFileAtomic } from '../io/atomic.js';
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from '../io/checkpoint.js';
import { decodeModel, encodeModel } from '../io/model-codec.js';
import { curvesSvg } from '../io/plots.js';
import { TABLE_BATCH, TABLE_EPOCHS } from '../train/defaults.js';
import { checkRun, type TrainStart, train } from '../train/trainer.js';
import { choiceFlag, helpText, parseFlags } from './args.js';
import { BACKEND_CHOICES, openCliBackend } from './backends.js';
import { checkModelFile } from './data.js';
import { cliIo } from './io.js';
import { checkOutputFile } from './output.js';
import { ProgressPrinter } from './progress.js';
import { checkAgainst, configFromFlags, describeRun, type RunConfig, TRAIN_FLAGS } from './train-config.js';
import { type TrainingData, trainingData } from './train-data.js';
import { describeTable, earlyStopLine, resultsLine, trainReport } from './train-report.js';

const USAGE = 'webgpu-mlp train [options]     (npm run train -- [options])';
const SUMMARY = `Trains an MLP and evaluates it on the test set after every epoch. On MNIST (the default, or --data DIR):
inputs are pixels / 255 standardised with MNIST's mean 0.1307 and std 0.3081. On a table (--data FILE.csv): every
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
  for (const name of ['out', 'report', 'checkpoint']) checkOutputFile(name, str(name));
  checkOutputFile('plot', str('plot'), ['.svg']);
  if (str('checkpoint-every') !== undefined && str('checkpoint') === undefined) {
    throw new UserError('--checkpoint-every needs --checkpoint FILE: where to save');
  }
  if (str('resume') !== undefined && str('init') !== undefined) {
    throw new UserError('--init and --resume cannot be combined: --resume continues a run with its own weights');
  }

  // The run: from the flags, or from the checkpoint being resumed (flags must agree with it), or on a model's weights;
  // its layers and defaults follow the data, which is read first.
  let config: RunConfig;
  let start: TrainStart = {};
  let resumed: Checkpoint | undefined;
  const resumeFile = str('resume');
  const initFile = str('init');
  let data: TrainingData;
  if (resumeFile) {
    resumed = loadCheckpoint(resumeFile);
    const base: RunConfig = {
      spec: resumed.spec,
      options: resumed.options,
      trainLimit: resumed.data.trainLimit,
      validationSplit: resumed.data.validationSplit,
      testSplit: resumed.data.testSplit,
    };
    data = trainingData(flags, base, `the checkpoint ${resumeFile}`);
    config = configFromFlags(flags, data.shape, base);
    checkAgainst(flags, config, base, `the checkpoint ${resumeFile}`);
    start = { resume: resumed.state };
  } else if (initFile) {
    const model = decodeModel(readFileBytes(initFile, 'model file'), initFile);
    data = trainingData(flags, { spec: model.spec }, `the model ${initFile}`);
    config = configFromFlags(flags, data.shape, { spec: model.spec });
    checkAgainst(flags, config, { spec: model.spec, options: config.options }, `the model ${initFile}`, true);
    start = { params: model.params };
  } else {
    data = trainingData(flags);
    config = configFromFlags(flags, data.shape);
  }
  if (data.testSplit !== undefined) config.testSplit = data.testSplit;
  const { spec, options } = config;
  const { val } = data;
  if (resumed && resumed.data.trainSamples !== data.train.count) {
    throw new UserError(
      `the checkpoint ${resumeFile} trained on ${resumed.data.trainSamples} samples, this data gives ${data.train.count}: use the same --data`,
    );
  }
  const sets = { train: data.train, test: data.test, val };
  const images = data.shape.data ? 'data' : 'images';
  const run = checkModelFile(
    resumeFile ?? initFile,
    (set) => `the ${set} ${images} of ${data.source}`,
    () => checkRun(spec, sets, options),
  );

  const say = (line: string) => cliIo().stdout.write(`${line}\n`);
  const backend = await openCliBackend(backendChoice, say, 'training', run.settings);
  try {
    say(`training ${describeRun(config)}`);
    say(
      `data: ${data.train.count} training samples${val ? `, ${val.count} validation` : ''}, ${data.test.count} test` +
        (data.shape.data ? ` (${describeTable(data)})` : ''),
    );
    if (resumed) say(`resuming from ${resumeFile}: epoch ${resumed.state.epoch}, step ${resumed.state.step}`);
    if (initFile) say(`starting from the weights of ${initFile}`);
    say(`device: ${backend.device}`);
    const checkpointFile = str('checkpoint');
    const printer = new ProgressPrinter(cliIo().stdout, options.epochs);
    // The last checkpoint on disk, for the message if the GPU is lost.
    let saved = resumeFile && resumed ? { file: resumeFile, step: resumed.state.step } : undefined;
    const result = await train(
      backend,
      spec,
      sets,
      options,
      {
        onProgress: (p) => printer.progress(p),
        onEpoch: (r) => printer.epoch(r),
        onCheckpoint: checkpointFile
          ? (state) => {
              saveCheckpoint(checkpointFile, {
                spec,
                options,
                state,
                data: {
                  trainSamples: data.train.count,
                  trainLimit: config.trainLimit,
                  testSplit: config.testSplit,
                  ...(val ? { val: val.count, validationSplit: config.validationSplit } : {}),
                },
              });
              saved = { file: checkpointFile, step: state.step };
            }
          : undefined,
      },
      start,
    ).catch(async (error: unknown) => {
      throw explainLoss(await explainFailure(error, backend), saved);
    });
    const stepsRun = result.steps - (resumed?.state.step ?? 0);
    const samplesPerSecond = (stepsRun * options.batch) / result.seconds;
    say(
      `done: ${resultsLine(result)}, ${result.steps} steps, ${result.seconds.toFixed(1)} s (${Math.round(samplesPerSecond)} samples/s including evaluation)`,
    );
    if (result.earlyStop) say(earlyStopLine(result.earlyStop, result.history, options.earlyStop!));
    if (checkpointFile) say(`checkpoint written to ${checkpointFile}`);
    const out = str('out');
    if (out) {
      writeFileAtomic(out, encodeModel(spec, result.params));
      say(`model written to ${out}`);
    }
    const plotFile = str('plot');
    if (plotFile) {
      writeFileAtomic(plotFile, curvesSvg(result.history, describeRun(config)));
      say(`curves drawn in ${plotFile}`);
    }
    const reportFile = str('report');
    if (reportFile) {
      const report = trainReport({ backend, config, data, result, initFile, resumeFile });
      writeFileAtomic(reportFile, `${JSON.stringify(report, null, 2)}\n`);
      say(`report written to ${reportFile}`);
    }
  } finally {
    backend.dispose();
  }
}

/**
 * A failure that a lost GPU device caused becomes one line saying so and where the run can continue from; any other
 * error is returned as it is.
 */
function explainLoss(error: unknown, saved?: { file: string; step: number }): unknown {
  if (!(error instanceof DeviceLostError)) return error;
  const lost = error;
  const next = saved
    ? `the last checkpoint, at step ${saved.step}, is ${saved.file}: --resume ${saved.file} continues the run (add --backend cpu if the GPU stays unavailable)`
    : 'no checkpoint was saved: run again, with --checkpoint FILE --checkpoint-every N to keep one';
  return new UserError(`the GPU device was lost (${lost.reason}: ${lost.detail || 'no message'}); ${next}`);
}
