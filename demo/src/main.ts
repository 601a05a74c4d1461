/// <reference types="vite/client" />
/**
 * The demo page: loads MNIST, trains with src/train's trainer on WebGPU (or the CPU reference), charts the run,
 * reads drawn digits, and saves and loads model files. What a person sees is also in the DOM as data attributes
 * (the status's data-state, the loss's data-first/data-last, the accuracy's data-value, the prediction's data-digit),
 * which the end-to-end test (test/e2e.test.ts) reads.
 */
import './style.css';
import { preprocessDigit } from '../../src/data/digit.js';
import {
  CpuBackend, decodeModel, encodeModel, makeSpec, paramTable, train, type Backend, type EpochRecord, type ModelSpec, type TrainingSession,
} from '../../src/lower.js';
import { checkWebGpu, openBackend, stepsPerChunk } from './backends.js';
import { EpochChart, LossChart } from './charts.js';
import { type DemoData, loadMnist } from './data.js';
import { DrawingPad } from './draw.js';
import { analyseTestSet, argmax, Predictor, type TestAnalysis } from './predict.js';
import { RunControl, Stopped, nextTask } from './run-control.js';
import { DEFAULT_SETTINGS, limitsFromUrl, parseHidden, parseSettings, type Settings, settingsFromUrl } from './settings.js';
import { drawDigit, ProbabilityBars, renderConfusion, renderMistakes } from './views.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
};
const input = (id: string) => $<HTMLInputElement>(id);
const fields = { hidden: input('hidden'), batch: input('batch'), learningRate: input('lr'), epochs: input('epochs'), seed: input('seed'), backend: $<HTMLSelectElement>('backend') };
const buttons = { start: $<HTMLButtonElement>('start'), pause: $<HTMLButtonElement>('pause'), reset: $<HTMLButtonElement>('reset'), save: $<HTMLButtonElement>('save') };
const stats = { epoch: $('stat-epoch'), step: $('stat-step'), loss: $('stat-loss'), accuracy: $('stat-accuracy'), speed: $('stat-speed'), time: $('stat-time') };
const INPUT = 784;
const CLASSES = 10;

type State = 'loading' | 'ready' | 'training' | 'paused' | 'done' | 'error';

const lossChart = new LossChart($('loss-chart'));
const epochChart = new EpochChart($('epoch-chart'));
const bars = new ProbabilityBars($('probabilities'));
const pad = new DrawingPad($<HTMLCanvasElement>('pad'), () => schedulePrediction());
const cpuBackend = new CpuBackend();

let data: DemoData | null = null;
let gpuAdapter: string | null = null;
let gpuBackend: Backend | null = null;
let model: Predictor | null = null;
let run: { control: RunControl; done: Promise<void> } | null = null;
let state: State = 'loading';

const number = (n: number) => n.toLocaleString('en-US');
const percent = (x: number) => `${(x * 100).toFixed(2)}%`;

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
  for (const field of Object.values(fields)) field.disabled = busy;
  input('load').disabled = busy;
}

function showFormError(message: string | null): void {
  const box = $('form-error');
  box.hidden = message === null;
  box.textContent = message ?? '';
}

function showAdapter(kind: 'webgpu' | 'cpu' | 'none' | 'checking', text: string): void {
  const badge = $('adapter');
  badge.dataset.kind = kind;
  badge.textContent = text;
  badge.title = text;
}

/** "784 → 128 → 10 · 101,770 parameters", updated as the hidden layers are typed. */
function showArchitecture(): void {
  const hidden = parseHidden(fields.hidden.value);
  const line = $('architecture');
  if (!hidden.ok) {
    line.textContent = 'widths like 128, or 256, 128';
    return;
  }
  const layers = [INPUT, ...hidden.value, CLASSES];
  line.textContent = `${layers.join(' → ')} · ${number(paramTable(makeSpec(layers)).total)} parameters`;
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
  const seen = $<HTMLCanvasElement>('seen');
  const prediction = $('prediction');
  const note = $('prediction-note');
  const { ink, width, height } = pad.ink();
  const pixels = pad.isEmpty ? null : preprocessDigit(ink, width, height);
  drawDigit(seen, pixels ?? new Uint8Array(INPUT));
  if (!pixels || !model) {
    bars.show(null);
    prediction.textContent = '?';
    prediction.dataset.digit = '';
    note.textContent = model ? 'Draw a digit on the dark square.' : 'Train a network, or load one, to read your digits.';
    return;
  }
  const probabilities = model.probabilities(pixels);
  const digit = argmax(probabilities);
  bars.show(probabilities);
  prediction.textContent = String(digit);
  prediction.dataset.digit = String(digit);
  note.textContent = `${(probabilities[digit] * 100).toFixed(1)}% sure${state === 'training' ? ', and still learning' : ''}.`;
}

// ---- Test-set views ----

async function showAnalysis(spec: ModelSpec, params: Float32Array, pause: () => Promise<void>): Promise<TestAnalysis> {
  const analysis = await analyseTestSet(spec, params, data!.test, pause);
  renderConfusion($('confusion'), analysis);
  const wrong = renderMistakes($('mistakes'), analysis, data!.test);
  $('mistake-count').textContent = `(${number(wrong)} of ${number(analysis.count)})`;
  return analysis;
}

