/// <reference types="vite/client" />
/**
 * The demo page: loads MNIST (or a table dropped on the page), trains with src/train's trainer on WebGPU (or the CPU
 * reference) with every training setting the library has, keeps each run on the charts and in the table of runs to
 * compare, shows the first layer's weights and the hidden layers' outputs, reads drawn digits, and saves and loads
 * model files. What a person sees is also in the DOM as data attributes (the status's data-state, the loss's
 * data-first/data-last, the accuracy's data-value, the prediction's data-digit, the charts' data-curves, the runs'
 * rows), which the end-to-end test (test/e2e.test.ts) reads.
 */
import './style.css';
import { preprocessDigit } from '../../src/data/digit.js';
import { UserError } from '../../src/index.js';
import { CpuBackend, decodeModel, encodeModel, makeSpec, paramTable, type Backend, type ModelSpec, type TrainData } from '../../src/lower.js';
import { checkWebGpu, liveGpuBuffers, openBackend } from './backends.js';
import { RunCharts } from './charts.js';
import { type DemoData, loadMnist } from './data.js';
import { DrawingPad } from './draw.js';
import { SettingsForm } from './form.js';
import { ActivationView, WeightImages } from './inside.js';
import { pageLabel } from './options.js';
import { analyseTestSet, argmax, Predictor, type TestAnalysis } from './predict.js';
import { RunControl, nextTask } from './run-control.js';
import { renderLegend, renderRunTable } from './run-table.js';
import { RunList, trainAccuracyOf } from './runs.js';
import { capitalise, cliCommand, type DataContext, limitsFromUrl, parseHidden, parseSettings, type Settings, settingsFromUrl, settingsQuery } from './settings.js';
import { featuresFor, readTableFile, type TableChoice, type TableData, tableData, trainRowsOf } from './table-data.js';
import { trainRun, type Views } from './training.js';
import { drawDigit, ProbabilityBars, renderConfusion, renderMistakes } from './views.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
};
const input = (id: string) => $<HTMLInputElement>(id);
const buttons = { start: $<HTMLButtonElement>('start'), pause: $<HTMLButtonElement>('pause'), reset: $<HTMLButtonElement>('reset'), save: $<HTMLButtonElement>('save') };
const stats = {
  epoch: $('stat-epoch'), step: $('stat-step'), loss: $('stat-loss'), accuracy: $('stat-accuracy'), trainAccuracy: $('stat-train-accuracy'),
  speed: $('stat-speed'), time: $('stat-time'),
};
const INPUT = 784;
const CLASSES = 10;

type State = 'loading' | 'ready' | 'training' | 'paused' | 'done' | 'error';

const form = new SettingsForm($<HTMLFormElement>('settings'), $('more-settings'), () => settingsChanged());
const charts = new RunCharts($('loss-chart'), $('epoch-chart'));
const runs = new RunList();
const weights = new WeightImages($<HTMLCanvasElement>('weights'));
const activations = new ActivationView($<HTMLCanvasElement>('activations'));
const bars = new ProbabilityBars($('probabilities'));
const pad = new DrawingPad($<HTMLCanvasElement>('pad'), () => schedulePrediction());
const cpuBackend = new CpuBackend();

let mnist: DemoData | null = null;
/** A table the person gave the page, with the target and task chosen for it; null while training on MNIST. */
let table: TableChoice | null = null;
/** The table's training and test sets for that choice, read once when it is made. */
let tableSets: TableData | null = null;
let gpuAdapter: string | null = null;
let gpuBackend: Backend | null = null;
let model: Predictor | null = null;
let current: { control: RunControl; done: Promise<void> } | null = null;
let state: State = 'loading';
/** The model of the run in progress (or the last one). */
let runSpec: ModelSpec | null = null;

const number = (n: number) => n.toLocaleString('en-US');
const percent = (x: number) => `${(x * 100).toFixed(2)}%`;
const imageMode = () => table === null;

