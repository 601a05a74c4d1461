/**
 * The runs a page has made, kept for comparing: each run's settings, its loss after every chunk of steps and its
 * epoch records, until removed or cleared. No DOM here: charts.ts and run-table.ts draw from these, and the
 * series they draw are worked out here (tested in Node).
 */
import type { FitRecord } from '../../src/index.js';
import type { BackendChoice, DataContext, Settings } from './settings.js';

const BACKEND_WORDS: Record<BackendChoice, string> = { webgpu: 'WebGPU', wasm: 'CPU', cpu: 'CPU reference' };

export type RunStatus = 'training' | 'done' | 'stopped' | 'failed' | 'diverged';

/** One model's curves: a run trains one model, a setting of a race one per seed. */
export interface Trace {
  seed: number;
  /** The fold it is scored on, where the race ranks on k folds. */
  fold?: number;
  /** Training loss of each chunk of steps, against the epochs done (fractional). */
  losses: { epochs: number; loss: number }[];
  history: FitRecord[];
  /** Where its loss stopped being a finite number (its curves end there), in epochs, and why where known. */
  diverged?: { epochs: number; why?: string };
}

/** A race's place in the sweep's table: its setting's rank and held-out score over its seeds. */
export interface RaceResult {
  rank: number;
  of: number;
  /** Validation accuracy (R² for a regression): mean and standard deviation over the seeds; NaN where all diverged. */
  mean: number;
  std: number;
  loss: number;
  epochs: number;
  models: number;
  diverged: number;
}

/** A setting of a race (race.ts): the race, the setting it varies and this run's value, its models and result. */
export interface RaceEntry {
  race: number;
  /** The varied setting in the page's words ("Learning rate") and this run's value of it. */
  setting: string;
  value: number;
  models: Trace[];
  result?: RaceResult;
}

export interface Run {
  /** 1, 2, ... in the order the page started them; never reused while the page is open. */
  id: number;
  colour: string;
  /** The settings in a few words, for the legend and the table. */
  label: string;
  settings: Settings;
  data: DataContext;
  layers: number[];
  /** The page's address for these settings. */
  link: string;
  /** Training loss of each chunk of steps, against the epochs done (fractional). */
  losses: { epochs: number; loss: number }[];
  history: FitRecord[];
  status: RunStatus;
  seconds: number;
  hidden: boolean;
  /** Set for a setting of a race: its models' curves are there, not in losses and history. */
  race?: RaceEntry;
}

/** Distinct on white and for the common colour-vision deficiencies (Okabe and Ito's palette, then a few more). */
export const PALETTE = [
  '#0072b2',
  '#e69f00',
  '#009e73',
  '#cc79a7',
  '#d55e00',
  '#56b4e9',
  '#7c3aed',
  '#444444',
  '#b8860b',
  '#be123c',
];

/**
 * The library's training accuracy of an epoch, where its records carry one (measured by the trainer; the page
 * computes none of its own).
 */
export const trainAccuracyOf = (record: FitRecord): number | undefined =>
  (record as FitRecord & { trainAccuracy?: number }).trainAccuracy;

/** "adam lr 0.001 · tanh · 784-32-10 · batch 32", with what else differs from the defaults. */
export function runLabel(s: Settings, layers: number[]): string {
  const o = s.optimizer;
  const parts = [`${o.name} lr ${s.learningRate}`, s.activation, layers.join('-'), `batch ${s.batch}`];
  if (s.loss !== 'softmax-cross-entropy' && layers.length) parts.push(s.loss);
  if (o.weightDecay) parts.push(`wd ${o.weightDecay}`);
  if (s.dropout) parts.push(`dropout ${s.dropout}`);
  if (s.schedule.name !== 'constant') parts.push(`${s.schedule.name} schedule`);
  parts.push(`seed ${s.seed}`, BACKEND_WORDS[s.backend]);
  return parts.join(' · ');
}

export class RunList {
  readonly runs: Run[] = [];
  private next = 1;

  add(settings: Settings, data: DataContext, layers: number[], link: string, race?: RaceEntry): Run {
    const id = this.next++;
    const run: Run = {
      id,
      colour: PALETTE[(id - 1) % PALETTE.length],
      label: race ? `${race.setting} ${race.value} · race ${race.race}` : runLabel(settings, layers),
      settings,
      data,
      layers,
      link,
      losses: [],
      history: [],
      status: 'training',
      seconds: 0,
      hidden: false,
      ...(race ? { race } : {}),
    };
    this.runs.push(run);
    return run;
  }

  remove(id: number): void {
    const index = this.runs.findIndex((run) => run.id === id);
    if (index >= 0) this.runs.splice(index, 1);
  }

  /** Puts `order` (runs of this list) in that order, where the first of them was: a race's settings, best first. */
  place(order: Run[]): void {
    const at = Math.min(...order.map((run) => this.runs.indexOf(run)));
    const rest = this.runs.filter((run) => !order.includes(run));
    rest.splice(at, 0, ...order);
    this.runs.splice(0, this.runs.length, ...rest);
  }

