/**
 * Whole wasm sessions against the reference's: the same steps (two epoch orders, a schedule's worth of step numbers),
 * then evaluation and prediction, for every optimiser, activation, dropout and both tasks; and a session on two threads
 * bitwise the same as on one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, SessionOptions, TrainingSession } from '../src/backend.js';
import { CpuBackend } from '../src/cpu/backend.js';
import { makeOptimizer, OPTIMIZERS } from '../src/model/optimizer.js';
import { initParams, paramTable } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { type Activation, type ModelSpec, makeSpec } from '../src/model/spec.js';
import { WasmBackend } from '../src/wasm/backend.js';
import { expectClose, expectTensorsClose, randomArray, randomDataset } from './helpers.js';

const LAYERS = [20, 33, 17, 10];
const lossTol = { atol: 1e-6, rtol: 1e-5 };

let one: WasmBackend;
let two: WasmBackend;
beforeAll(async () => {
  [one, two] = [await WasmBackend.create({ threads: 1 }), await WasmBackend.create({ threads: 2 })];
});
afterAll(() => {
  one.dispose();
  two.dispose();
});

function images(seed: number, features: number, counts = { train: 75, test: 23, val: 13 }) {
  const rng = new Rng(seed);
  return {
    train: randomDataset(rng, counts.train, features),
    test: randomDataset(rng, counts.test, features),
    val: randomDataset(rng, counts.val, features),
  };
}

function regression(seed: number, features: number, outputs: number) {
  const rng = new Rng(seed);
  const set = (count: number): Dataset => ({
    inputs: randomArray(rng, count * features, -2, 2),
    labels: randomArray(rng, count * outputs),
    count,
    features,
  });
  return { train: set(75), test: set(23), val: set(13) };
}

function orders(seed: number, count: number): Uint32Array[] {
  const rng = new Rng(seed);
  return [0, 1].map(() => rng.shuffle(Uint32Array.from({ length: count }, (_, i) => i)));
}

/** Two epochs' chunks (3 steps from step 0, 2 from step 10), evaluation of both sets and a prediction on both. */
async function compare(options: SessionOptions, what: string, backend = one): Promise<Float32Array> {
  const reference = await new CpuBackend().createSession(options);
  const session = await backend.createSession(options);
  try {
    const epochOrders = orders(7, options.train.count);
    for (const [order, firstStep, count] of [
      [epochOrders[0], 0, 3],
      [epochOrders[1], 10, 2],
    ] as const) {
      const pair: TrainingSession[] = [session, reference];
      for (const s of pair) s.setEpochOrder(order, firstStep);
      const [got, want] = [await session.trainSteps(0, count), await reference.trainSteps(0, count)];
      expectClose([got], [want], lossTol, `${what}: mean loss`);
    }
    const params = await session.readParams();
    expectTensorsClose(paramTable(options.spec), params, await reference.readParams(), { relative: 1e-4 }, what);
    const [state, wantState] = [await session.readOptimizerState(), await reference.readOptimizerState()];
    expect(state.length).toBe(wantState.length);
    state.forEach((slot, i) => expectClose(slot, wantState[i], { atol: 1e-6, rtol: 1e-3 }, `${what}: state ${i}`));
    for (const set of ['test', 'val', 'train'] as const) {
      const [got, want] = [await session.evaluate(set), await reference.evaluate(set)];
      expectClose([got.loss], [want.loss], lossTol, `${what}: ${set} loss`);
      expect(got.accuracy, `${what}: ${set} accuracy`).toEqual(want.accuracy);
    }
    const predicted = await session.predict(options.val as Dataset);
    expectClose(predicted, await reference.predict(options.val as Dataset), { atol: 1e-5, rtol: 1e-4 }, what);
    return params;
  } finally {
    session.dispose();
    reference.dispose();
  }
}

function options(
  spec: ModelSpec,
  sets: { train: Dataset; test: Dataset; val: Dataset },
  extra: Partial<SessionOptions> = {},
) {
  return {
    spec,
    params: initParams(paramTable(spec), 11),
    batch: 7,
    learningRate: spec.loss === 'mse' ? 0.5 : 0.1,
    ...sets,
    ...extra,
  };
}

describe('wasm sessions against the reference', () => {
  const sets = images(606, LAYERS[0]);

  for (const name of OPTIMIZERS) {
    it(`trains with ${name} as the reference does`, async () => {
      const optimizer = makeOptimizer(name, name === 'rmsprop' ? { momentum: 0.5, centered: true } : {});
      const schedule = { name: 'cosine', totalSteps: 20, minLr: 0.001 } as const;
      await compare(options(makeSpec(LAYERS), sets, { optimizer, schedule, learningRate: 0.01 }), name);
    });
  }

  const activations: Activation[] = ['relu', 'leaky-relu', 'sigmoid', 'tanh', 'gelu'];
  for (const activation of activations) {
    it(`computes ${activation} layers with dropout as the reference does`, async () => {
      const spec = makeSpec(LAYERS, { activation });
      await compare(options(spec, sets, { dropout: { rate: 0.3, seed: 0x5eed } }), `${activation}, dropout`);
    });
  }

  it('trains a regression (float inputs, three targets, MSE) as the reference does', async () => {
    const spec = makeSpec([12, 16, 3], { task: 'regression', loss: 'mse', inputMean: 0, inputStd: 1 });
    await compare(options(spec, regression(7, 12, 3)), 'regression');
  });

  it('gives bitwise the same session on two threads as on one, at sizes the threads share', async () => {
    const spec = makeSpec([784, 128, 10]);
    // Batch 128: 12.8 million multiply-adds in the first layer's matmuls, which the threads share.
    const big = images(9, 784, { train: 400, test: 300, val: 40 });
    const settings = options(spec, big, { batch: 128, optimizer: makeOptimizer('adam'), learningRate: 0.001 });
    const [alone, shared] = [await compare(settings, '1 thread'), await compare(settings, '2 threads', two)];
    expect(shared).toEqual(alone);
  });
});

describe('wasm sessions beyond WebAssembly memory', () => {
  it('refuse a model larger than 4 GiB in one line, before allocating it', async () => {
    const spec = makeSpec([784, 40_000, 40_000, 10]); // 1.6 billion weights: 6.4 GB of parameters alone
    const sets = images(3, 784, { train: 8, test: 4, val: 4 });
    const settings = { spec, params: { seed: 1 }, batch: 4, learningRate: 0.1, ...sets };
    await expect(one.createSession(settings)).rejects.toThrow(
      /^the model needs \d+\.\d GiB of WebAssembly memory, more than its 4 GiB: use backend webgpu, or a smaller batch or layers$/,
    );
  });
});