function setState(next: State, message: string): void {
  state = next;
  const status = $('status');
  status.dataset.state = next;
  delete status.dataset.halted;
  status.textContent = message;
  const busy = next === 'training' || next === 'paused';
  buttons.start.disabled = busy || next === 'loading';
  buttons.pause.disabled = !busy;
  buttons.pause.textContent = next === 'paused' ? 'Resume' : 'Pause';
  buttons.reset.disabled = next === 'loading';
  form.disabled = busy;
  for (const id of ['load', 'csv-file', 'target', 'task', 'use-mnist']) ($(id) as HTMLInputElement).disabled = busy;
}

function showError(box: string, message: string | null): void {
  $(box).hidden = message === null;
  $(box).textContent = message ?? '';
}

function showAdapter(kind: 'webgpu' | 'cpu' | 'none' | 'checking', text: string): void {
  const badge = $('adapter');
  badge.dataset.kind = kind;
  badge.textContent = text;
  badge.title = text;
}

/** Where the next run's data comes from, in the terms of settings.ts. */
function dataContext(): DataContext {
  if (table) {
    const { columns } = table.table;
    return { kind: 'table', file: table.table.file, trainRows: trainRowsOf(table.table), target: table.target, lastColumn: columns[columns.length - 1], task: table.task };
  }
  return { kind: 'mnist', trainCount: mnist!.train.count, fullTrain: mnist!.fullTrain, testCount: mnist!.test.count, fullTest: mnist!.fullTest };
}

/** The model's widths around the hidden layers: the data's inputs and its classes (or targets). */
function outerWidths(): [number, number] {
  return tableSets ? [tableSets.inputs, tableSets.outputs] : [INPUT, CLASSES];
}

/** "784 → 128 → 10 · 101,770 parameters", updated as the hidden layers are typed. */
function showArchitecture(): void {
  const hidden = parseHidden(form.hidden.value);
  const line = $('architecture');
  if (!hidden.ok) {
    line.textContent = 'widths like 128, or 256, 128';
    return;
  }
  const [inputs, outputs] = outerWidths();
  const layers = [inputs, ...hidden.value, outputs];
  line.textContent = `${layers.join(' → ')} · ${number(paramTable(makeSpec(layers)).total)} parameters`;
}

/** The address, the share link and the CLI command follow the form as it is edited. */
function settingsChanged(): void {
  showArchitecture();
  if (!mnist) return;
  const parsed = parseSettings(form.read(), table ? trainRowsOf(table.table) : mnist.train.count, table ? 'table' : 'mnist');
  showError('form-error', parsed.ok ? null : parsed.error);
  if (!parsed.ok) return;
  const query = settingsQuery(parsed.value, dataContext());
  history.replaceState(null, '', `${location.pathname}${query}`);
  $<HTMLAnchorElement>('share-link').href = `${location.pathname}${query}`;
  $('share-note').textContent = table ? 'It holds the settings, not your table, which never leaves this page.' : '';
  $('cli-command').textContent = cliCommand(parsed.value, dataContext());
}

function setModel(next: Predictor | null, description: string): void {
  model = next;
  buttons.save.disabled = next === null;
  $('model-status').textContent = description;
  delete $('model-status').dataset.loaded;
  schedulePrediction();
}

// ---- Drawing and prediction ----

let predictionQueued = false;

function schedulePrediction(): void {
  if (predictionQueued) return;
  predictionQueued = true;
  requestAnimationFrame(() => {
    predictionQueued = false;
    predictDrawing();
  });
}

function predictDrawing(): void {
  const prediction = $('prediction');
  const note = $('prediction-note');
  const { ink, width, height } = pad.ink();
  const pixels = pad.isEmpty ? null : preprocessDigit(ink, width, height);
  drawDigit($<HTMLCanvasElement>('seen'), pixels ?? new Uint8Array(INPUT));
  const usable = model && imageMode() && model.spec.layers[0] === INPUT;
  if (!pixels || !usable) {
    bars.show(null);
    activations.show(null);
    prediction.textContent = '?';
    prediction.dataset.digit = '';
    note.textContent = usable ? 'Draw a digit on the dark square.' : 'Train a network, or load one, to read your digits.';
    return;
  }
  const probabilities = model!.probabilities(pixels);
  const digit = argmax(probabilities);
  bars.show(probabilities);
  activations.show(model!.hiddenOutputs(pixels));
  prediction.textContent = String(digit);
  prediction.dataset.digit = String(digit);
  note.textContent = `${(probabilities[digit] * 100).toFixed(1)}% sure${state === 'training' ? ', and still learning' : ''}.`;
}

