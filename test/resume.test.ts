/**
 * Checkpoints and resume on the CPU backend: a run interrupted after a checkpoint and resumed from it (through the
 * checkpoint file's encoding) ends bitwise where the run that was never interrupted ends, for every optimiser,
 * schedule, dropout, validation and data order.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu/backend.js';
import { UserError } from '../src/errors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint-codec.js';
import { decodeModel } from '../src/io/model-codec.js';
import { makeOptimizer } from '../src/model/optimizer.js';
import { type ModelSpec, makeSpec } from '../src/model/spec.js';
import { type EpochRecord, type TrainOptions, type TrainState, train } from '../src/train/trainer.js';
import { toyDataset } from './toy.js';
import { expectUserError } from './user-error.js';

const spec = makeSpec([16, 24, 12, 4], { activation: 'gelu', inputMean: 0.5, inputStd: 0.3 });
const data = { train: toyDataset(1, 500), test: toyDataset(2, 100), val: toyDataset(3, 60) };
const base: TrainOptions = { epochs: 3, batch: 16, learningRate: 0.01, seed: 4, logEvery: 7 };
// 500 / 16 = 31 steps per epoch, 93 in all.

const withoutSeconds = (history: EpochRecord[]) => history.map(({ seconds: _, ...rest }) => rest);

/** A checkpoint through its file format and back, as --checkpoint and --resume do. */
function throughFile(s: ModelSpec, options: TrainOptions, state: TrainState): TrainState {
  const bytes = encodeCheckpoint({ spec: s, options, data: { trainSamples: data.train.count }, state });
  const back = decodeCheckpoint(bytes, 'c.safetensors');
  expect(back.spec).toEqual(s);
  expect(back.options).toEqual(JSON.parse(JSON.stringify(options)));
  return back.state;
}

const configs: [string, TrainOptions, ModelSpec][] = [
  [
    'adam, cosine, dropout',
    { ...base, optimizer: makeOptimizer('adam'), schedule: { name: 'cosine', minLr: 1e-4 }, dropout: 0.25 },
    spec,
  ],
  ['adamw', { ...base, optimizer: makeOptimizer('adamw'), learningRate: 0.003 }, spec],
  ['rmsprop', { ...base, optimizer: makeOptimizer('rmsprop'), learningRate: 0.001 }, spec],
  [
    'rmsprop with momentum, centred, weight decay, cosine',
    {
      ...base,
      optimizer: makeOptimizer('rmsprop', { momentum: 0.5, centered: true, alpha: 0.9, weightDecay: 1e-3 }),
      learningRate: 0.001,
      schedule: { name: 'cosine' },
    },
    spec,
  ],
  [
    'nesterov, step decay',
    {
      ...base,
      optimizer: makeOptimizer('nesterov', { weightDecay: 1e-3 }),
      schedule: { name: 'step', stepSize: 1, gamma: 0.5 },
    },
    spec,
  ],
  [
    'momentum, mse, no shuffling',
    { ...base, optimizer: makeOptimizer('momentum'), shuffle: false },
    makeSpec([16, 24, 4], { loss: 'mse', activation: 'tanh', inputMean: 0.5, inputStd: 0.3 }),
  ],
  ['plain sgd', { ...base, learningRate: 0.1 }, makeSpec([16, 24, 4], { inputMean: 0.5, inputStd: 0.3 })],
];

describe.each(configs)('resume with %s', (_, options, s) => {
  it.each([20, 31, 50])('interrupted after the checkpoint at step %i, resumes bitwise', async (at) => {
    const backend = new CpuBackend();
    const every = { ...options, checkpointEvery: at };
    // The run never interrupted, with the same checkpoint interval (so the same chunks, and the same loss sums).
    const whole = await train(backend, s, data, every);
    expect(whole.steps).toBe(93);

    // The same run, crashing at the first yield after the checkpoint at `at` (a few steps later).
    const saved: TrainState[] = [];
    let steps = 0;
    const crash = train(backend, s, data, every, {
      onProgress: (p) => (steps = (p.epoch - 1) * p.stepsPerEpoch + p.step),
      onCheckpoint: (state) => void saved.push(state),
      yieldPoint: async () => {
        if (steps > at) throw new Error('power cut');
      },
    });
    await expect(crash).rejects.toThrow('power cut');
    expect(saved.map((c) => c.step)).toEqual([at]);

    const resumed = await train(backend, s, data, every, {}, { resume: throughFile(s, every, saved[0]) });
    expect(resumed.params).toEqual(whole.params);
    expect(withoutSeconds(resumed.history)).toEqual(withoutSeconds(whole.history));
    expect(resumed.test).toEqual(whole.test);
  });
});

