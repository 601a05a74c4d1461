/** The two live charts, drawn with uPlot: loss over training steps, and test results per epoch. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export const COLOURS = { train: '#4f46e5', test: '#ea580c', accuracy: '#059669', grid: '#e5e7eb', axis: '#6b7280' };

const HEIGHT = 230;

function axis(label: string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    label,
    stroke: COLOURS.axis,
    grid: { stroke: COLOURS.grid, width: 1 },
    ticks: { stroke: COLOURS.grid, width: 1 },
    labelSize: 22,
    font: '12px system-ui, sans-serif',
    labelFont: '12px system-ui, sans-serif',
    ...extra,
  };
}

/** Keeps a chart as wide as its container. */
function fit(chart: uPlot, container: HTMLElement): void {
  const resize = () => chart.setSize({ width: Math.max(200, container.clientWidth), height: HEIGHT });
  new ResizeObserver(resize).observe(container);
  resize();
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

const fixed = (digits: number) => (_: uPlot, value: number | null) => (value == null ? '–' : value.toFixed(digits));

/** Training loss of every chunk of steps, and the test loss at the end of every epoch, against the step count. */
export class LossChart {
  private readonly chart: uPlot;
  private steps: number[] = [];
  private train: (number | null)[] = [];
  private test: (number | null)[] = [];

  constructor(container: HTMLElement) {
    this.chart = new uPlot({
      width: container.clientWidth || 400,
      height: HEIGHT,
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      scales: { x: { time: false, range: (_, __, max) => [0, Math.max(10, max ?? 0)] }, y: { range: (_, __, max) => [0, Math.max(0.5, Math.ceil(max * 4) / 4)] } },
      axes: [axis('training step'), axis('loss', { size: 44 })],
      series: [
        { label: 'step' },
        { label: 'training loss', stroke: COLOURS.train, width: 2, points: { show: false }, value: fixed(3) },
        {
          label: 'test loss', stroke: COLOURS.test, width: 2, dash: [6, 4], spanGaps: true, value: fixed(3),
          points: { show: true, size: 8, fill: COLOURS.test },
        },
      ],
    }, [[], [], []], container);
    fit(this.chart, container);
  }

  addTraining(step: number, loss: number): void {
    this.steps.push(step);
    this.train.push(loss);
    this.test.push(null);
    this.redraw();
  }

  /** The test loss at the step the epoch ended (the last training point). */
  addTest(step: number, loss: number): void {
    if (this.steps[this.steps.length - 1] !== step) this.addTraining(step, NaN);
    this.test[this.test.length - 1] = loss;
    this.redraw();
  }

  clear(): void {
    this.steps = [];
    this.train = [];
    this.test = [];
    this.redraw();
  }

  // A fast GPU reports many chunks a frame: draw at most once per frame.
  private readonly redraw = coalesced(() => this.chart.setData([this.steps, this.train, this.test]));
}

/** Test accuracy (right axis, %) and test and training loss (left axis) after every epoch. */
export class EpochChart {
  private readonly chart: uPlot;
  private epochs: number[] = [];
  private accuracy: number[] = [];
  private testLoss: number[] = [];
  private trainLoss: number[] = [];
  private planned = 1;

  constructor(container: HTMLElement) {
    this.chart = new uPlot({
      width: container.clientWidth || 400,
      height: HEIGHT,
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      scales: {
        x: { time: false, range: () => [0.75, this.planned + 0.25] },
        loss: { range: (_, __, max) => [0, Math.max(0.5, Math.ceil((max || 0) * 4) / 4)] },
        acc: { range: (_, min) => [Math.max(0, Math.min(90, Math.floor(((min ?? 90) - 2) / 5) * 5)), 100] },
      },
      axes: [
        axis('epoch', { incrs: [1, 2, 5, 10, 20, 50], values: (_, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')) }),
        axis('loss', { scale: 'loss', size: 44 }),
        axis('accuracy', { scale: 'acc', side: 1, size: 48, grid: { show: false }, values: (_, ticks) => ticks.map((t) => `${t}%`) }),
      ],
      series: [
        { label: 'epoch' },
        { label: 'test accuracy', scale: 'acc', stroke: COLOURS.accuracy, width: 2, points: { show: true, size: 8, fill: COLOURS.accuracy }, value: (_, v) => (v == null ? '–' : `${v.toFixed(2)}%`) },
        { label: 'test loss', scale: 'loss', stroke: COLOURS.test, width: 2, dash: [6, 4], points: { show: true, size: 7, fill: COLOURS.test }, value: fixed(3) },
        { label: 'training loss', scale: 'loss', stroke: COLOURS.train, width: 2, points: { show: true, size: 7, fill: COLOURS.train }, value: fixed(3) },
      ],
    }, [[], [], [], []], container);
    fit(this.chart, container);
  }

  /** Sets the x axis to the run's epochs before any has finished. */
  plan(epochs: number): void {
    this.planned = epochs;
    this.redraw();
  }

  add(epoch: number, accuracy: number, testLoss: number, trainLoss: number): void {
    this.epochs.push(epoch);
    this.accuracy.push(accuracy * 100);
    this.testLoss.push(testLoss);
    this.trainLoss.push(trainLoss);
    this.redraw();
  }

  clear(): void {
    this.epochs = [];
    this.accuracy = [];
    this.testLoss = [];
    this.trainLoss = [];
    this.redraw();
  }

  private readonly redraw = coalesced(() => this.chart.setData([this.epochs, this.accuracy, this.testLoss, this.trainLoss]));
}