// ---- Test-set views ----

async function showAnalysis(spec: ModelSpec, params: Float32Array, pause: () => Promise<void>): Promise<TestAnalysis> {
  const analysis = await analyseTestSet(spec, params, mnist!.test, pause);
  renderConfusion($('confusion'), analysis);
  const wrong = renderMistakes($('mistakes'), analysis, mnist!.test);
  $('mistake-count').textContent = `(${number(wrong)} of ${number(analysis.count)})`;
  return analysis;
}

function clearResults(): void {
  for (const stat of Object.values(stats)) {
    stat.textContent = '–';
    for (const key of Object.keys(stat.dataset)) delete stat.dataset[key];
  }
  $('stat-loss-first').textContent = '';
  $('confusion').replaceChildren(Object.assign(document.createElement('p'), { className: 'note', textContent: 'Appears when an epoch ends.' }));
  for (const key of ['correct', 'total']) delete $('confusion').dataset[key];
  $('mistakes').replaceChildren();
  delete $('mistakes').dataset.count;
  $('mistake-count').textContent = '';
  weights.clear();
}

// ---- Runs ----

/** Redraws the charts, the legend and the table of runs, once per animation frame however often it is asked. */
function showRuns(): void {
  if (runsQueued) return;
  runsQueued = true;
  requestAnimationFrame(() => {
    runsQueued = false;
    drawRuns();
  });
}
let runsQueued = false;

function drawRuns(): void {
  charts.show(runs.visible);
  renderLegend($('run-legend'), runs.runs);
  renderRunTable($('run-rows'), runs.runs, {
    toggle: (run) => {
      run.hidden = !run.hidden;
      showRuns();
    },
    remove: (run) => {
      runs.remove(run.id);
      showRuns();
    },
  });
}

/** The run's data as the trainer takes it, and the model for it (a table's classes and columns come from the file). */
function prepare(settings: Settings): { data: TrainData; spec: ModelSpec } {
  const options = { activation: settings.activation, loss: settings.loss, labelSmoothing: settings.labelSmoothing };
  if (!table || !tableSets) return { data: mnist!, spec: makeSpec([INPUT, ...settings.hidden, CLASSES], options) };
  const sets = tableSets;
  const spec = makeSpec([sets.inputs, ...settings.hidden, sets.outputs], { ...options, task: table.task, data: sets.description });
  return { data: { train: sets.train, test: sets.test }, spec };
}

async function backendFor(settings: Settings): Promise<Backend> {
  if (settings.backend === 'cpu') return cpuBackend;
  gpuBackend ??= await openBackend('webgpu');
  return gpuBackend;
}

/** The library's message for a problem the person can fix, with the page's names for its settings. */
const described = (error: unknown) => (error instanceof UserError ? capitalise(error.worded(pageLabel)) : (error as Error).message);

const views: Views = {
  get everyEpoch() {
    return imageMode();
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
    if (state === 'training') setState('training', `Training run #${run.id}: epoch ${p.epoch} of ${p.epochs}, step ${number(p.step)} of ${number(p.stepsPerEpoch)}.`);
    charts.show(runs.visible);
  },
  epoch(_run, record) {
    const accuracy = record.testAccuracy;
    stats.accuracy.textContent = accuracy === undefined ? `R² ${record.testR2!.toFixed(3)}` : percent(accuracy);
    stats.accuracy.dataset.value = String(accuracy ?? record.testR2);
    stats.accuracy.dataset.epoch = String(record.epoch);
    const train = trainAccuracyOf(record);
    stats.trainAccuracy.textContent = train === undefined ? '–' : percent(train);
    if (train !== undefined) stats.trainAccuracy.dataset.value = String(train);
    showRuns();
  },
  async params(run, params, epoch, gate) {
    const spec = runSpec!;
    setModel(new Predictor(spec, params), `Training ${spec.layers.join('-')}: ${imageMode() ? 'the pad reads with the latest weights' : 'Save model takes the latest weights'}.`);
    if (WeightImages.fits(spec)) weights.show(spec, params, epoch ? epoch.epoch : null);
    if (epoch && imageMode()) {
      if (state === 'training') setState('training', `Run #${run.id}, epoch ${epoch.epoch} done: ${percent(epoch.testAccuracy!)} of the test digits right. Sorting out the mistakes…`);
      await showAnalysis(spec, params, gate);
    }
  },
};

