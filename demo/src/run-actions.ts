/** Start, Pause/Resume and Reset: one run at a time, trained by training.ts and shown as it goes. */
import { DeviceLostError, type MLP, type ModelOptions, UserError } from '../../src/index.js';
import { requestGpu } from '../../src/lower.js';
import { shaders } from './backends.js';
import { described, readSettings, showArchitecture } from './data-mode.js';
import { showAnalysis } from './drawing.js';
import { WeightImages } from './inside.js';
import { shownModel } from './model-files.js';
import { $, CLASSES, INPUT, number, type Page, percent } from './page.js';
import { Predictor } from './predict.js';
import { RunControl } from './run-control.js';
import { trainAccuracyOf } from './runs.js';
import { type Settings, settingsQuery } from './settings.js';
import { tableRun } from './table-data.js';
import { type RunData, trainRun, type Views } from './training.js';

/** The run's model and data: MNIST's byte images, or the table's rows with its columns. */
export function prepare(page: Page, settings: Settings): { model: ModelOptions; data: RunData } {
  const base = {
    hidden: settings.hidden,
    activation: settings.activation,
    loss: settings.loss,
    ...(settings.labelSmoothing ? { labelSmoothing: settings.labelSmoothing } : {}),
    seed: settings.seed,
    backend: settings.backend,
    shaders,
  };
  if (!page.table || !page.tableSets) {
    const { train, test } = page.mnist!;
    return {
      model: { ...base, inputs: INPUT, outputs: CLASSES, images: {} },
      data: {
        train: { x: train.inputs, y: train.labels },
        test: { x: test.inputs, y: test.labels },
        rows: train.count,
      },
    };
  }
  const { data, model } = tableRun(page.table, page.tableSets);
  return { model: { ...base, ...model, inputs: page.tableSets.inputs, outputs: page.tableSets.outputs }, data };
}

/** The page's views of a run in progress. */
function runViews(page: Page): Views {
  const { stats } = page;
  let model: MLP;
  return {
    get everyEpoch() {
      return page.imageMode;
    },
    opened(opened) {
      model = opened;
      page.showAdapter(opened.backend, opened.backend === 'webgpu' ? `WebGPU · ${page.gpuAdapter}` : opened.device);
    },
    progress(run, p) {
      if (run.losses.length === 1) $('stat-loss-first').textContent = `from ${p.loss.toFixed(3)}`;
      stats.loss.textContent = p.loss.toFixed(3);
      stats.loss.dataset.first = String(run.losses[0].loss);
      stats.loss.dataset.last = String(p.loss);
      stats.epoch.textContent = `${p.epoch} / ${p.epochs}`;
      stats.step.textContent = `${number(p.step)} / ${number(p.stepsPerEpoch)}`;
      // Smoothed over a few chunks: single chunks jitter with the browser's other work.
      const before = Number(stats.speed.dataset.value ?? 0);
      const speed = before ? 0.7 * before + 0.3 * p.samplesPerSecond : p.samplesPerSecond;
      stats.speed.textContent = number(Math.round(speed));
      stats.speed.dataset.value = String(speed);
      if (page.state === 'training') {
        page.setState(
          'training',
          `Training run #${run.id}: epoch ${p.epoch} of ${p.epochs}, step ${number(p.step)} of ${number(p.stepsPerEpoch)}.`,
        );
      }
      page.widgets.charts.show(page.widgets.runs.visible);
    },
    epoch(_run, record) {
      const accuracy = record.testAccuracy;
      stats.accuracy.textContent = accuracy === undefined ? `R² ${record.testR2!.toFixed(3)}` : percent(accuracy);
      stats.accuracy.dataset.value = String(accuracy ?? record.testR2);
      stats.accuracy.dataset.epoch = String(record.epoch);
      const train = trainAccuracyOf(record);
      stats.trainAccuracy.textContent = train === undefined ? '–' : percent(train);
      if (train !== undefined) stats.trainAccuracy.dataset.value = String(train);
      page.showRuns();
    },
    async live(run, training, params, epoch) {
      const spec = model.spec;
      const bytes = await training.toBytes();
      const predictor = page.imageMode ? new Predictor(spec, params) : null;
      const what = page.imageMode ? 'the pad reads with the latest weights' : 'Save model takes the latest weights';
      page.setModel(
        { predictor, bytes: async () => bytes, name: `${page.imageMode ? 'mnist' : 'table'}-${spec.layers.join('-')}` },
        `Training ${spec.layers.join('-')}: ${what}.`,
      );
      if (WeightImages.fits(spec)) page.widgets.weights.show(spec, params, epoch ? epoch.epoch : null);
      if (epoch && page.imageMode) {
        if (page.state === 'training') {
          page.setState(
            'training',
            `Run #${run.id}, epoch ${epoch.epoch} done: ${percent(epoch.testAccuracy!)} of the test digits right. Sorting out the mistakes…`,
          );
        }
        await showAnalysis(page, spec, params, () => page.current!.control.gate());
      }
    },
  };
}

