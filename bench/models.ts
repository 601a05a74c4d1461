/**
 * Many models at once: K models of one network, differing in learning rate and seed (Adam, as a sweep trains them),
 * timed a whole epoch at a time trained together (backend.createModels, one ModelsSession) against one after another
 * (SequentialModels: a session per model on the same backend), in the same process, repetitions interleaved.
 *
 *   node dist/bench/bench.js --models 1,4,16,64 [--workloads A,table] [--no-cpu | --no-gpu] [--peer torch]
 */
import type { Backend, Dataset, ModelsOptions, ModelsSession, TrainingSession } from '../src/lower.js';
import { makeOptimizer, makeSpec, SequentialModels } from '../src/lower.js';
import { Rng } from '../src/model/rng.js';
import { median, nonZeroRandom } from './gpu-timing.js';
import { syntheticSet } from './workloads.js';

export interface ModelsWorkload {
  name: string;
  layers: number[];
  batch: number;
  /** Training rows every model trains on, each in its own order. */
  rows: number;
  /** Byte images of MNIST's shape, or float rows of a table. */
  kind: 'images' | 'table';
  /** Other rows than the full-size workload of this name (--quick, --rows). */
  scaled: boolean;
}

/** Workload A's network on 60,000 images, and a small table net on a few hundred rows. */
export const MODELS_WORKLOADS: ModelsWorkload[] = [
  { name: 'A', layers: [784, 128, 10], batch: 64, rows: 60_000, kind: 'images', scaled: false },
  { name: 'table', layers: [13, 16, 3], batch: 16, rows: 300, kind: 'table', scaled: false },
];

/** --quick: A on 256 images (4 steps an epoch); the table net is small already. */
export const QUICK_MODELS_WORKLOADS: ModelsWorkload[] = [
  { ...MODELS_WORKLOADS[0], rows: 256, scaled: true },
  MODELS_WORKLOADS[1],
];

/** The learning rates of a sweep: K rates spaced evenly on a log scale over [3e-4, 3e-2], one model each. */
export function sweepRates(k: number): number[] {
  const low = 3e-4;
  const high = 3e-2;
  if (k === 1) return [Math.sqrt(low * high)];
  return Array.from({ length: k }, (_, i) => low * (high / low) ** (i / (k - 1)));
}

/** A table's rows: floats in [-1, 1) with no exact zeros (timing on zeros can flatter a kernel), random classes. */
function tableSet(count: number, features: number, classes: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const inputs = nonZeroRandom(rng, count * features);
  const labels = Uint8Array.from({ length: count }, () => rng.below(classes));
  return { inputs, labels, count, features };
}

/** The options of K models of workload `w`, model i with sweepRates(K)[i] and seed 1 + i, all on the same rows. */
export function modelsOptions(w: ModelsWorkload, k: number, seed: number): ModelsOptions {
  const [features] = w.layers;
  const classes = w.layers[w.layers.length - 1];
  const train = w.kind === 'images' ? syntheticSet(w.rows, features, seed) : tableSet(w.rows, features, classes, seed);
  const rates = sweepRates(k);
  return {
    spec: makeSpec(w.layers),
    batch: w.batch,
    train,
    models: rates.map((learningRate, i) => ({
      params: { seed: seed + 1 + i },
      learningRate,
      optimizer: makeOptimizer('adam'),
    })),
  };
}

/** A GPU session's counters, where the session has them (WebGpuSession; a native K-model GPU session too). */
type Counted = { stats: { dispatches: number } };
const counted = (x: unknown): x is Counted =>
  typeof x === 'object' && x !== null && typeof (x as Partial<Counted>).stats?.dispatches === 'number';

/** One contender: its session and the GPU sessions whose dispatches it makes (none on the CPU). */
interface Contender {
  session: ModelsSession;
  counters: Counted[];
  shuffles: Rng[];
  epochs: number;
  /** Timed epochs of all K models, ms per epoch. */
  times: number[];
  dispatches: number;
  steps: number;
  losses: Float64Array[];
}

export interface ContenderResult {
  /** Median seconds of one epoch of all K models, divided by K. */
  secondsPerModelEpoch: number;
  /** Every timed epoch of all K models, ms. */
  epochMs: number[];
  /** GPU dispatches per training step of all K models (null on the CPU). */
  dispatchesPerStep: number | null;
}

export interface ModelsMeasurement {
  k: number;
  steps: number;
  together: ContenderResult;
  oneAfterAnother: ContenderResult;
  /** One after another's seconds per model-epoch over together's: above 1, together is faster. */
  speedup: number;
  /** What backend.createModels handed out: its class's name (SequentialModels: the fallback, no native session). */
  togetherSession: string;
  /** Epochs of all K models in one timed sample. */
  epochsPerSample: number;
  /** Largest difference of a model's epoch loss between the two contenders, relative: they do the same work. */
  lossDifference: number;
}