async function start(): Promise<void> {
  if (!mnist || state === 'training' || state === 'paused') return;
  const parsed = parseSettings(form.read(), table ? trainRowsOf(table.table) : mnist.train.count, table ? 'table' : 'mnist');
  showError('form-error', parsed.ok ? null : parsed.error);
  if (!parsed.ok) return;
  const settings = parsed.value;
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare(settings);
  } catch (error) {
    showError('form-error', described(error));
    return;
  }
  const { spec, data } = prepared;
  setState('training', 'Preparing the network…');
  if (current) {
    await current.done; // a stopped run may still be finishing its last chunk
    if ((state as State) !== 'training') return; // Reset was pressed meanwhile (TS cannot see the await change it)
  }
  const control = new RunControl(() => {
    if (state !== 'paused') return;
    const status = $('status');
    status.dataset.halted = 'true';
    status.textContent = `Paused at epoch ${stats.epoch.textContent?.split(' ')[0]}, step ${stats.step.textContent?.split(' ')[0]}. Resume to go on, or Reset to start over.`;
  });
  let finish!: () => void;
  current = { control, done: new Promise((resolve) => (finish = resolve)) };
  clearResults();
  runSpec = spec;
  setModel(null, 'Training…');
  const run = runs.add(settings, dataContext(), spec.layers, `${location.pathname}${settingsQuery(settings, dataContext())}`);
  showRuns();
  const timer = setInterval(() => (stats.time.textContent = `${control.activeSeconds.toFixed(1)} s`), 250);
  try {
    const backend = await backendFor(settings);
    showAdapter(backend.kind === 'webgpu' ? 'webgpu' : 'cpu', backend.kind === 'webgpu' ? `WebGPU · ${gpuAdapter}` : backend.device);
    const params = await trainRun(run, backend, spec, data, control, views);
    if (params) {
      const last = run.history[run.history.length - 1];
      const result = last.testAccuracy === undefined ? `test R² ${last.testR2!.toFixed(3)}` : `${percent(last.testAccuracy)} on the test set`;
      setModel(new Predictor(spec, params), `Trained ${spec.layers.join('-')} for ${settings.epochs} epoch${settings.epochs > 1 ? 's' : ''}: ${result}.`);
      if (WeightImages.fits(spec)) weights.show(spec, params, null);
      const what = last.testAccuracy === undefined ? result : `${percent(last.testAccuracy)} of ${number(data.test.count)} test ${imageMode() ? 'digits' : 'rows'} right`;
      setState('done', `Run #${run.id} done in ${control.activeSeconds.toFixed(1)} s: ${what}.${imageMode() ? ' Draw one!' : ''}`);
    }
  } catch (error) {
    if (!control.stopped) {
      if (!(error instanceof UserError)) console.error(error);
      if (settings.backend === 'webgpu' && !(error instanceof UserError)) {
        // The device may be lost or broken: open a fresh one next time.
        gpuBackend?.dispose();
        gpuBackend = null;
      }
      setModel(model, model ? 'The weights from before the failure.' : 'No model yet.');
      const hint = settings.backend === 'webgpu' && !(error instanceof UserError) ? ' The CPU backend trains without the GPU.' : '';
      setState('error', `Training failed: ${described(error)}${hint}`);
    }
  } finally {
    clearInterval(timer);
    if (!control.stopped) stats.time.textContent = `${control.activeSeconds.toFixed(1)} s`;
    // Every buffer of the run is destroyed with its session: the count the Node tests keep, shown for the e2e test.
    const live = liveGpuBuffers(gpuBackend);
    if (live !== null) $('adapter').dataset.buffersAfterRuns = [$('adapter').dataset.buffersAfterRuns, live].filter((v) => v !== undefined).join(',');
    showRuns();
    finish();
  }
}

