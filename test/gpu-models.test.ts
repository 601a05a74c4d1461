/**
 * Models trained together on the GPU (WebGpuBackend.createModels: every step of all K models in the same dispatches)
 * against each model trained alone on the GPU (modelAlone): the same kernels on other offsets, so the losses,
 * parameters, optimiser state, evaluations and outputs must be bit for bit the same, for every optimiser, with
 * dropout, a schedule, and folds of different sizes; one case against the CPU reference too. Then what K adds: as
 * many dispatches per step as one model, a stopped model that stays as it was, and a K too large refused up front.
 */
import { describe, expect, it } from 'vitest';
import { type Dataset, type ModelsOptions, type ModelVariant, modelAlone } from '../src/backend.js';
import { CpuBackend } from '../src/cpu/backend.js';
import { UserError } from '../src/errors.js';
import type { WebGpuModels } from '../src/gpu/session.js';
import type { WebGpuSession } from '../src/gpu/single-session.js';
import { makeOptimizer } from '../src/model/optimizer.js';
import { paramTable } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { makeSpec } from '../src/model/spec.js';
import { randomSessionData, randomTableData, useTestGpu } from './gpu-fixture.js';
import { expectClose, expectTensorsClose } from './helpers.js';

const fixture = useTestGpu();

const spec = makeSpec([13, 16, 3]);
const BATCH = 8;
// 43 training rows: 5 steps per epoch; 12 test and 10 validation rows: evaluation batches of 8 and a partial one.
const data = randomTableData(71, 13, { train: 43, test: 12, val: 10 }, 0, (rng, count) =>
  Uint32Array.from({ length: count }, () => rng.below(3)),
);

/** Rows 0..count-1 except every `fold`-th from `offset`: a k-fold complement, and the fold itself. */
function fold(count: number, folds: number, offset: number): { trainRows: Uint32Array; valRows: Uint32Array } {
  const all = Array.from({ length: count }, (_, r) => r);
  return {
    trainRows: Uint32Array.from(all.filter((r) => r % folds !== offset)),
    valRows: Uint32Array.from(all.filter((r) => r % folds === offset)),
  };
}

const sgd = (lr: number, weightDecay = 0): Partial<ModelVariant> => ({
  learningRate: lr,
  optimizer: makeOptimizer('sgd', { weightDecay }),
});

/** Each case: its models' own settings (params are seeded by index). */
const CASES: [string, Partial<ModelVariant>[]][] = [
  ['plain sgd, fused, rates differ', [sgd(0.1), sgd(0.05), sgd(0.3)]],
  [
    'momentum',
    [
      { learningRate: 0.05, optimizer: makeOptimizer('momentum', { momentum: 0.9 }) },
      { learningRate: 0.1, optimizer: makeOptimizer('momentum', { momentum: 0.5, dampening: 0.2 }) },
      { learningRate: 0.02, optimizer: makeOptimizer('momentum', { momentum: 0.8, weightDecay: 0.01 }) },
    ],
  ],
  [
    'nesterov',
    [
      { learningRate: 0.05, optimizer: makeOptimizer('nesterov', { momentum: 0.9 }) },
      { learningRate: 0.1, optimizer: makeOptimizer('nesterov', { momentum: 0.6, weightDecay: 0.001 }) },
    ],
  ],
  [
    'adam',
    [
      { learningRate: 0.01, optimizer: makeOptimizer('adam') },
      { learningRate: 0.003, optimizer: makeOptimizer('adam', { beta1: 0.8, beta2: 0.99, weightDecay: 0.01 }) },
      { learningRate: 0.02, optimizer: makeOptimizer('adam', { eps: 1e-6 }) },
    ],
  ],
  [
    'adamw',
    [
      { learningRate: 0.01, optimizer: makeOptimizer('adamw', { weightDecay: 0.1 }) },
      { learningRate: 0.005, optimizer: makeOptimizer('adamw', { weightDecay: 0.01, beta2: 0.95 }) },
    ],
  ],
  [
    'rmsprop, slots differ (momentum in one, centred in another)',
    [
      { learningRate: 0.01, optimizer: makeOptimizer('rmsprop') },
      { learningRate: 0.005, optimizer: makeOptimizer('rmsprop', { momentum: 0.9 }) },
      { learningRate: 0.002, optimizer: makeOptimizer('rmsprop', { centered: true, alpha: 0.9, weightDecay: 0.01 }) },
    ],
  ],
  [
    'dropout, rates differ (one 0)',
    [
      { ...sgd(0.1), dropout: { rate: 0.3, seed: 5 } },
      { ...sgd(0.1), dropout: { rate: 0, seed: 5 } },
      { ...sgd(0.2), dropout: { rate: 0.5, seed: 9 } },
    ],
  ],
  [
    'schedules, weight decay in some',
    [
      { ...sgd(0.2), schedule: { name: 'step', everySteps: 3, gamma: 0.5 } },
      { ...sgd(0.1, 0.01), schedule: { name: 'cosine', totalSteps: 10, minLr: 0.01 } },
      sgd(0.05),
    ],
  ],
  [
    'folds of different sizes: different steps per epoch',
    [
      { learningRate: 0.01, optimizer: makeOptimizer('adam'), ...fold(43, 3, 0) },
      { learningRate: 0.02, optimizer: makeOptimizer('adam'), ...fold(43, 3, 1) },
      { learningRate: 0.01, optimizer: makeOptimizer('adam'), ...fold(43, 2, 1) },
      { learningRate: 0.01, optimizer: makeOptimizer('adam'), ...fold(43, 4, 3) },
    ],
  ],
];

