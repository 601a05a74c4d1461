/**
 * The runs a page has made, kept for comparing: each run's settings, its loss after every chunk of steps and its
 * epoch records, until removed or cleared. No DOM here: charts.ts and run-table.ts draw from these, and the
 * series they draw are worked out here (tested in Node).
 */
import type { FitRecord } from '../../src/index.js';
import type { DataContext, Settings } from './settings.js';

export type RunStatus = 'training' | 'done' | 'stopped' | 'failed';

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
  parts.push(`seed ${s.seed}`, s.backend === 'cpu' ? 'CPU' : 'WebGPU');
  return parts.join(' · ');
}

export class RunList {
  readonly runs: Run[] = [];
  private next = 1;

  add(settings: Settings, data: DataContext, layers: number[], link: string): Run {
    const id = this.next++;
    const run: Run = {
      id,
      colour: PALETTE[(id - 1) % PALETTE.length],
      label: runLabel(settings, layers),
      settings,
      data,
      layers,
      link,
      losses: [],
      history: [],
      status: 'training',
      seconds: 0,
      hidden: false,
    };
    this.runs.push(run);
    return run;
  }

  remove(id: number): void {
    const index = this.runs.findIndex((run) => run.id === id);
    if (index >= 0) this.runs.splice(index, 1);
  }

  /** Removes every run but the one training, if one is. */
  clear(): void {
    const keep = this.runs.filter((run) => run.status === 'training');
    this.runs.splice(0, this.runs.length, ...keep);
  }

  get visible(): Run[] {
    return this.runs.filter((run) => !run.hidden);
  }
}

/** One curve of a chart: whose, what, and the points it has. */
export interface Curve {
  run: Run;
  kind: 'training loss' | 'test loss' | 'test accuracy' | 'training accuracy';
  points: [number, number][];
}

/** The loss chart's curves: every visible run's training loss over the epochs, and its test loss at each epoch's end. */
export function lossCurves(runs: Run[]): Curve[] {
  return runs.flatMap((run): Curve[] => [
    { run, kind: 'training loss', points: run.losses.map((p) => [p.epochs, p.loss]) },
    { run, kind: 'test loss', points: run.history.map((r) => [r.epoch, r.testLoss ?? NaN]) },
  ]);
}

/**
 * The accuracy chart's curves (classification runs), in percent: test accuracy per epoch, and training accuracy
 * beside it for a run whose records have it.
 */
export function accuracyCurves(runs: Run[]): Curve[] {
  return runs
    .filter((run) => run.data.kind === 'mnist' || run.data.task === 'classification')
    .flatMap((run): Curve[] => {
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