function togglePause(): void {
  if (!current) return;
  const { control } = current;
  if (control.paused) {
    control.resume();
    setState('training', 'Training resumed.');
  } else {
    control.pause();
    setState('paused', 'Pausing after the steps in flight…');
  }
}

function reset(): void {
  current?.control.stop();
  clearResults();
  setModel(null, 'No model yet.');
  showArchitecture();
  showError('form-error', null);
  if (gpuAdapter) showAdapter('webgpu', `WebGPU · ${gpuAdapter}`);
  setState('ready', 'Ready. Choose the settings and press Start.');
}

// ---- Model files ----

function save(): void {
  if (!model) return;
  const bytes = encodeModel(model.spec, model.params);
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const name = model.spec.data ? 'table' : 'mnist';
  const link = Object.assign(document.createElement('a'), { href: url, download: `${name}-${model.spec.layers.join('-')}.safetensors` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function load(file: File): Promise<void> {
  const status = $('model-status');
  try {
    const { spec, params } = decodeModel(new Uint8Array(await file.arrayBuffer()), file.name);
    const { layers } = spec;
    if (layers[0] !== INPUT || layers[layers.length - 1] !== CLASSES) {
      throw new Error(`${file.name}: the model takes ${layers[0]} inputs and gives ${layers[layers.length - 1]} outputs; an MNIST model takes ${INPUT} pixels and gives ${CLASSES} digits`);
    }
    if (current) {
      current.control.stop();
      await current.done;
    }
    useMnist();
    clearResults();
    form.hidden.value = layers.slice(1, -1).join(', ');
    showArchitecture();
    setModel(new Predictor(spec, params), `Loaded ${file.name} (${layers.join('-')}). Checking it on the test set…`);
    if (WeightImages.fits(spec)) weights.show(spec, params, null);
    setState('ready', `Loaded ${file.name}.`);
    const analysis = await showAnalysis(spec, params, nextTask);
    const accuracy = analysis.correct / analysis.count;
    stats.accuracy.textContent = percent(accuracy);
    stats.accuracy.dataset.value = String(accuracy);
    status.textContent = `Loaded ${file.name} (${layers.join('-')}): ${percent(accuracy)} of ${number(analysis.count)} test digits right.`;
    status.dataset.loaded = file.name;
  } catch (error) {
    status.textContent = `Could not load the model: ${(error as Error).message}`;
  }
}

// ---- Data: MNIST or a table ----

function showDataMode(): void {
  const image = imageMode();
  // The pad, the weight images and the test digits need 28x28 images: a table has none.
  for (const id of ['draw', 'inside', 'results']) $(id).hidden = !image;
  $('table-options').hidden = image;
  if (image && mnist) {
    const limited = mnist.train.count < mnist.fullTrain || mnist.test.count < mnist.fullTest;
    $('data-note').textContent = limited
      ? `MNIST, limited by the page's address: the first ${number(mnist.train.count)} of ${number(mnist.fullTrain)} training digits and ${number(mnist.test.count)} of ${number(mnist.fullTest)} test digits.`
      : `MNIST: ${number(mnist.train.count)} training digits, ${number(mnist.test.count)} test digits.`;
  }
  if (table) {
    const rows = table.table.cells.rows;
    $('data-note').textContent = `${table.table.file}: ${number(rows)} rows of ${table.table.columns.length} columns; ${number(trainRowsOf(table.table))} train, the other ${number(rows - trainRowsOf(table.table))} (a seeded 20%) test, as the CLI splits it.`;
    $('table-note').textContent = `Features: ${featuresFor(table.table, table.target, table.task).join(', ')}.`;
  }
  form.setData(dataContext());
}

function useMnist(): void {
  if (!table) return;
  table = null;
  tableSets = null;
  showDataMode();
  form.fill({});
  settingsChanged();
}

/** Checks a table choice with the library (the target's column, its classes): a problem is shown, not trained on. */
function chooseTable(choice: TableChoice): void {
  let sets: TableData;
  try {
    sets = tableData(choice);
    showError('table-error', null);
  } catch (error) {
    showError('table-error', described(error));
    if (!(error instanceof UserError)) throw error;
    return;
  }
  const first = table === null || table.table !== choice.table || table.task !== choice.task;
  table = choice;
  tableSets = sets;
  showDataMode();
  if (first) form.fill({}); // the CLI's defaults for this table
  settingsChanged();
}

async function useTableFile(file: File): Promise<void> {
  if (state === 'training' || state === 'paused') return;
  try {
    const csv = await readTableFile(file);
    const target = $<HTMLSelectElement>('target');
    target.replaceChildren(...csv.columns.map((name) => Object.assign(document.createElement('option'), { value: name, textContent: name })));
    target.value = csv.columns[csv.columns.length - 1];
    $<HTMLSelectElement>('task').value = 'classification';
    chooseTable({ table: csv, target: target.value, task: 'classification' });
  } catch (error) {
    showError('table-error', described(error));
  }
}

// ---- Start-up ----

function wire(): void {
  $<HTMLFormElement>('settings').addEventListener('submit', (event) => {
    event.preventDefault();
    void start();
  });
  buttons.pause.addEventListener('click', togglePause);
  buttons.reset.addEventListener('click', reset);
  buttons.save.addEventListener('click', save);
  $('clear').addEventListener('click', () => pad.clear());
  $('clear-runs').addEventListener('click', () => {
    runs.clear();
    showRuns();
  });
  input('load').addEventListener('change', () => {
    const file = input('load').files?.[0];
    if (file) void load(file);
    input('load').value = '';
  });
  input('csv-file').addEventListener('change', () => {
    const file = input('csv-file').files?.[0];
    if (file) void useTableFile(file);
    input('csv-file').value = '';
  });
  // A file dropped anywhere on the page; the drop zone lights up while one is dragged over.
  document.addEventListener('dragover', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    $('drop-zone').dataset.over = 'true';
  });
  document.addEventListener('dragleave', () => ($('drop-zone').dataset.over = 'false'));
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    $('drop-zone').dataset.over = 'false';
    const file = event.dataTransfer?.files[0];
    if (file) void useTableFile(file);
  });
  const reChoose = () => table && chooseTable({ table: table.table, target: $<HTMLSelectElement>('target').value, task: $<HTMLSelectElement>('task').value as TableChoice['task'] });
  $('target').addEventListener('change', reChoose);
  $('task').addEventListener('change', reChoose);
  $('use-mnist').addEventListener('click', useMnist);
  $('use-cpu').addEventListener('click', () => {
    form.backend.value = 'cpu';
    $<HTMLFormElement>('settings').requestSubmit();
  });
}

