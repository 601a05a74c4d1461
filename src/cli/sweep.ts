import type { BackendNote } from '../api/engine.js';
import { MLP } from '../api/model.js';
import type { ClassifierMetrics, RegressionMetrics } from '../api/records.js';
import { checkLabelledSets } from '../check.js';
import { UserError } from '../errors.js';
import { nodeShaderLoader } from '../gpu/shaders-node.js';
import { makeSpec, type Task } from '../model/spec.js';
import { SETTING_NAMES, type SettingName } from '../train/setting-names.js';
import { flagOf } from '../train/settings.js';
import { SWEEP_SETTINGS } from '../train/sweep.js';
import { choiceFlag, gpuDataBytesOf, helpText, parseFlags } from './args.js';
import { BACKEND_CHOICES, choiceLine } from './backends.js';
import { isTableFile } from './data.js';
import { cliIo } from './io.js';
import { checkModelFolder, writeModelFolder } from './model-folder.js';
import { checkOutputFile, reportText, writeOutput } from './output.js';
import { SweepProgressBar } from './progress.js';
import { parseEnsemble, parseFolds, parseSeeds, SWEEP_FLAGS, sweepSettings } from './sweep-config.js';
import { scoreText, settingFlags, sweepPlot, sweepReport, sweepTableText } from './sweep-report.js';
import { layersFromFlags } from './train-config.js';
import { modelShape, trainingData } from './train-data.js';
import { describeTable, setPhrase } from './train-report.js';

const USAGE = 'webgpu-mlp sweep [options]';
/** The settings a grid cannot vary, as flags (the seed is --seeds). */
const FIXED_FLAGS = SETTING_NAMES.filter((name) => !SWEEP_SETTINGS.includes(name) && name !== 'seed').map(
  (name) => `--${flagOf(name)}`,
);
const SUMMARY = `Trains a grid of settings, each with several seeds and on k folds, and ranks the settings by their
models' mean held-out score (accuracy, or R² for a regression). Each training setting's flag takes a comma-separated
list of values (but ${FIXED_FLAGS.join(', ')}), and every combination of the lists is tried:
--learning-rate 0.03,0.01,0.003 --weight-decay 0,1e-4 is six settings. Without --validation-split, each setting and
seed is trained k times (--folds, default 5), on all folds of the training rows but one, and scored on that one
(stratified by class). Models that share their layers, batch, epochs and optimiser train together. At the end: the
table, best first; the best setting, trained again on all the training rows where folds were used, and its figures on
the test set. The data and defaults are train's (see train --help).`;

