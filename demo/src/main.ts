/// <reference types="vite/client" />
/**
 * The demo page: loads MNIST (or a table dropped on the page), trains an MLP on WebGPU (or the CPU reference) with
 * every training setting the library has, keeps each run on the charts and in the table of runs to compare, shows
 * the first layer's weights and the hidden layers' outputs, reads drawn digits, and saves and loads model files.
 * What a person sees is also in the DOM as data attributes (the status's data-state, the loss's data-first and
 * data-last, the accuracy's data-value, the prediction's data-digit, the charts' data-curves, the runs' rows), which
 * the end-to-end test (test/e2e.test.ts) reads. This file wires the page; page.ts holds its state.
 */
import './style.css';
import { checkWebGpu } from './backends.js';
import { RunCharts } from './charts.js';
import { loadMnist } from './data.js';
import { chooseTable, settingsChanged, showDataMode, useMnist, useTableFile } from './data-mode.js';
import { DrawingPad } from './draw.js';
import { predictDrawing } from './drawing.js';
import { SettingsForm } from './form.js';
import { ActivationView, WeightImages } from './inside.js';
import { load, save } from './model-files.js';
import { $, Page } from './page.js';
import { RaceForm, startRace, stopRace } from './race.js';
import { reset, start, togglePause } from './run-actions.js';
import { RunList } from './runs.js';
import { limitsFromUrl, settingsFromUrl } from './settings.js';
import type { TableChoice } from './table-data.js';
import { ProbabilityBars } from './views.js';

const page: Page = new Page(
  {
    form: new SettingsForm($<HTMLFormElement>('settings'), $('more-settings'), () => settingsChanged(page)),
    charts: new RunCharts($('loss-chart'), $('epoch-chart')),
    runs: new RunList(),
    weights: new WeightImages($<HTMLCanvasElement>('weights')),
    activations: new ActivationView($<HTMLCanvasElement>('activations')),
    bars: new ProbabilityBars($('probabilities')),
    pad: new DrawingPad($<HTMLCanvasElement>('pad'), () => page.schedulePrediction()),
  },
  predictDrawing,
);

const race = new RaceForm(page);
page.onSettingsChanged = () => race.refresh();

/** The file an input was given, once: the input is emptied so the same file can be given again. */
function onFile(id: string, use: (file: File) => void): void {
  const input = $<HTMLInputElement>(id);
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) use(file);
    input.value = '';
  });
}

function wire(): void {
  $<HTMLFormElement>('settings').addEventListener('submit', (event) => {
    event.preventDefault();
    void start(page);
  });
  page.buttons.pause.addEventListener('click', () => togglePause(page));
  page.buttons.reset.addEventListener('click', () => reset(page));
  page.buttons.race.addEventListener('click', () => void startRace(page, race));
  page.buttons.stopRace.addEventListener('click', () => stopRace(page));
  page.buttons.save.addEventListener('click', () => void save(page));
  $('clear').addEventListener('click', () => page.widgets.pad.clear());
  $('clear-runs').addEventListener('click', () => {
    page.widgets.runs.clear();
    page.showRuns();
  });
  onFile('load', (file) => void load(page, file));
  onFile('csv-file', (file) => void useTableFile(page, file));
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
    if (file) void useTableFile(page, file);
  });
  const reChoose = () =>
    page.table &&
    chooseTable(page, {
      table: page.table.table,
      target: $<HTMLSelectElement>('target').value,
      task: $<HTMLSelectElement>('task').value as TableChoice['task'],
    });
  $('target').addEventListener('change', reChoose);
  $('task').addEventListener('change', reChoose);
  $('use-mnist').addEventListener('click', () => useMnist(page));
  $('use-cpu').addEventListener('click', () => {
    page.widgets.form.backend.value = 'wasm';
    $<HTMLFormElement>('settings').requestSubmit();
  });
}

async function main(): Promise<void> {
  const url = new URLSearchParams(location.search);
  const fromUrl = settingsFromUrl(url);
  wire();
  predictDrawing(page);
  page.showRuns();
  page.setState('loading', 'Loading MNIST…');

  const gpuCheck = checkWebGpu();
  const loading = loadMnist(limitsFromUrl(url), (mb) => {
    if (page.state === 'loading') $('status').textContent = `Loading MNIST… ${mb.toFixed(1)} MB`;
  });

  const gpu = await gpuCheck;
  page.widgets.form.backend.querySelector<HTMLOptionElement>('option[value="webgpu"]')!.disabled = !gpu.ok;
  if (gpu.ok) {
    page.gpuAdapter = gpu.adapter;
    page.showAdapter('webgpu', `WebGPU · ${gpu.adapter}`);
  } else {
    page.showAdapter('none', 'No WebGPU here: CPU only');
    $('notice-headline').textContent = gpu.headline;
    $('notice-detail').textContent = gpu.detail;
    $('notice').hidden = false;
  }

  try {
    page.mnist = await loading;
  } catch (error) {
    page.setState('error', `Could not load MNIST: ${(error as Error).message}`);
    page.buttons.start.disabled = true;
    return;
  }
  showDataMode(page);
  const cpu = fromUrl.backend === 'cpu' ? 'cpu' : 'wasm';
  page.widgets.form.fill({ ...fromUrl, backend: gpu.ok && fromUrl.backend !== cpu ? 'webgpu' : cpu });
  settingsChanged(page);
  page.setState('ready', 'Ready. Choose the settings and press Start.');
}

void main();