async function main(): Promise<void> {
  const url = new URLSearchParams(location.search);
  const fromUrl = settingsFromUrl(url);
  wire();
  predictDrawing();
  showRuns();
  setState('loading', 'Loading MNIST…');

  const gpuCheck = checkWebGpu();
  const loading = loadMnist(limitsFromUrl(url), (mb) => {
    if (state === 'loading') $('status').textContent = `Loading MNIST… ${mb.toFixed(1)} MB`;
  });

  const gpu = await gpuCheck;
  form.backend.querySelector<HTMLOptionElement>('option[value="webgpu"]')!.disabled = !gpu.ok;
  if (gpu.ok) {
    gpuAdapter = gpu.adapter;
    showAdapter('webgpu', `WebGPU · ${gpu.adapter}`);
  } else {
    showAdapter('none', 'No WebGPU here: CPU only');
    $('notice-headline').textContent = gpu.headline;
    $('notice-detail').textContent = gpu.detail;
    $('notice').hidden = false;
  }

  try {
    mnist = await loading;
  } catch (error) {
    setState('error', `Could not load MNIST: ${(error as Error).message}`);
    buttons.start.disabled = true;
    return;
  }
  showDataMode();
  form.fill({ ...fromUrl, backend: gpu.ok && fromUrl.backend !== 'cpu' ? 'webgpu' : 'cpu' });
  settingsChanged();
  setState('ready', 'Ready. Choose the settings and press Start.');
}

void main();
