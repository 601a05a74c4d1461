/**
 * The page of test/e2e-cpu.test.ts: it trains the 20-256-256-2 network of a page that trains on its main thread,
 * on the CPU, and records every long task (over 50 ms) the browser reports while it does.
 */
import { MLP } from '../src/index.js';

interface LongTask {
  start: number;
  duration: number;
}

const longTasks: LongTask[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) longTasks.push({ start: entry.startTime, duration: entry.duration });
}).observe({ type: 'longtask', buffered: true });

/** Two overlapping clouds of points in 20 dimensions, from a fixed generator: the same rows every run. */
function clouds(rows: number, seed: number): { x: number[][]; y: number[] } {
  let state = seed;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const x: number[][] = [];
  const y: number[] = [];
  for (let r = 0; r < rows; r++) {
    const label = r % 2;
    x.push(Array.from({ length: 20 }, (_, i) => (i < 4 ? label : 0) + 2 * uniform() - 1));
    y.push(label);
  }
  return { x, y };
}

/** Blocks the thread for `ms`: the long task that shows the observer sees them. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {}
}

/** Long tasks that ended after `since`, once the browser has reported them. */
async function longTasksSince(since: number): Promise<LongTask[]> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return longTasks.filter((task) => task.start + task.duration > since);
}

/** Resolves in a timer's task: work the page starts itself, which the browser times (unlike the test's evaluate). */
const pageTask = () => new Promise((resolve) => setTimeout(resolve, 0));

async function run() {
  await pageTask();
  const control = performance.now();
  busy(120);
  const controlTasks = await longTasksSince(control);
  const train = clouds(2048, 1);
  const test = clouds(1024, 2);
  await pageTask();
  const model = await MLP.create({ inputs: 20, outputs: 2, hidden: [256, 256], backend: 'cpu' });
  // The page's own work (its data, the model's creation) is done: from here on every task is fit's.
  await pageTask();
  const start = performance.now();
  performance.mark('training-start');
  const result = await model.fit(train.x, train.y, { epochs: 2, batchSize: 32, learningRate: 0.05, testData: test });
  performance.mark('training-end');
  const seconds = (performance.now() - start) / 1000;
  return {
    control: controlTasks.map((task) => task.duration),
    training: (await longTasksSince(start)).map((task) => task.duration),
    seconds,
    steps: result.steps,
    accuracy: result.test && 'accuracy' in result.test ? result.test.accuracy : NaN,
  };
}

(globalThis as { runTraining?: typeof run }).runTraining = run;
