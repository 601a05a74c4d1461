/**
 * The training workloads A-D: synthetic data of MNIST's shape, whole GPU epochs through a WebGpuSession (the same
 * calls the trainer makes), the CPU reference on a few steps extrapolated to an epoch, and the two floors each
 * workload has on the H100.
 */
import type { OptimizerName } from '../src/index.js';
import {
  CpuBackend,
  type Dataset,
  initParams,
  makeOptimizer,
  makeSpec,
  paramTable,
  type WebGpuBackend,
} from '../src/lower.js';
import { Rng } from '../src/model/rng.js';
import { median } from './gpu-timing.js';

export interface Workload {
  name: string;
  layers: number[];
  batch: number;
  trainSamples: number;
  testSamples: number;
  /** Set in --quick runs: smaller than the full-size workload of the same name. */
  scaled: boolean;
}

const MNIST = { train: 60_000, test: 10_000 };
/** Every workload's rate, for every optimiser (the PyTorch peer uses the same). */
const LEARNING_RATE = 0.01;

/** The full-size workloads: one epoch of 60,000 samples of 784 pixels, SGD, softmax-cross-entropy. */
export const WORKLOADS: Workload[] = [
  { name: 'A', layers: [784, 128, 10], batch: 64, trainSamples: MNIST.train, testSamples: MNIST.test, scaled: false },
  { name: 'B', layers: [784, 128, 10], batch: 256, trainSamples: MNIST.train, testSamples: MNIST.test, scaled: false },
  {
    name: 'C',
    layers: [784, 1024, 1024, 10],
    batch: 1024,
    trainSamples: MNIST.train,
    testSamples: MNIST.test,
    scaled: false,
  },
  {
    name: 'D',
    layers: [784, 4096, 4096, 10],
    batch: 4096,
    trainSamples: MNIST.train,
    testSamples: MNIST.test,
    scaled: false,
  },
];

/** --quick: the same structure, small enough for SwiftShader in seconds (two steps an epoch or more). */
export const QUICK_WORKLOADS: Workload[] = [
  { name: 'A', layers: [784, 128, 10], batch: 64, trainSamples: 256, testSamples: 128, scaled: true },
  { name: 'B', layers: [784, 128, 10], batch: 256, trainSamples: 512, testSamples: 128, scaled: true },
  { name: 'C', layers: [784, 128, 128, 10], batch: 128, trainSamples: 256, testSamples: 128, scaled: true },
  { name: 'D', layers: [784, 256, 256, 10], batch: 256, trainSamples: 512, testSamples: 128, scaled: true },
];

/**
 * Reference figures on the H100 (fp32, TF32 off, SGD, synthetic data), ms per epoch: TensorFlow.js on WebGPU, PyTorch
 * CUDA eager, and the target this project aims for.
 */
export const REFERENCE_MS: Record<string, { tfjs: number; torch: number; target: number }> = {
  A: { tfjs: 7465, torch: 1278, target: 60 },
  B: { tfjs: 2047, torch: 270, target: 20 },
  C: { tfjs: 620, torch: 80, target: 80 },
  D: { tfjs: 347, torch: 139, target: 139 },
};

/** An H100's figures for the floors: cuBLAS fp32 TFLOP/s, a small dispatch in one pass, a submit with its read back. */
export const H100 = { cublasTflops: 52, usPerDispatch: 6, msPerRoundTrip: 0.05 };

export const stepsPerEpoch = (w: Workload): number => Math.floor(w.trainSamples / w.batch);

/** Floating-point operations of one training step: forward 2·in·out per row and layer, dW 2·in·out, dx 2·in·out
 * for every layer but the first (nothing needs the input's gradient). */
export function stepFlops(w: Workload): number {
  let total = 0;
  for (let l = 0; l + 1 < w.layers.length; l++) {
    const macs = w.layers[l] * w.layers[l + 1];
    total += 2 * macs * (l === 0 ? 2 : 3);
  }
  return total * w.batch;
}