  /** Removes every run but those training, if any are. */
  clear(): void {
    const keep = this.runs.filter((run) => run.status === 'training');
    this.runs.splice(0, this.runs.length, ...keep);
  }

  get visible(): Run[] {
    return this.runs.filter((run) => !run.hidden);
  }
}

/** One curve of a chart: whose, which of its models (a race's seed and fold, where it has several), what, its points. */
export interface Curve {
  run: Run;
  /** "s2" for seed 2 of several, "f1" for fold 1, "s2f1" for both. */
  model?: string;
  kind:
    | 'training loss'
    | 'test loss'
    | 'test accuracy'
    | 'training accuracy'
    | 'validation loss'
    | 'validation accuracy'
    | 'validation R²'
    | 'diverged';
  points: [number, number][];
}

/** A curve's name in the charts' data-curves: "3:test loss", or "3s2:validation loss" for seed 2 of a race's run. */
export const curveKey = (c: Curve) => `${c.run.id}${c.model ?? ''}:${c.kind}`;

/** A race's models, each named by its seed where the setting has several, and by its fold. */
function raceTraces(run: Run): { trace: Trace; model?: string }[] {
  const models = run.race?.models ?? [];
  const seeds = new Set(models.map((m) => m.seed)).size;
  return models.map((trace) => {
    const name = `${seeds > 1 ? `s${trace.seed}` : ''}${trace.fold === undefined ? '' : `f${trace.fold}`}`;
    return { trace, ...(name ? { model: name } : {}) };
  });
}

/**
 * A race's loss curves: each model's training loss, its validation loss at each epoch's end, and a mark where it
 * diverged (at its last finite loss).
 */
function raceLossCurves(run: Run): Curve[] {
  return raceTraces(run).flatMap(({ trace, model }): Curve[] => {
    const curves: Curve[] = [
      { run, model, kind: 'training loss', points: trace.losses.map((p) => [p.epochs, p.loss]) },
      { run, model, kind: 'validation loss', points: trace.history.map((r) => [r.epoch, r.valLoss ?? NaN]) },
    ];
    const last = trace.losses.findLast((p) => Number.isFinite(p.loss));
    if (trace.diverged && last)
      curves.push({ run, model, kind: 'diverged', points: [[trace.diverged.epochs, last.loss]] });
    return curves;
  });
}

/**
 * The loss chart's curves: every visible run's training loss over the epochs, and its test loss at each epoch's end
 * (a race's models: their validation loss).
 */
export function lossCurves(runs: Run[]): Curve[] {
  return runs.flatMap((run): Curve[] =>
    run.race
      ? raceLossCurves(run)
      : [
          { run, kind: 'training loss', points: run.losses.map((p) => [p.epochs, p.loss]) },
          { run, kind: 'test loss', points: run.history.map((r) => [r.epoch, r.testLoss ?? NaN]) },
        ],
  );
}

const classifies = (run: Run) => run.data.kind === 'mnist' || run.data.task === 'classification';

/**
 * The accuracy chart's curves, in percent: test accuracy per epoch of a classifier, and training accuracy beside it
 * for a run whose records have it; a race's models' validation accuracy (R² for a regression, as a percentage).
 */
export function accuracyCurves(runs: Run[]): Curve[] {
  return runs.flatMap((run): Curve[] => {
    if (run.race) {
      const kind = classifies(run) ? 'validation accuracy' : 'validation R²';
      return raceTraces(run).map(({ trace, model }) => ({
        run,
        model,
        kind,
        points: trace.history.map((r) => [r.epoch, ((classifies(run) ? r.valAccuracy : r.valR2) ?? NaN) * 100]),
      }));
    }
    if (!classifies(run)) return [];
    const curves: Curve[] = [
      { run, kind: 'test accuracy', points: run.history.map((r) => [r.epoch, (r.testAccuracy ?? NaN) * 100]) },
    ];
    const train = run.history.filter((r) => trainAccuracyOf(r) !== undefined);
    if (train.length)
      curves.push({ run, kind: 'training accuracy', points: train.map((r) => [r.epoch, trainAccuracyOf(r)! * 100]) });
    return curves;
  });
}

/**
 * Curves on one shared x axis, as uPlot takes them: the sorted union of their x values, then one column per curve
 * with null where it has no point.
 */
export function aligned(curves: Curve[]): (number | null)[][] {
  const xs = [...new Set(curves.flatMap((c) => c.points.map((p) => p[0])))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const columns = curves.map((c) => {
    const column: (number | null)[] = new Array(xs.length).fill(null);
    for (const [x, y] of c.points) column[at.get(x)!] = Number.isFinite(y) ? y : null;
    return column;
  });
  return [xs, ...columns];
}