async function contender(
  open: () => Promise<ModelsSession>,
  counters: Counted[],
  k: number,
  seed: number,
): Promise<Contender> {
  const session = await open();
  if (counted(session)) counters.push(session);
  const shuffles = Array.from({ length: k }, (_, i) => new Rng(seed + 100 + i));
  const steps = Math.max(...session.stepsPerEpoch);
  return { session, counters, shuffles, epochs: 0, times: [], dispatches: 0, steps, losses: [] };
}

/**
 * `count` epochs of every model, one after another, as one sample: ms per epoch, timed from each epoch's order upload
 * to its losses read back (the orders are drawn before the clock starts). Every epoch's losses are kept.
 */
async function epochs(c: Contender, rows: number, count: number): Promise<number> {
  const orders = Array.from({ length: count }, () =>
    c.shuffles.map((rng) => rng.shuffle(Uint32Array.from({ length: rows }, (_, r) => r))),
  );
  const before = c.counters.reduce((sum, x) => sum + x.stats.dispatches, 0);
  let ms = 0;
  for (const order of orders) {
    const firstSteps = c.session.stepsPerEpoch.map((s) => c.epochs * s);
    const start = performance.now();
    c.session.setEpochOrders(order, firstSteps);
    const losses = await c.session.trainSteps(0, c.steps);
    ms += performance.now() - start;
    c.epochs++;
    c.losses.push(losses);
  }
  c.dispatches += c.counters.reduce((sum, x) => sum + x.stats.dispatches, 0) - before;
  return ms / count;
}

/**
 * Warm-up: two epochs at least (the first compiles pipelines, V8 optimises), then more until `ms` have passed;
 * returns the mean ms of the epochs after the first, to size the samples (one epoch alone can be a collector's pause).
 */
async function warmUp(c: Contender, rows: number, ms: number): Promise<number> {
  let spent = 0;
  let count = 0;
  let afterFirst = 0;
  for (; count < 2 || spent < ms; count++) {
    const epochMs = await epochs(c, rows, 1);
    spent += epochMs;
    if (count > 0) afterFirst += epochMs;
  }
  return afterFirst / (count - 1);
}

function summary(c: Contender, k: number, timedEpochs: number): ContenderResult {
  const perStep = c.counters.length > 0 ? c.dispatches / (timedEpochs * c.steps) : null;
  return { secondsPerModelEpoch: median(c.times) / 1000 / k, epochMs: c.times, dispatchesPerStep: perStep };
}

/**
 * K models of `w` on `backend`, both ways: warm-up epochs for `warmUpMs` each (compilation, V8's optimisation), then
 * `repetitions` timed samples each, interleaved (together first on even repetitions, second on odd ones, so a drift in
 * the machine's load falls on both). A sample is as many epochs as make about `sampleMs` (one at least), so short
 * epochs are not lost in the timer's and the collector's noise; its figure is ms per epoch.
 */
export async function measureModels(
  backend: Backend,
  w: ModelsWorkload,
  k: number,
  repetitions: number,
  seed: number,
  timing: { warmUpMs: number; sampleMs: number },
): Promise<ModelsMeasurement> {
  const options = modelsOptions(w, k, seed);
  const together = await contender(() => backend.createModels(options), [], k, seed);
  const opened: Counted[] = [];
  const open = async (alone: Parameters<Backend['createSession']>[0]): Promise<TrainingSession> => {
    const session = await backend.createSession(alone);
    if (counted(session)) opened.push(session);
    return session;
  };
  let alone: Contender | undefined;
  try {
    alone = await contender(() => SequentialModels.create(options, open), opened, k, seed);
    const warm = Math.max(
      await warmUp(together, w.rows, timing.warmUpMs),
      await warmUp(alone, w.rows, timing.warmUpMs),
    );
    const perSample = Math.max(1, Math.round(timing.sampleMs / warm));
    // Equal epoch counts from here on: every epoch's losses pair up (the same models on the same orders).
    const skip = Math.max(together.epochs, alone.epochs);
    while (together.epochs < skip) await epochs(together, w.rows, 1);
    while (alone.epochs < skip) await epochs(alone, w.rows, 1);
    together.dispatches = 0;
    alone.dispatches = 0;
    for (let r = 0; r < repetitions; r++) {
      for (const c of r % 2 === 0 ? [together, alone] : [alone, together])
        c.times.push(await epochs(c, w.rows, perSample));
    }
    let lossDifference = 0;
    together.losses.forEach((losses, e) => {
      losses.forEach((loss, i) => {
        const other = alone!.losses[e][i];
        lossDifference = Math.max(lossDifference, Math.abs(loss - other) / Math.max(Math.abs(other), 1e-30));
      });
    });
    const t = summary(together, k, repetitions * perSample);
    const a = summary(alone, k, repetitions * perSample);
    return {
      k,
      steps: together.steps,
      together: t,
      oneAfterAnother: a,
      speedup: a.secondsPerModelEpoch / t.secondsPerModelEpoch,
      togetherSession: together.session.constructor.name,
      epochsPerSample: perSample,
      lossDifference,
    };
  } finally {
    together.session.dispose();
    alone?.session.dispose();
  }
}