describe('stopping with --max-steps and resuming', () => {
  it('gives the uninterrupted parameters, the schedule spanning --epochs all along', async () => {
    const backend = new CpuBackend();
    const [, options] = configs[0];
    const whole = await train(backend, spec, data, options);
    let last: TrainState | undefined;
    const stopped = await train(
      backend,
      spec,
      data,
      { ...options, maxSteps: 40 },
      { onCheckpoint: (s) => void (last = s) },
    );
    expect(stopped.steps).toBe(40);
    // Epoch 1 complete, and epoch 2 partial: 9 of its 31 steps.
    expect(stopped.history.map((r) => [r.epoch, r.steps])).toEqual([
      [1, 31],
      [2, 9],
    ]);
    expect(last).toMatchObject({ step: 40, epoch: 2, epochStep: 9 });
    expect(last!.history).toHaveLength(1); // the partial epoch is not in the saved history: the resumed run finishes it
    const resumed = await train(backend, spec, data, options, {}, { resume: throughFile(spec, options, last!) });
    expect(resumed.params).toEqual(whole.params);
    expect(resumed.history.map((r) => r.epoch)).toEqual([1, 2, 3]);
  });

  it('a finished run saves its end, and resuming it trains nothing more', async () => {
    const backend = new CpuBackend();
    let last: TrainState | undefined;
    const whole = await train(backend, spec, data, base, { onCheckpoint: (s) => void (last = s) });
    expect(last).toMatchObject({ step: 93, epoch: 4, epochStep: 0 });
    const again = await train(backend, spec, data, base, {}, { resume: last });
    expect(again.params).toEqual(whole.params);
    expect(again.test).toEqual(whole.test);
    expect(again.history).toEqual(whole.history);
  });

  it('refuses a state that does not fit the run', async () => {
    const backend = new CpuBackend();
    let last: TrainState | undefined;
    await train(backend, spec, data, { ...base, maxSteps: 40 }, { onCheckpoint: (s) => void (last = s) });
    const resume = (state: TrainState, options = base) => train(backend, spec, data, options, {}, { resume: state });
    await expectUserError(
      () => resume(last!, { ...base, batch: 32 }),
      /cannot resume: the saved position .* resume with the data and batchSize of the saved run$/,
      'batchSize',
    );
    await expect(resume(last!, { ...base, optimizer: makeOptimizer('adam') })).rejects.toThrow(
      /optimiser state has 0 arrays, the optimiser keeps 2/,
    );
    await expect(resume({ ...last!, params: new Float32Array(3) })).rejects.toThrow(UserError);
  });
});

describe('--init', () => {
  it('starts from the given weights instead of the seeded initialisation', async () => {
    const backend = new CpuBackend();
    const first = await train(backend, spec, data, { ...base, epochs: 1 });
    const fromFile = decodeModel(
      encodeCheckpoint({
        spec,
        options: base,
        data: { trainSamples: 500 },
        state: {
          params: first.params,
          optimizer: [],
          step: 31,
          epoch: 2,
          epochStep: 0,
          shuffleState: [1, 2, 3, 4],
          epochLossSum: 0,
          history: [],
        },
      }),
      'c.safetensors',
    );
    expect(fromFile.params).toEqual(first.params); // a checkpoint loads as a model
    const continued = await train(backend, spec, data, { ...base, epochs: 1 }, {}, { params: fromFile.params });
    const fresh = await train(backend, spec, data, { ...base, epochs: 1 });
    expect(continued.history[0].trainLoss).toBeLessThan(fresh.history[0].trainLoss);
  });
});
