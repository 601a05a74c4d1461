/**
 * The two live charts, drawn with uPlot from the page's runs: loss over the epochs (training loss of every chunk of
 * steps, solid; test loss at each epoch's end, dashed), and accuracy per epoch (test, solid; training, dotted, where
 * the run's records have it). Each run has its colour; hidden runs are left out. A chart is built anew when its set
 * of curves changes and only given new data otherwise, at most once per animation frame.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { accuracyCurves, aligned, type Curve, curveKey, lossCurves, type Run } from './runs.js';

const GRID = '#e5e7eb';
const AXIS = '#6b7280';
const HEIGHT = 230;

function axis(label: string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    label,
    stroke: AXIS,
    grid: { stroke: GRID, width: 1 },
    ticks: { stroke: GRID, width: 1 },
    labelSize: 22,
    font: '12px system-ui, sans-serif',
    labelFont: '12px system-ui, sans-serif',
    ...extra,
  };
}

/** Calls `draw` on the next animation frame, once however often it is asked for before then. */
function coalesced(draw: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      draw();
    });
  };
}

const STYLE: Record<Curve['kind'], Partial<uPlot.Series>> = {
  'training loss': { width: 2, points: { show: false } },
  'test loss': { width: 2, dash: [6, 4], points: { show: true, size: 7 } },
  'test accuracy': { width: 2, points: { show: true, size: 7 } },
  'training accuracy': { width: 2, dash: [2, 4], points: { show: true, size: 5 } },
  'validation loss': { width: 2, dash: [6, 4], points: { show: true, size: 7 } },
  'validation accuracy': { width: 2, points: { show: true, size: 7 } },
  'validation R²': { width: 2, points: { show: true, size: 7 } },
  // A diverged model's mark: a large point where its curve ends, and no line.
  diverged: { width: 0, paths: () => null, points: { show: true, size: 13 } },
};

/** One chart over the runs: `curvesOf` picks its curves, `options` its scales and axes. */
class RunChart {
  private chart: uPlot | null = null;
  private shape = '';

  constructor(
    private readonly container: HTMLElement,
    private readonly curvesOf: (runs: Run[]) => Curve[],
    private readonly options: (runs: Run[]) => Pick<uPlot.Options, 'scales' | 'axes'>,
  ) {
    new ResizeObserver(() => this.chart?.setSize({ width: this.width(), height: HEIGHT })).observe(container);
  }

  private width(): number {
    return Math.max(200, this.container.clientWidth || 400);
  }

  draw(runs: Run[]): void {
    const curves = this.curvesOf(runs);
    const data = aligned(curves) as uPlot.AlignedData;
    const shape = curves.map(curveKey).join(',');
    if (shape !== this.shape || !this.chart) {
      this.chart?.destroy();
      this.shape = shape;
      this.chart = new uPlot(
        {
          width: this.width(),
          height: HEIGHT,
          cursor: { drag: { x: false, y: false } },
          legend: { show: false },
          ...this.options(runs),
          series: [
            { label: 'epoch' },
            ...curves.map(
              (c): uPlot.Series => ({
                label: `#${curveKey(c)}`,
                stroke: c.run.colour,
                spanGaps: true,
                ...STYLE[c.kind],
                points: { ...STYLE[c.kind].points, fill: c.run.colour, stroke: c.run.colour },
              }),
            ),
          ],
        },
        data,
        this.container,
      );
    } else {
      this.chart.setData(data);
    }
    // What is drawn, for the end-to-end test: run id (and seed), curve and its number of points.
    this.container.dataset.curves = curves.map((c) => `${curveKey(c)}:${c.points.length}`).join(',');
  }
}

const epochTicks = {
  incrs: [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
  values: (_: uPlot, ticks: number[]) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')),
};
const plannedEpochs = (runs: Run[]) => Math.max(1, ...runs.map((r) => r.settings.epochs));

/**
 * The loss axis's top: twice the lowest loss a training curve starts from, so that a rate too high, whose loss leaps
 * to thousands before it diverges, leaves the chart's top (clipped) and the other curves readable.
 */
function lossCap(runs: Run[]): number {
  const starts = lossCurves(runs)
    .filter((c) => c.kind === 'training loss' && c.points.length && Number.isFinite(c.points[0][1]))
    .map((c) => c.points[0][1]);
  return starts.length ? 2 * Math.min(...starts) : Infinity;
}

/** The loss curves, a diverged model's mark brought down to the axis's top where its last loss is beyond it. */
function marksInView(runs: Run[]): Curve[] {
  const cap = lossCap(runs);
  return lossCurves(runs).map((c) =>
    c.kind === 'diverged' ? { ...c, points: c.points.map(([x, y]): [number, number] => [x, Math.min(y, cap)]) } : c,
  );
}

export class RunCharts {
  private readonly loss: RunChart;
  private readonly accuracy: RunChart;
  private runs: Run[] = [];

  constructor(lossContainer: HTMLElement, accuracyContainer: HTMLElement) {
    this.loss = new RunChart(lossContainer, marksInView, (runs) => ({
      scales: {
        x: { time: false, range: () => [0, plannedEpochs(runs)] },
        y: { range: (_, __, max) => [0, Math.max(0.5, Math.ceil(Math.min(max || 0, lossCap(runs)) * 4) / 4)] },
      },
      axes: [axis('epoch', epochTicks), axis('loss', { size: 44 })],
    }));
    this.accuracy = new RunChart(accuracyContainer, accuracyCurves, (runs) => ({
      scales: {
        x: { time: false, range: () => [0.75, plannedEpochs(runs) + 0.25] },
        y: { range: (_, min) => [Math.max(0, Math.min(90, Math.floor(((min ?? 90) - 2) / 5) * 5)), 100] },
      },
      axes: [
        axis('epoch', epochTicks),
        axis(
          runs.some((r) => r.race && accuracyCurves([r])[0]?.kind === 'validation R²') ? 'accuracy · R²' : 'accuracy',
          {
            size: 48,
            values: (_, ticks) => ticks.map((t) => `${t}%`),
          },
        ),
      ],
    }));
  }

  /** Redraws both charts from these runs (the visible ones), on the next frame. */
  show(runs: Run[]): void {
    this.runs = runs;
    this.redraw();
  }

  private readonly redraw = coalesced(() => {
    this.loss.draw(this.runs);
    this.accuracy.draw(this.runs);
  });
}