/** Random bytes and labels of MNIST's shape, from a seed: the GPU machine needs no data files. */
export function syntheticSet(count: number, features: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(Math.ceil((count * features) / 4) * 4);
  const words = new Uint32Array(pixels.buffer);
  for (let i = 0; i < words.length; i++) words[i] = rng.nextU32();
  const labels = Uint8Array.from({ length: count }, () => rng.below(10));
  return { inputs: pixels.subarray(0, count * features), labels, count, features };
}

export interface EpochCounts {
  dispatchesPerStep: number;
  /** Per timed epoch (one chunk of every step, as `--log-every` at or past the epoch records it). */
  dispatches: number;
  computePasses: number;
  submits: number;
  readBacks: number;
  writes: number;
  buffersAfterSetup: number;
  bindGroupsAfterSetup: number;
}

export interface GpuEpoch {
  /** Median wall-clock milliseconds of an epoch: the order written, every step recorded, submitted once, and
   * the losses read back, as the trainer does with a log interval of a whole epoch. */
  epochMs: number;
  epochSamples: number[];
  /** The same epoch in chunks of 100 steps (the CLI's default --log-every): one submit and read back each. */
  epochMsChunks100: number | null;
  /** CPU time spent recording commands before they could be submitted (inside epochMs). */
  recordMs: number;
  /** CPU time spent recording the next chunk while the GPU ran this one (hidden, unless the GPU finishes first). */
  prerecordMs: number;
  evalMs: number;
  samplesPerSec: number;
  tflops: number;
  counts: EpochCounts;
  /** The last epoch's mean training loss: finite, or something is wrong. */
  loss: number;
}

/** Whole GPU epochs: one warm-up epoch (compilation, first-use costs), then `epochs` timed ones, median. */
export async function measureGpuEpochs(
  backend: WebGpuBackend,
  w: Workload,
  epochs: number,
  seed: number,
  optimizer: OptimizerName = 'sgd',
): Promise<GpuEpoch> {
  const spec = makeSpec(w.layers);
  const train = syntheticSet(w.trainSamples, w.layers[0], seed);
  const test = syntheticSet(w.testSamples, w.layers[0], seed + 1);
  const params = initParams(paramTable(spec), seed);
  const session = await backend.createSession({
    spec,
    params,
    batch: w.batch,
    learningRate: LEARNING_RATE,
    train,
    test,
    optimizer: makeOptimizer(optimizer),
  });
  try {
    const steps = session.stepsPerEpoch;
    const shuffle = new Rng(seed + 2);
    const order = Uint32Array.from({ length: w.trainSamples }, (_, i) => i);
    let run = 0; // the run's step count: Adam's bias corrections go on from epoch to epoch, as in training
    const epoch = async (chunk: number) => {
      const start = performance.now();
      session.setEpochOrder(shuffle.shuffle(order), run);
      run += steps;
      let loss = 0;
      for (let first = 0; first < steps; first += chunk) {
        const count = Math.min(chunk, steps - first);
        loss += (await session.trainSteps(first, count)) * count;
      }
      return { ms: performance.now() - start, loss: loss / steps };
    };
    await epoch(steps);
    await session.evaluate();
    const before = { ...session.stats };
    const times: number[] = [];
    let loss = NaN;
    for (let e = 0; e < epochs; e++) {
      const result = await epoch(steps);
      times.push(result.ms);
      loss = result.loss;
    }
    const after = { ...session.stats };
    const per = (key: 'dispatches' | 'computePasses' | 'submits' | 'readBacks' | 'writes') =>
      (after[key] - before[key]) / epochs;
    const recordMs = (after.recordMs - before.recordMs) / epochs;
    const prerecordMs = (after.prerecordMs - before.prerecordMs) / epochs;
    let epochMsChunks100: number | null = null;
    if (steps > 100) {
      const chunked: number[] = [];
      for (let e = 0; e < Math.max(1, Math.min(epochs, 3)); e++) chunked.push((await epoch(100)).ms);
      epochMsChunks100 = median(chunked);
    }
    const evals: number[] = [];
    for (let e = 0; e < Math.max(1, Math.min(epochs, 3)); e++) {
      const start = performance.now();
      await session.evaluate();
      evals.push(performance.now() - start);
    }
    const epochMs = median(times);
    return {
      epochMs,
      epochSamples: times,
      epochMsChunks100,
      recordMs,
      prerecordMs,
      evalMs: median(evals),
      samplesPerSec: (steps * w.batch) / (epochMs / 1000),
      tflops: (stepFlops(w) * steps) / (epochMs * 1e9),
      counts: {
        dispatchesPerStep: session.dispatchesPerStep,
        dispatches: per('dispatches'),
        computePasses: per('computePasses'),
        submits: per('submits'),
        readBacks: per('readBacks'),
        writes: per('writes'),
        buffersAfterSetup: after.buffersAfterSetup,
        bindGroupsAfterSetup: after.bindGroupsAfterSetup,
      },
      loss,
    };
  } finally {
    session.dispose();
  }
}

