/**
 * The one check of a session and of a run: errors that name the setting by its field, worded with the fields' names
 * in the library and with the flags in the CLI; the sizes it works out, taken by a backend only for their own
 * settings; the state a session starts from.
 */
import { describe, expect, it } from 'vitest';
import { checkRun, checkSession, startingState } from '../src/check.js';
import { cliMessage } from '../src/cli/failure.js';
import { CpuBackend } from '../src/cpu/backend.js';
import { holdOut } from '../src/data/split.js';
import { DataFitError, NoAdapterError, UserError } from '../src/errors.js';
import { makeOptimizer } from '../src/model/optimizer.js';
import { initParams } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { makeSpec } from '../src/model/spec.js';
import { DEFAULT_TRAIN_OPTIONS } from '../src/train/run.js';
import { randomArray } from './helpers.js';
import { toyDataset } from './toy.js';
import { expectUserError } from './user-error.js';

const spec = makeSpec([16, 24, 4], { inputMean: 0.5, inputStd: 0.3 });
const train = toyDataset(1, 100);
const test = toyDataset(2, 30);
const settings = { spec, batch: 10, learningRate: 0.1, train, test };

describe('a UserError worded by whoever shows it', () => {
  it('names its settings by their fields in the library and by their flags in the CLI', () => {
    const error = new UserError((n) => `${n('learningRate')} must be below ${n('minLr')}`, 'learningRate');
    expect(error.message).toBe('learningRate must be below minLr');
    expect(error.field).toBe('learningRate');
    expect(cliMessage(error)).toBe('--learning-rate must be below --min-lr');
    expect(cliMessage(new UserError('plain words'))).toBe('plain words');
    expect(new UserError('plain words').field).toBeUndefined();
  });

  it("leaves the CLI's way out of a missing adapter to the CLI", () => {
    const error = new NoAdapterError('no WebGPU adapter found. Install a driver');
    expect(error.message).not.toMatch(/--/);
    expect(cliMessage(error)).toBe('no WebGPU adapter found. Install a driver; or use --backend cpu');
  });

  it('holds out a validation set only of a size the training set allows', async () => {
    const error = await expectUserError(
      () => holdOut(train, 0.999),
      /^validationSplit 0.999 of 100 training rows holds out 100 rows: use a fraction/,
      'validationSplit',
    );
    expect(cliMessage(error)).toMatch(
      /^--validation-split 0.999 of 100 training rows holds out 100 rows: use a fraction between 0 and 1/,
    );
  });
});