/** The models of the case whose name starts with `name`. */
const variantsOf = (name: string): Partial<ModelVariant>[] => CASES.find(([label]) => label.startsWith(name))![1];

function modelsOptions(variants: Partial<ModelVariant>[], sets: Partial<typeof data> = data): ModelsOptions {
  const { train, test, val } = { ...data, ...sets };
  const models = variants.map((v, i): ModelVariant => ({ params: { seed: 100 + i }, learningRate: 0.1, ...v }));
  return { spec, batch: BATCH, train, test, val: variants.some((v) => v.valRows) ? undefined : val, models };
}

/** An order over each model's own rows, per epoch. */
function orders(options: ModelsOptions, seed: number): Uint32Array[] {
  const rng = new Rng(seed);
  return options.models.map((m) =>
    rng.shuffle(Uint32Array.from({ length: m.trainRows?.length ?? options.train.count }, (_, r) => r)),
  );
}

/** Two epochs: the first from run step 0 in two chunks, the second from each model's own next run step. */
async function trainBoth(options: ModelsOptions, models: WebGpuModels, alone: WebGpuSession[]): Promise<void> {
  const steps = models.stepsPerEpoch;
  for (const epoch of [0, 1]) {
    const order = orders(options, epoch + 1);
    const firstSteps = steps.map((s) => epoch * s);
    models.setEpochOrders(order, firstSteps);
    alone.forEach((session, i) => session.setEpochOrder(order[i], firstSteps[i]));
    const most = Math.max(...steps);
    for (const [first, count] of [
      [0, 2],
      [2, most - 2],
    ]) {
      const got = await models.trainSteps(first, count);
      for (let i = 0; i < alone.length; i++) {
        const ran = Math.min(first + count, steps[i]) - first;
        const want = ran > 0 ? await alone[i].trainSteps(first, ran) : NaN;
        expect(got[i], `model ${i} loss, epoch ${epoch}, steps ${first}..`).toBe(want);
      }
    }
  }
}

/**
 * Trains the models together and each alone (two epochs), then compares everything bit for bit: losses, parameters,
 * optimiser state, evaluations of every set, and outputs (on a shared set, or on each model's own rows).
 */
async function compareToAlone(options: ModelsOptions): Promise<void> {
  const models = (await fixture.backend.createModels(options)) as WebGpuModels;
  const alone = await Promise.all(options.models.map((_, i) => fixture.backend.createSession(modelAlone(options, i))));
  try {
    expect(models.stepsPerEpoch).toEqual(alone.map((s) => s.stepsPerEpoch));
    // One model's dispatches, however many models (the most any model alone needs: rate 0 alone fuses its ReLU).
    expect(models.dispatchesPerStep).toBe(Math.max(...alone.map((s) => s.dispatchesPerStep)));
    const before = models.stats.dispatches;
    await trainBoth(options, models, alone);
    // Two epochs of the most steps any model takes, each step one model's dispatches.
    const most = Math.max(...models.stepsPerEpoch);
    expect(models.stats.dispatches - before).toBe(2 * most * models.dispatchesPerStep);
    const params = await models.readParams();
    const state = await models.readOptimizerState();
    for (let i = 0; i < alone.length; i++) {
      expect(params[i], `model ${i} params`).toEqual(await alone[i].readParams());
      expect(state[i], `model ${i} optimiser state`).toEqual(await alone[i].readOptimizerState());
    }
    for (const set of ['test', 'val', 'train'] as const) {
      const metrics = await models.evaluate(set);
      for (let i = 0; i < alone.length; i++) {
        expect(metrics[i], `model ${i} ${set}`).toEqual(await alone[i].evaluate(set));
      }
    }
    // Outputs on a shared set, or on each model's own rows where the models have them.
    const ownRows = options.models.some((m) => m.trainRows);
    for (const set of ownRows ? (['val', 'train'] as const) : (['test'] as const)) {
      const outputs = await models.outputs(set);
      for (let i = 0; i < alone.length; i++) {
        const rows = modelAlone(options, i)[set] as Dataset;
        expect(outputs[i], `model ${i} ${set} outputs`).toEqual(await alone[i].predict(rows));
      }
    }
    expect(models.stats.buffersAfterSetup + models.stats.bindGroupsAfterSetup).toBe(0);
  } finally {
    models.dispose();
    for (const session of alone) session.dispose();
  }
}