function clearResults(): void {
  lossChart.clear();
  epochChart.clear();
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
}

// ---- Training ----

function readSettings(): Settings | null {
  const parsed = parseSettings({
    hidden: fields.hidden.value, batch: fields.batch.value, learningRate: fields.learningRate.value,
    epochs: fields.epochs.value, seed: fields.seed.value, backend: fields.backend.value,
  }, data!.train.count);
  showFormError(parsed.ok ? null : parsed.error);
  return parsed.ok ? parsed.value : null;
}

async function backendFor(settings: Settings): Promise<Backend> {
  if (settings.backend === 'cpu') return cpuBackend;
  gpuBackend ??= await openBackend('webgpu');
  return gpuBackend;
}

async function start(): Promise<void> {
  if (!data || state === 'training' || state === 'paused') return;
  const settings = readSettings();
  if (!settings) return;
  setState('training', 'Preparing the network…');
  if (run) {
    await run.done; // a stopped run may still be finishing its last chunk
    if ((state as State) !== 'training') return; // Reset was pressed meanwhile (TS cannot see the await change it)
  }
  const live = { epoch: 1, step: 0, first: NaN, speed: 0, pendingEpoch: null as EpochRecord | null, lastRead: performance.now() };
  const control = new RunControl(() => {
    if (state !== 'paused') return;
    const status = $('status');
    status.dataset.halted = 'true';
    status.textContent = `Paused at epoch ${live.epoch}, step ${number(live.step)}. Resume to go on, or Reset to start over.`;
  });
  let finish!: () => void;
  run = { control, done: new Promise((resolve) => (finish = resolve)) };
  clearResults();
  setModel(null, 'Training…');
  epochChart.plan(settings.epochs);
  const spec = makeSpec([INPUT, ...settings.hidden, CLASSES]);
  const timer = setInterval(() => (stats.time.textContent = `${control.activeSeconds.toFixed(1)} s`), 250);
  try {
    const backend = await backendFor(settings);
    showAdapter(backend.kind === 'webgpu' ? 'webgpu' : 'cpu', backend.kind === 'webgpu' ? `WebGPU · ${gpuAdapter}` : backend.device);
    const logEvery = stepsPerChunk(backend, spec, settings.batch, data.train.count);
    const result = await train(backend, spec, data, {
      epochs: settings.epochs, batch: settings.batch, learningRate: settings.learningRate, seed: settings.seed, logEvery,
    }, {
      onProgress: (p) => {
        if (control.stopped) return;
        const global = (p.epoch - 1) * p.stepsPerEpoch + p.step;
        live.epoch = p.epoch;
        live.step = p.step;
        lossChart.addTraining(global, p.loss);
        if (Number.isNaN(live.first)) live.first = p.loss;
        stats.loss.textContent = p.loss.toFixed(3);
        $('stat-loss-first').textContent = `from ${live.first.toFixed(3)}`;
        stats.loss.dataset.first = String(live.first);
        stats.loss.dataset.last = String(p.loss);
        stats.epoch.textContent = `${p.epoch} / ${p.epochs}`;
        stats.step.textContent = `${number(p.step)} / ${number(p.stepsPerEpoch)}`;
        // Smoothed over a few chunks: single chunks jitter with the browser's other work.
        live.speed = live.speed ? 0.7 * live.speed + 0.3 * p.samplesPerSecond : p.samplesPerSecond;
        stats.speed.textContent = number(Math.round(live.speed));
        stats.speed.dataset.value = String(live.speed);
        if (!control.paused) setState('training', `Training: epoch ${p.epoch} of ${p.epochs}, step ${number(p.step)} of ${number(p.stepsPerEpoch)}.`);
      },
      onEpoch: (record) => {
        if (control.stopped) return;
        const stepsPerEpoch = Math.floor(data!.train.count / settings.batch);
        lossChart.addTest(record.epoch * stepsPerEpoch, record.testLoss);
        epochChart.add(record.epoch, record.testAccuracy!, record.testLoss, record.trainLoss);
        stats.accuracy.textContent = percent(record.testAccuracy!);
        stats.accuracy.dataset.value = String(record.testAccuracy!);
        stats.accuracy.dataset.epoch = String(record.epoch);
        live.pendingEpoch = record;
      },
      yieldPoint: async (session: TrainingSession) => {
        // Fresh parameters for the drawing pad about once a second, and for the test-set views after each epoch.
        if (live.pendingEpoch || performance.now() - live.lastRead > 1000) {
          const params = await session.readParams();
          live.lastRead = performance.now();
          if (control.stopped) throw new Stopped();
          setModel(new Predictor(spec, params), `Training ${spec.layers.join('-')}: the pad reads with the latest weights.`);
          const epoch = live.pendingEpoch;
          if (epoch) {
            live.pendingEpoch = null;
            if (!control.paused) setState('training', `Epoch ${epoch.epoch} done: ${percent(epoch.testAccuracy!)} of the test digits right. Sorting out the mistakes…`);
            await showAnalysis(spec, params, () => control.gate());
          }
        }
        await control.gate();
      },
    });
    const last = result.history[result.history.length - 1];
    setModel(new Predictor(spec, result.params), `Trained ${spec.layers.join('-')} for ${settings.epochs} epoch${settings.epochs > 1 ? 's' : ''}: ${percent(last.testAccuracy!)} on the test set.`);
    setState('done', `Done in ${control.activeSeconds.toFixed(1)} s: ${percent(last.testAccuracy!)} of ${number(data.test.count)} test digits right. Draw one!`);
  } catch (error) {
    if (!(error instanceof Stopped) && !control.stopped) {
      console.error(error);
      if (settings.backend === 'webgpu') {
        // The device may be lost or broken: open a fresh one next time.
        gpuBackend?.dispose();
        gpuBackend = null;
      }
      setModel(model, model ? 'The weights from before the failure.' : 'No model yet.');
      const hint = settings.backend === 'webgpu' ? ' The CPU backend trains without the GPU.' : '';
      setState('error', `Training failed: ${(error as Error).message}${hint}`);
    }
  } finally {
    clearInterval(timer);
    if (!control.stopped) stats.time.textContent = `${control.activeSeconds.toFixed(1)} s`;
    finish();
  }
}