describe('checkSession', () => {
  it("works out the sizes, with the optional settings' defaults", () => {
    const sizes = checkSession(settings);
    expect(sizes).toMatchObject({
      stepsPerEpoch: 10,
      slots: [],
      schedule: { name: 'constant' },
      optimizer: { name: 'sgd' },
    });
    expect(sizes.table.total).toBe(16 * 24 + 24 + 24 * 4 + 4);
    expect(checkSession({ ...settings, optimizer: makeOptimizer('adam') }).slots).toEqual(['exp_avg', 'exp_avg_sq']);
  });

  it('refuses settings and data with the setting named, and data that does not fit with its numbers', async () => {
    await expectUserError(
      () => checkSession({ ...settings, batch: 1.5 }),
      /^batchSize 1\.5 is not valid: use an integer >= 1$/,
      'batchSize',
    );
    await expectUserError(
      () => checkSession({ ...settings, learningRate: 0 }),
      /^learningRate 0 is out of range: use a number above 0$/,
      'learningRate',
    );
    await expectUserError(
      () => checkSession({ ...settings, dropout: { rate: 1, seed: 0 } }),
      /^dropout 1 is out of range: use a number in \[0, 1\)$/,
      'dropout',
    );
    const inputs = await expectUserError(
      () => checkSession({ ...settings, test: { ...test, features: 12 } }),
      /^the model's input size 16 does not match the test images \(12 pixels\): start layers with 12$/,
      'layers',
    );
    expect(inputs).toBeInstanceOf(DataFitError);
    expect(inputs).toMatchObject({ set: 'test', mismatch: 'inputs', model: 16, data: 12 });
    const labels = await expectUserError(
      () => checkSession({ ...settings, spec: makeSpec([16, 3]) }),
      /^the model has 3 outputs but the data has label 3: end layers with at least 4$/,
      'layers',
    );
    expect(labels).toMatchObject({ set: 'training', mismatch: 'labels', model: 3, data: 3 });
    // eval passes one set as both: it is the test set.
    await expectUserError(
      () => checkSession({ ...settings, spec: makeSpec([12, 4]), train: test, evaluateOnly: true }),
      /does not match the test images/,
      'layers',
    );
  });

  it('checks tables by their task: class labels of any count, target rows as wide as the outputs, float inputs for regression', async () => {
    const rng = new Rng(7);
    const table = (count: number, labels: Uint32Array | Float32Array) => ({
      inputs: randomArray(rng, count * 16),
      labels,
      count,
      features: 16,
    });
    const classes = table(
      100,
      Uint32Array.from({ length: 100 }, (_, i) => i % 300),
    );
    expect(() => checkSession({ ...settings, spec: makeSpec([16, 300]), train: classes, test: classes })).not.toThrow();
    const beyond = table(
      100,
      Uint32Array.from({ length: 100 }, (_, i) => (i === 42 ? 300 : 0)),
    );
    await expectUserError(
      () => checkSession({ ...settings, spec: makeSpec([16, 300]), train: beyond, test: classes }),
      /^the model has 300 outputs but the data has label 300: end layers with at least 301$/,
      'layers',
    );
    const floats = await expectUserError(
      () => checkSession({ ...settings, spec: makeSpec([12, 300]), train: classes, test: classes }),
      /^the model's input size 12 does not match the test data \(16 features\): start layers with 16$/,
      'layers',
    );
    expect(floats).toMatchObject({ mismatch: 'inputs', model: 12, data: 16 });

    const regression = makeSpec([16, 8, 3], { task: 'regression', loss: 'mse' });
    const targets = table(100, randomArray(rng, 300));
    expect(() => checkSession({ ...settings, spec: regression, train: targets, test: targets })).not.toThrow();
    const narrow = table(30, randomArray(rng, 60));
    const width = await expectUserError(
      () => checkSession({ ...settings, spec: regression, train: targets, test: narrow }),
      /^the model has 3 outputs but the test data has 2 targets: end layers with 2$/,
      'layers',
    );
    expect(width).toBeInstanceOf(DataFitError);
    expect(width).toMatchObject({ set: 'test', mismatch: 'targets', model: 3, data: 2 });

    const learnsLabels = await expectUserError(
      () => checkSession({ ...settings, spec: regression, train: classes, test: targets }),
      /^a regression model learns target values, and the training set holds class labels: use task classification$/,
      'task',
    );
    expect(cliMessage(learnsLabels)).toMatch(/use --task classification$/);
    await expectUserError(
      () => checkSession({ ...settings, spec: makeSpec([16, 3]), train: targets, test: targets }),
      /^a classifier learns class labels, and the test set holds target values: use task regression$/,
      'task',
    );
    const images = { ...train, labels: randomArray(rng, 300) };
    await expectUserError(
      () => checkSession({ ...settings, spec: regression, train: images, test: targets }),
      /^a regression model takes float32 inputs, and the training set holds byte images: use task classification$/,
      'task',
    );
  });

  it('startingState refuses parameters or optimiser state of other sizes, and initialises from a seed', async () => {
    const adam = { ...settings, optimizer: makeOptimizer('adam') };
    const sizes = checkSession(adam);
    const total = sizes.table.total;
    const start = (params: Float32Array | { seed: number }, optimizerState?: Float32Array[]) =>
      startingState({ ...adam, params, optimizerState }, sizes);
    await expectUserError(
      () => start(new Float32Array(3)),
      new RegExp(`^the parameters have 3 values, layers 16,24,4 need ${total}$`),
      undefined,
    );
    await expectUserError(
      () => start(new Float32Array(total), [new Float32Array(total)]),
      /^optimizer adam keeps 2 state arrays, got 1$/,
      undefined,
    );
    await expectUserError(
      () => start(new Float32Array(total), [new Float32Array(total), new Float32Array(3)]),
      new RegExp(`^optimizer state exp_avg_sq has 3 values, the model has ${total}$`),
      undefined,
    );
    await expectUserError(
      () => new CpuBackend().createSession({ ...settings, params: new Float32Array(3) }),
      /^the parameters have 3 values/,
      undefined,
    );
    expect(start({ seed: 7 }).params).toEqual(initParams(sizes.table, 7));
    const session = await new CpuBackend().createSession({ ...settings, params: { seed: 7 } });
    expect(await session.readParams()).toEqual(initParams(sizes.table, 7));
  });

  it('a session without a test set refuses evaluate("test")', async () => {
    const { test: _, ...untested } = settings;
    const session = await new CpuBackend().createSession({ ...untested, params: { seed: 1 } });
    await expect(session.evaluate('test')).rejects.toThrow(/^evaluate\("test"\) on a session without a test set$/);
    expect((await session.evaluate('train')).loss).toBeGreaterThan(0);
  });
});

describe('checkRun', () => {
  const options = { ...DEFAULT_TRAIN_OPTIONS, epochs: 2, batch: 10 };

  it("checks the options and the data, and gives the session's settings with the schedule resolved", () => {
    const run = checkRun(
      spec,
      { train, test },
      { ...options, dropout: 0.5, schedule: { name: 'cosine', minLr: 0.01 } },
    );
    expect(run.stepsPerEpoch).toBe(10);
    expect(run.settings.schedule).toEqual({ name: 'cosine', totalSteps: 20, minLr: 0.01 });
    expect(run.settings.dropout).toMatchObject({ rate: 0.5 });
    expect(checkRun(spec, { train, test }, options).settings.dropout).toBeUndefined();
  });

  it('refuses options of the run with the setting named', async () => {
    await expectUserError(
      () => checkRun(spec, { train, test }, { ...options, seed: -1 }),
      /^seed -1 is out of range: use an integer in 0\.\.4294967295$/,
      'seed',
    );
    await expectUserError(
      () => checkRun(spec, { train, test }, { ...options, logEvery: 0 }),
      /^chunkSteps 0 is out of range: use an integer >= 1$/,
      'chunkSteps',
    );
    await expectUserError(
      () => checkRun(spec, { train, test }, { ...options, maxSteps: 0 }),
      /^maxSteps 0 is out of range: use an integer >= 1$/,
      'maxSteps',
    );
    await expectUserError(
      () => checkRun(spec, { train, test }, { ...options, checkpointEvery: 2.5 }),
      /^checkpointEvery must/,
      'checkpointEvery',
    );
    const error = await expectUserError(
      () => checkRun(spec, { train, test }, { ...options, schedule: { name: 'cosine', minLr: 1 } }),
      /^minLr must be at least 0 and below learningRate 0\.1, got 1$/,
      'minLr',
    );
    expect(cliMessage(error)).toBe('--min-lr must be at least 0 and below --learning-rate 0.1, got 1');
  });
});