export async function sweepCommand(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, SWEEP_FLAGS, 'sweep');
  const say = (line: string) => cliIo().stdout.write(`${line}\n`);
  if (flags.help) {
    cliIo().stdout.write(helpText(USAGE, SUMMARY, SWEEP_FLAGS));
    return;
  }
  const str = (name: string) => flags[name] as string | undefined;
  const backend = choiceFlag('backend', str('backend'), BACKEND_CHOICES, 'auto');
  const gpuDataBytes = gpuDataBytesOf(flags);
  const ensembleSize = parseEnsemble(flags);
  if (ensembleSize !== undefined) checkModelFolder('out', str('out')!);
  else checkOutputFile('out', str('out'));
  checkOutputFile('report', str('report'));
  checkOutputFile('plot', str('plot'), ['.svg']);
  const folds = parseFolds(flags);
  const seeds = parseSeeds(str('seeds'));
  const settings = sweepSettings(flags, !isTableFile(str('data')));
  const data = trainingData(flags);
  const { shape } = data;
  // The model's shape; its activation and loss are the sweep's settings.
  const loss = shape.task === 'regression' ? ({ loss: 'mse' } as const) : {};
  const spec = makeSpec(layersFromFlags(flags, shape), { task: shape.task, ...loss });
  const images = data.images;
  if (images) checkLabelledSets(spec, images);

  const validationSplit = settings.base.validationSplit as number | undefined;
  const varied = Object.keys(settings.grid) as SettingName[];
  const grid = Object.values(settings.grid).reduce((n, values) => n * values.length, 1);
  const k = validationSplit === undefined ? (folds ?? 5) : 1;
  const count = grid * seeds.length * k;
  if (ensembleSize !== undefined && ensembleSize > count) {
    throw new UserError(
      `--ensemble ${ensembleSize} asks for more models than the sweep trains (${count}): use at most ${count}`,
    );
  }
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const repeats = validationSplit === undefined ? ` x ${k} folds` : '';
  const models = `${plural(count, 'model')} of ${spec.layers.join('-')}`;
  say(`sweep: ${plural(grid, 'setting')} x ${plural(seeds.length, 'seed')}${repeats} = ${models}`);
  const held =
    validationSplit === undefined
      ? `${data.rows} training samples in ${k} folds`
      : `${shape.trainRows} training samples, ${data.rows - shape.trainRows} validation`;
  const table = shape.data ? ` (${describeTable(data)})` : '';
  say(`data: ${held}; ${data.testRows} test${table}`);

  let note: BackendNote | undefined;
  let started = false;
  const bar = new SweepProgressBar(cliIo().stdout, count);
  const regression = shape.task === 'regression';
  const sweep = await MLP.sweep<Task>(data.x, data.y, {
    ...settings.base,
    model: {
      ...settings.model,
      ...modelShape(spec, shape.data),
      backend,
      shaders: nodeShaderLoader,
      gpuDataBytes,
      onBackend: (n) => (note ??= n),
    },
    grid: settings.grid,
    seeds,
    ...(folds !== undefined ? { folds } : {}),
    onProgress: (p) => {
      if (!started && note) say(choiceLine(note, 'training'));
      started = true;
      bar.progress(p);
    },
  });
  bar.end();
  const { best } = sweep;
  try {
    say(`done: ${plural(count, 'model')} in ${sweep.seconds.toFixed(1)} s on ${best.model.device}\n`);
    cliIo().stdout.write(sweepTableText(sweep.table, varied, regression));
    const score = `held-out ${regression ? 'R²' : 'accuracy'} ${scoreText(best.mean, best.std, regression)}`;
    say(`\nbest: ${settingFlags(best.setting, varied) || 'the settings given'} (${score})`);
    let test: (ClassifierMetrics | RegressionMetrics) | undefined;
    if (data.testRows > 0) test = await best.model.evaluate(data.test.x, data.test.y);
    const model =
      validationSplit === undefined ? `trained again on all ${data.rows} training samples` : 'its best model';
    say(`${model}${test ? `: ${setPhrase('test', test)}` : ''}`);
    writeOutput(
      ensembleSize === undefined ? str('out') : undefined,
      () => best.model.toBytes(),
      'best model written to',
    );
    if (ensembleSize !== undefined) {
      const size = await writeEnsemble(sweep, str('out')!, ensembleSize);
      const others = size < ensembleSize ? ' (the others diverged)' : '';
      say(`the ${plural(size, 'best model')} written to ${str('out')}${others}`);
    }
    const run = {
      command: 'sweep',
      backend: best.model.backend,
      device: best.model.device,
      data: data.source,
      task: shape.task,
      layers: spec.layers,
      seeds,
      ...(validationSplit === undefined ? { folds: k } : { validationSplit }),
      trainSamples: data.rows,
      testSamples: data.testRows,
      varied,
    };
    writeOutput(str('report'), () => reportText(sweepReport(sweep, run, test && { ...test })), 'report written to');
    const names = varied.length > 0 ? ` (rank: ${varied.map((name) => `--${flagOf(name)}`).join(', ')})` : '';
    const title = `${models} on ${data.source}${names}`;
    writeOutput(str('plot'), () => sweepPlot(sweep, varied, regression, title), 'curves drawn in');
  } finally {
    best.model.dispose();
  }
}

/** Writes the `size` best models as a folder; a model that diverged has no weights to keep, so fewer where they did. */
async function writeEnsemble(sweep: Awaited<ReturnType<typeof MLP.sweep<Task>>>, dir: string, size: number) {
  const kept = Math.min(size, sweep.models.filter((m) => m.diverged === undefined).length);
  const ensemble = await sweep.ensemble(kept);
  try {
    // MLP.sweep's ensembles are of MLPs.
    writeModelFolder(
      dir,
      ensemble.members.map((m) => (m as MLP).toBytes()),
    );
  } finally {
    ensemble.dispose();
  }
  return kept;
}
