/**
 * The page's state, in one object: the data it trains on, the GPU it shares between runs, the model it shows, the
 * run in progress and the status line; and the widgets and status lines that show them.
 */
import type { MLP } from '../../src/index.js';
import type { Gpu } from '../../src/lower.js';
import type { RunCharts } from './charts.js';
import type { DemoData } from './data.js';
import type { DrawingPad } from './draw.js';
import type { SettingsForm } from './form.js';
import type { ActivationView, WeightImages } from './inside.js';
import type { Predictor } from './predict.js';
import type { RunControl } from './run-control.js';
import { renderLegend, renderRunTable } from './run-table.js';
import type { RunList } from './runs.js';
import type { DataContext } from './settings.js';
import { type TableChoice, type TableData, trainRowsOf } from './table-data.js';
import type { ProbabilityBars } from './views.js';

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
};

/** 'racing': a race (race.ts) trains several models at once; it stops, but does not pause. */
export type State = 'loading' | 'ready' | 'training' | 'paused' | 'racing' | 'done' | 'error';

/** MNIST's digits: 28x28 pixels, 10 classes. */
export const INPUT = 784;
export const CLASSES = 10;

export const number = (n: number) => n.toLocaleString('en-US');
export const percent = (x: number) => `${(x * 100).toFixed(2)}%`;

export interface Widgets {
  form: SettingsForm;
  charts: RunCharts;
  runs: RunList;
  weights: WeightImages;
  activations: ActivationView;
  bars: ProbabilityBars;
  pad: DrawingPad;
}

/** The model the page shows: one to read drawn digits with (images only), and one to save. */
export interface ShownModel {
  predictor: Predictor | null;
  /** The model file's bytes: the finished or loaded model's, or the weights of the run so far. */
  bytes: () => Promise<Uint8Array>;
  /** Names the download: "mnist-784-128-10". */
  name: string;
}

export class Page {
  state: State = 'loading';
  mnist: DemoData | null = null;
  /** A table the person gave the page, with the target and task chosen for it; null while training on MNIST. */
  table: TableChoice | null = null;
  /** The table's training and test sets for that choice, read once when it is made. */
  tableSets: TableData | null = null;
  /** The adapter's name, and the device every WebGPU run shares (its kernels compile once per run's backend). */
  gpuAdapter: string | null = null;
  gpu: Gpu | null = null;
  shown: ShownModel | null = null;
  /** The last run's model or the loaded one: disposed when another replaces it. */
  model: MLP | null = null;
  current: { control: RunControl; done: Promise<void> } | null = null;
  /** Called when the form's settings or the data change (and are valid): the race offers what they allow. */
  onSettingsChanged: () => void = () => {};
  private runsQueued = false;
  private predictionQueued = false;

  readonly buttons = {
    start: $<HTMLButtonElement>('start'),
    pause: $<HTMLButtonElement>('pause'),
    reset: $<HTMLButtonElement>('reset'),
    save: $<HTMLButtonElement>('save'),
    race: $<HTMLButtonElement>('race-start'),
    stopRace: $<HTMLButtonElement>('race-stop'),
  };
  readonly stats = {
    epoch: $('stat-epoch'),
    step: $('stat-step'),
    loss: $('stat-loss'),
    accuracy: $('stat-accuracy'),
    trainAccuracy: $('stat-train-accuracy'),
    speed: $('stat-speed'),
    time: $('stat-time'),
  };

  constructor(
    readonly widgets: Widgets,
    private readonly predictDrawing: (page: Page) => void,
  ) {}

  get imageMode(): boolean {
    return this.table === null;
  }

  get busy(): boolean {
    return this.state === 'training' || this.state === 'paused' || this.state === 'racing';
  }