function togglePause(): void {
  if (!run) return;
  const { control } = run;
  if (control.paused) {
    control.resume();
    setState('training', 'Training resumed.');
  } else {
    control.pause();
    setState('paused', 'Pausing after the steps in flight…');
  }
}

function reset(): void {
  run?.control.stop();
  clearResults();
  setModel(null, 'No model yet.');
  showArchitecture();
  showFormError(null);
  if (gpuAdapter) showAdapter('webgpu', `WebGPU · ${gpuAdapter}`);
  setState('ready', 'Ready. Choose the settings and press Start.');
}

// ---- Model files ----

function save(): void {
  if (!model) return;
  const bytes = encodeModel(model.spec, model.params);
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: `mnist-${model.spec.layers.join('-')}.safetensors` });
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
    if (run) {
      run.control.stop();
      await run.done;
    }
    clearResults();
    fields.hidden.value = layers.slice(1, -1).join(', ');
    showArchitecture();
    setModel(new Predictor(spec, params), `Loaded ${file.name} (${layers.join('-')}). Checking it on the test set…`);
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
  fields.hidden.addEventListener('input', showArchitecture);
  input('load').addEventListener('change', () => {
    const file = input('load').files?.[0];
    if (file) void load(file);
    input('load').value = '';
  });
  $('use-cpu').addEventListener('click', () => {
    fields.backend.value = 'cpu';
    $<HTMLFormElement>('settings').requestSubmit();
  });
}

async function main(): Promise<void> {
  const url = new URLSearchParams(location.search);
  const fromUrl = { ...settingsFromUrl(url) };
  fields.hidden.value = fromUrl.hidden ?? DEFAULT_SETTINGS.hidden.join(', ');
  fields.batch.value = fromUrl.batch ?? String(DEFAULT_SETTINGS.batch);
  fields.learningRate.value = fromUrl.learningRate ?? String(DEFAULT_SETTINGS.learningRate);
  fields.epochs.value = fromUrl.epochs ?? String(DEFAULT_SETTINGS.epochs);
  fields.seed.value = fromUrl.seed ?? String(DEFAULT_SETTINGS.seed);
  showArchitecture();
  wire();
  predictDrawing();
  setState('loading', 'Loading MNIST…');

  const gpuCheck = checkWebGpu();
  const loading = loadMnist(limitsFromUrl(url), (mb) => {
    if (state === 'loading') $('status').textContent = `Loading MNIST… ${mb.toFixed(1)} MB`;
  });

  const gpu = await gpuCheck;
  fields.backend.querySelector<HTMLOptionElement>('option[value="webgpu"]')!.disabled = !gpu.ok;
  if (gpu.ok) {
    gpuAdapter = gpu.adapter;
    showAdapter('webgpu', `WebGPU · ${gpu.adapter}`);
    fields.backend.value = fromUrl.backend === 'cpu' ? 'cpu' : 'webgpu';
  } else {
    showAdapter('none', 'No WebGPU here: CPU only');
    $('notice-headline').textContent = gpu.headline;
    $('notice-detail').textContent = gpu.detail;
    $('notice').hidden = false;
    fields.backend.value = 'cpu';
  }

  try {
    data = await loading;
  } catch (error) {
    setState('error', `Could not load MNIST: ${(error as Error).message}`);
    buttons.start.disabled = true;
    return;
  }
  const limited = data.train.count < data.fullTrain || data.test.count < data.fullTest;
  $('data-note').textContent = limited
    ? `MNIST, limited by the page's address: the first ${number(data.train.count)} of ${number(data.fullTrain)} training digits and ${number(data.test.count)} of ${number(data.fullTest)} test digits.`
    : `MNIST: ${number(data.train.count)} training digits, ${number(data.test.count)} test digits.`;
  setState('ready', 'Ready. Choose the settings and press Start.');
}

void main();