export async function start(page: Page): Promise<void> {
  if (!page.mnist || page.busy) return;
  const settings = readSettings(page);
  if (!settings) return;
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare(page, settings);
  } catch (error) {
    page.showError('form-error', described(error));
    return;
  }
  page.setState('training', 'Preparing the network…');
  if (page.current) {
    await page.current.done; // a stopped run may still be finishing its last chunk
    if (page.state !== 'training') return; // Reset was pressed meanwhile
  }
  const { stats } = page;
  const control = new RunControl(() => {
    if (page.state !== 'paused') return;
    const status = $('status');
    status.dataset.halted = 'true';
    status.textContent =
      `Paused at epoch ${stats.epoch.textContent?.split(' ')[0]}, step ${stats.step.textContent?.split(' ')[0]}. ` +
      'Resume to go on, or Reset to start over.';
  });
  let finish!: () => void;
  page.current = { control, done: new Promise((resolve) => (finish = resolve)) };
  page.clearResults();
  page.setModel(null, 'Training…');
  page.keepModel(null);
  const { model: options, data } = prepared;
  const testCount = (page.tableSets ?? page.mnist).test.count;
  const layers = [options.inputs, ...settings.hidden, options.outputs];
  const context = page.dataContext();
  const run = page.widgets.runs.add(
    settings,
    context,
    layers,
    `${location.pathname}${settingsQuery(settings, context)}`,
  );
  page.showRuns();
  const timer = setInterval(() => (stats.time.textContent = `${control.activeSeconds.toFixed(1)} s`), 250);
  try {
    if (settings.backend === 'webgpu') page.gpu ??= await requestGpu();
    const model = await trainRun(
      run,
      { ...options, ...(settings.backend === 'webgpu' ? { gpu: page.gpu! } : {}) },
      data,
      control,
      runViews(page),
    );
    if (model) {
      page.keepModel(model);
      const last = run.history[run.history.length - 1];
      const result =
        last.testAccuracy === undefined
          ? `test R² ${last.testR2!.toFixed(3)}`
          : `${percent(last.testAccuracy)} on the test set`;
      const shown = shownModel(model, page.imageMode ? 'mnist' : 'table');
      page.setModel(
        shown,
        `Trained ${layers.join('-')} for ${settings.epochs} epoch${settings.epochs > 1 ? 's' : ''}: ${result}.`,
      );
      if (shown.predictor && WeightImages.fits(shown.predictor.spec))
        page.widgets.weights.show(shown.predictor.spec, shown.predictor.params, null);
      const tested = page.imageMode ? 'digits' : 'rows';
      const what =
        last.testAccuracy === undefined
          ? result
          : `${percent(last.testAccuracy)} of ${number(testCount)} test ${tested} right`;
      page.setState(
        'done',
        `Run #${run.id} done in ${control.activeSeconds.toFixed(1)} s: ${what}.${page.imageMode ? ' Draw one!' : ''}`,
      );
    }
  } catch (error) {
    if (!control.stopped) showFailure(page, settings.backend, error);
  } finally {
    clearInterval(timer);
    if (!control.stopped) stats.time.textContent = `${control.activeSeconds.toFixed(1)} s`;
    noteGpuBuffers(page);
    page.showRuns();
    finish();
  }
}

/** Says why training failed; after a GPU fault the next run opens a fresh device. */
export function showFailure(page: Page, backend: Settings['backend'], error: unknown): void {
  if (!(error instanceof UserError)) console.error(error);
  const gpuFault = backend === 'webgpu' && (!(error instanceof UserError) || error instanceof DeviceLostError);
  if (gpuFault) {
    // The device may be lost or broken: open a fresh one next time.
    page.gpu?.destroy();
    page.gpu = null;
  }
  page.setModel(page.shown, page.shown ? 'The weights from before the failure.' : 'No model yet.');
  page.setState(
    'error',
    `Training failed: ${described(error)}${gpuFault ? ' The CPU backend trains without the GPU.' : ''}`,
  );
}

/** Every buffer of a run is destroyed with its session: the count the Node tests keep, shown for the e2e test. */
export function noteGpuBuffers(page: Page): void {
  if (!page.gpu) return;
  const adapter = $('adapter');
  adapter.dataset.buffersAfterRuns = [adapter.dataset.buffersAfterRuns, page.gpu.live.buffers]
    .filter((v) => v !== undefined)
    .join(',');
}

export function togglePause(page: Page): void {
  if (!page.current) return;
  const { control } = page.current;
  if (control.paused) {
    control.resume();
    page.setState('training', 'Training resumed.');
  } else {
    control.pause();
    page.setState('paused', 'Pausing after the steps in flight…');
  }
}

export function reset(page: Page): void {
  page.current?.control.stop();
  page.clearResults();
  page.setModel(null, 'No model yet.');
  showArchitecture(page);
  page.showError('form-error', null);
  if (page.gpuAdapter) page.showAdapter('webgpu', `WebGPU · ${page.gpuAdapter}`);
  page.setState('ready', 'Ready. Choose the settings and press Start.');
}