  setState(next: State, message: string): void {
    this.state = next;
    const status = $('status');
    status.dataset.state = next;
    delete status.dataset.halted;
    status.textContent = message;
    const { buttons } = this;
    buttons.start.disabled = this.busy || next === 'loading';
    buttons.pause.disabled = !this.busy || next === 'racing';
    buttons.race.disabled = buttons.start.disabled;
    buttons.stopRace.disabled = next !== 'racing';
    buttons.pause.textContent = next === 'paused' ? 'Resume' : 'Pause';
    buttons.reset.disabled = next === 'loading';
    this.widgets.form.disabled = this.busy;
    for (const id of [
      'load',
      'csv-file',
      'target',
      'task',
      'use-mnist',
      'race-setting',
      'race-values',
      'race-seeds',
      'race-validation',
    ])
      ($(id) as HTMLInputElement).disabled = this.busy;
  }

  showError(box: string, message: string | null): void {
    $(box).hidden = message === null;
    $(box).textContent = message ?? '';
  }

  showAdapter(kind: 'webgpu' | 'cpu' | 'wasm' | 'none' | 'checking', text: string): void {
    const badge = $('adapter');
    badge.dataset.kind = kind;
    badge.textContent = text;
    badge.title = text;
  }

  /** Shows `next` as the page's model (or none), and reads the pad with it. */
  setModel(next: ShownModel | null, description: string): void {
    this.shown = next;
    this.buttons.save.disabled = next === null;
    $('model-status').textContent = description;
    delete $('model-status').dataset.loaded;
    this.schedulePrediction();
  }

  /** Keeps `model` as the page's, disposing the one it replaces. */
  keepModel(model: MLP | null): void {
    if (this.model !== model) this.model?.dispose();
    this.model = model;
  }

  /** Where the next run's data comes from, in the terms of settings.ts. */
  dataContext(): DataContext {
    if (this.table) {
      const { table, target, task } = this.table;
      return {
        kind: 'table',
        file: table.file,
        trainRows: trainRowsOf(table),
        target,
        lastColumn: table.columns[table.columns.length - 1],
        task,
      };
    }
    const mnist = this.mnist!;
    return {
      kind: 'mnist',
      trainCount: mnist.train.count,
      fullTrain: mnist.fullTrain,
      testCount: mnist.test.count,
      fullTest: mnist.fullTest,
    };
  }

  /** The model's widths around the hidden layers: the data's inputs and its classes (or targets). */
  outerWidths(): [number, number] {
    return this.tableSets ? [this.tableSets.inputs, this.tableSets.outputs] : [INPUT, CLASSES];
  }

  /** Reads the pad again at the next animation frame, however often it is asked. */
  schedulePrediction(): void {
    if (this.predictionQueued) return;
    this.predictionQueued = true;
    requestAnimationFrame(() => {
      this.predictionQueued = false;
      this.predictDrawing(this);
    });
  }

  /** Redraws the charts, the legend and the table of runs, once per animation frame however often it is asked. */
  showRuns(): void {
    if (this.runsQueued) return;
    this.runsQueued = true;
    requestAnimationFrame(() => {
      this.runsQueued = false;
      const { charts, runs } = this.widgets;
      charts.show(runs.visible);
      renderLegend($('run-legend'), runs.runs);
      renderRunTable($('run-rows'), runs.runs, {
        toggle: (run) => {
          run.hidden = !run.hidden;
          this.showRuns();
        },
        remove: (run) => {
          runs.remove(run.id);
          this.showRuns();
        },
      });
    });
  }

  clearResults(): void {
    for (const stat of Object.values(this.stats)) {
      stat.textContent = '–';
      for (const key of Object.keys(stat.dataset)) delete stat.dataset[key];
    }
    $('stat-loss-first').textContent = '';
    const note = Object.assign(document.createElement('p'), {
      className: 'note',
      textContent: 'Appears when an epoch ends.',
    });
    $('confusion').replaceChildren(note);
    for (const key of ['correct', 'total']) delete $('confusion').dataset[key];
    $('mistakes').replaceChildren();
    delete $('mistakes').dataset.count;
    $('mistake-count').textContent = '';
    this.widgets.weights.clear();
  }
}
