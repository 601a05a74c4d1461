/**
 * What the GPU session tests share: the test GPU with a WebGPU backend (and, for files that also dispatch kernels
 * alone, a KernelRunner), opened before a file's tests and closed after them; seeded data to make sessions from; and
 * the tolerance of a mean loss.
 */
import { afterAll, beforeAll } from 'vitest';
import type { Dataset, ImageDataset } from '../src/backend.js';
import { createWebGpuBackend, type WebGpuBackend } from '../src/gpu/backend.js';
import type { Gpu } from '../src/gpu/device.js';
import { nodeShaderLoader } from '../src/gpu/shaders-node.js';
import { Rng } from '../src/model/rng.js';
import { KernelRunner, openTestGpu } from './gpu-setup.js';
import { randomArray, randomDataset } from './helpers.js';

/**
 * The net the session tests train, and its batch: awkward on purpose. 20, 33 and 17 are multiples of no matmul tile
 * (64 wide, 16 deep), and a batch of 7 is a multiple of nothing.
 */
export const LAYERS = [20, 33, 17, 10];
export const BATCH = 7;

/** Evaluation batches of 8 rows, so that a set of 23 or 13 ends with a partial batch. */
export const EVAL_ROWS = 8;

/** Mean losses: a log of a sum of exps, or a mean of squares, over fp32 outputs: 1e-5 relative. */
export const lossTol = { atol: 1e-6, rtol: 1e-5 };

export interface TestGpu {
  readonly gpu: Gpu;
  /** A WebGPU backend on `gpu` with evaluation batches of EVAL_ROWS. */
  readonly backend: WebGpuBackend;
  /** Only with `{ kernels: true }`. */
  readonly kernels: KernelRunner;
}

/**
 * Opens the test GPU before this file's tests and closes everything after them. The fields are set in beforeAll, so
 * read them inside tests and hooks, not at a file's top level.
 */
export function useTestGpu(options: { kernels?: boolean } = {}): TestGpu {
  let gpu: Gpu | undefined;
  let backend: WebGpuBackend | undefined;
  let kernels: KernelRunner | undefined;
  beforeAll(async () => {
    gpu = await openTestGpu();
    if (options.kernels) kernels = await KernelRunner.create(gpu);
    backend = await createWebGpuBackend(nodeShaderLoader, { gpu, evalRows: EVAL_ROWS });
  });
  afterAll(() => {
    backend?.dispose();
    kernels?.destroy();
    gpu?.destroy();
  });
  const opened = <T>(value: T | undefined, what: string): T => {
    if (value === undefined)
      throw new Error(`useTestGpu: no ${what} (read it inside a test; kernels need { kernels: true })`);
    return value;
  };
  return {
    get gpu() {
      return opened(gpu, 'gpu');
    },
    get backend() {
      return opened(backend, 'backend');
    },
    get kernels() {
      return opened(kernels, 'kernel runner');
    },
  };
}

export interface SessionData<D extends Dataset = ImageDataset> {
  train: D;
  test: D;
  /** Only when a validation count is given. */
  val?: D;
  /** Epoch orders: shuffles of the training set's indices. */
  orders: Uint32Array[];
}

/**
 * Random byte data sets of `features` pixels, drawn in this order from one generator seeded with `seed`: the training
 * set, the test set, the validation set (when `counts.val` is given), then `orders` shuffles of the training set.
 */
export function randomSessionData(
  seed: number,
  features: number,
  counts: { train: number; test: number; val?: number },
  orders: number,
): SessionData {
  const rng = new Rng(seed);
  const train = randomDataset(rng, counts.train, features);
  const test = randomDataset(rng, counts.test, features);
  const val = counts.val === undefined ? undefined : randomDataset(rng, counts.val, features);
  const shuffles = Array.from({ length: orders }, () =>
    rng.shuffle(Uint32Array.from({ length: train.count }, (_, i) => i)),
  );
  return { train, test, val, orders: shuffles };
}

/** A table's labels for `count` samples: class indices, or a regression's target rows. */
export type TableLabels = (rng: Rng, count: number) => Dataset['labels'];

/**
 * Random float32 tables of `features` inputs in [-2, 2) (about what standardised columns hold), drawn as
 * randomSessionData draws its sets: the training set, the test set, the validation set, then the orders; each set's
 * inputs before its labels.
 */
export function randomTableData(
  seed: number,
  features: number,
  counts: { train: number; test: number; val: number },
  orders: number,
  labels: TableLabels,
): Required<SessionData<Dataset>> {
  const rng = new Rng(seed);
  const table = (count: number): Dataset => ({
    inputs: randomArray(rng, count * features, -2, 2),
    labels: labels(rng, count),
    count,
    features,
  });
  const [train, test, val] = [table(counts.train), table(counts.test), table(counts.val)];
  const shuffles = Array.from({ length: orders }, () =>
    rng.shuffle(Uint32Array.from({ length: train.count }, (_, i) => i)),
  );
  return { train, test, val, orders: shuffles };
}