describe('K models trained together on the GPU, each against itself trained alone on the GPU', () => {
  it.each(CASES)('%s: losses, parameters, optimiser state, evaluations and outputs, bit for bit', (_, variants) =>
    compareToAlone(modelsOptions(variants)),
  );

  it('regression in folds: the targets of each model in its batches, bit for bit', () => {
    const sets = randomTableData(73, 13, { train: 40, test: 9, val: 11 }, 0, (rng, count) =>
      Float32Array.from({ length: count * 3 }, () => rng.uniform(-1, 1)),
    );
    const regression = makeSpec([13, 16, 3], { task: 'regression', loss: 'mse' });
    // In folds, so that the evaluations gather each model's own targets.
    const folds = variantsOf('momentum').map((v, i) => ({ ...v, ...fold(40, 3, i) }));
    return compareToAlone({ ...modelsOptions(folds, sets), spec: regression });
  });

  it('byte images in folds against the CPU reference (SequentialModels), within fp32 tolerances', async () => {
    const images = randomSessionData(72, 13, { train: 37, test: 9 }, 0);
    const imageSpec = makeSpec([13, 16, 10]);
    const options: ModelsOptions = {
      ...modelsOptions(
        variantsOf('folds')
          .slice(0, 3)
          .map((v, i) => ({ ...v, ...fold(37, 3, i) })),
      ),
      spec: imageSpec,
      train: images.train,
      test: images.test,
    };
    const gpu = await fixture.backend.createModels(options);
    const cpu = await new CpuBackend().createModels(options);
    try {
      for (const epoch of [0, 1]) {
        const order = orders(options, epoch + 7);
        const firstSteps = gpu.stepsPerEpoch.map((s) => epoch * s);
        gpu.setEpochOrders(order, firstSteps);
        cpu.setEpochOrders(order, firstSteps);
        const most = Math.max(...gpu.stepsPerEpoch);
        expectClose(await gpu.trainSteps(0, most), await cpu.trainSteps(0, most), { atol: 1e-6, rtol: 1e-5 }, 'loss');
      }
      const table = paramTable(imageSpec);
      const [gotParams, wantParams] = [await gpu.readParams(), await cpu.readParams()];
      gotParams.forEach((got, i) => expectTensorsClose(table, got, wantParams[i], { relative: 1e-4 }, `model ${i}`));
      for (const set of ['test', 'val', 'train'] as const) {
        const [got, want] = [await gpu.evaluate(set), await cpu.evaluate(set)];
        expectClose(
          got.map((m) => m.loss),
          want.map((m) => m.loss),
          { atol: 1e-6, rtol: 1e-5 },
          `${set} loss`,
        );
        expect(got.map((m) => m.accuracy)).toEqual(want.map((m) => m.accuracy));
      }
    } finally {
      gpu.dispose();
      cpu.dispose();
    }
  });

  it('a stopped model takes no more steps: its parameters and state stay as they were, the others train', async () => {
    const options = modelsOptions(variantsOf('adam'));
    const models = (await fixture.backend.createModels(options)) as WebGpuModels;
    try {
      const steps = models.stepsPerEpoch[0];
      models.setEpochOrders(orders(options, 1), [0, 0, 0]);
      await models.trainSteps(0, steps);
      const [params, state] = [await models.readParams(), await models.readOptimizerState()];
      models.stop(1);
      models.setEpochOrders(orders(options, 2), [steps, steps, steps]);
      const losses = await models.trainSteps(0, steps);
      expect(Number.isNaN(losses[1]) && !Number.isNaN(losses[0]) && !Number.isNaN(losses[2])).toBe(true);
      const [after, stateAfter] = [await models.readParams(), await models.readOptimizerState()];
      expect(after[1]).toEqual(params[1]);
      expect(stateAfter[1]).toEqual(state[1]);
      for (const i of [0, 2]) expect(after[i]).not.toEqual(params[i]);
    } finally {
      models.dispose();
    }
  });

  it('refuses more models than the GPU holds at once, before allocating anything, naming the fix', async () => {
    const wide = makeSpec([13, 1024, 3]);
    const perModel = paramTable(wide).total * 4;
    const k = Math.floor(fixture.gpu.device.limits.maxStorageBufferBindingSize / perModel) + 1;
    const options: ModelsOptions = {
      ...modelsOptions(Array.from({ length: k }, () => sgd(0.1))),
      spec: wide,
    };
    const error = await fixture.backend.createModels(options).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/of \d+ models need .*: train fewer models at once$/);
    expect((error as Error).message).not.toContain('\n');
  });
});