export interface CpuEpoch {
  /** Milliseconds per epoch, extrapolated: ms per sample of the steps timed, times the epoch's samples. */
  epochMs: number;
  samplesPerSec: number;
  extrapolatedFrom: { steps: number; batch: number };
}

/**
 * The CPU reference on a few steps (`budgetMs` of them after one warm-up step), extrapolated to the epoch. Large
 * workloads take a smaller batch so that a step fits the budget (the CPU's cost per sample hardly depends on the
 * batch); the figure says which.
 */
export async function measureCpuEpoch(
  w: Workload,
  budgetMs: number,
  seed: number,
  optimizer: OptimizerName = 'sgd',
): Promise<CpuEpoch> {
  const cpuFlopsPerMs = 2e6; // a guess (2 GFLOP/s) for picking the batch, not a measurement
  const perSample = stepFlops(w) / w.batch;
  let batch = w.batch;
  while (batch > 8 && perSample * batch > cpuFlopsPerMs * budgetMs) batch /= 2;
  batch = Math.floor(batch);
  const spec = makeSpec(w.layers);
  const samples = Math.max(batch * 4, 64);
  const train = syntheticSet(samples, w.layers[0], seed);
  const test = syntheticSet(16, w.layers[0], seed + 1);
  const session = await new CpuBackend().createSession({
    spec,
    params: initParams(paramTable(spec), seed),
    batch,
    learningRate: LEARNING_RATE,
    train,
    test,
    optimizer: makeOptimizer(optimizer),
  });
  session.setEpochOrder(new Rng(seed).shuffle(Uint32Array.from({ length: samples }, (_, i) => i)));
  const available = Math.floor(samples / batch);
  await session.trainSteps(0, 1); // warm-up: V8 optimises the loops
  let steps = 0;
  const start = performance.now();
  while (steps < 1 || (performance.now() - start < budgetMs && steps < 50)) {
    await session.trainSteps(steps % available, 1);
    steps++;
  }
  const msPerSample = (performance.now() - start) / (steps * batch);
  session.dispose();
  const epochSamples = stepsPerEpoch(w) * w.batch;
  return { epochMs: msPerSample * epochSamples, samplesPerSec: 1000 / msPerSample, extrapolatedFrom: { steps, batch } };
}

export interface Floors {
  flopsPerEpoch: number;
  /** FLOPs at cuBLAS's measured 52 TFLOP/s on the H100: no fp32 version runs much faster. */
  arithmeticMs: number;
  /** Dispatches at ~6 us each in one pass, plus one submit + read back per chunk, on the H100. */
  dispatchMs: number;
}

export function floors(w: Workload, dispatchesPerStep: number, submitsPerEpoch: number): Floors {
  const steps = stepsPerEpoch(w);
  const flopsPerEpoch = stepFlops(w) * steps;
  return {
    flopsPerEpoch,
    arithmeticMs: flopsPerEpoch / (H100.cublasTflops * 1e9),
    dispatchMs: (steps * dispatchesPerStep * H100.usPerDispatch) / 1000 + submitsPerEpoch * H100.msPerRoundTrip,
  };
}
