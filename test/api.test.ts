/** The MLP API on the CPU backend: classification on string labels, regression, evaluate, bytes, early stopping, abort, errors. */
import { describe, expect, it } from 'vitest';
import { type FitOptions, inkFromRgba, MLP, preprocessDigit, trainTestSplit } from '../src/index.js';
import { decodeCheckpoint } from '../src/io/checkpoint-codec.js';
import { colours, smooth } from './api-fixtures.js';
import { expectUserError } from './user-error.js';

const train = colours(240, 1);
const test = colours(90, 2);

describe('MLP on arrays, CPU', () => {
  it('classifies string labels, remembers the classes sorted, and evaluates', async () => {
    const model = await MLP.create({ inputs: 4, hidden: [24], outputs: 3, backend: 'cpu', seed: 3 });
    expect(model.backend).toBe('cpu');
    const epochs: number[] = [];
    let chunks = 0;
    const starts: unknown[] = [];
    const result = await model.fit(train.x, train.y, {
      epochs: 20,
      batchSize: 16,
      validationSplit: 0.2,
      testData: test,
      onStart: (start) => starts.push(start),
      onEpoch: (r) => epochs.push(r.epoch),
      onChunk: () => chunks++,
    });
    const { history } = result;
    expect(starts).toEqual([{ trainRows: 192, validationRows: 48, testRows: 90 }]);
    expect(epochs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(chunks).toBe(20); // 192 rows, 12 steps an epoch: one chunk each
    expect(history[19].valAccuracy).toBeGreaterThan(0.9);
    expect(model.classes).toEqual(['blue', 'green', 'red']);
    const metrics = await model.evaluate(test.x, test.y);
    expect(metrics).toEqual({ loss: history[19].testLoss, accuracy: history[19].testAccuracy });
    expect(result.test).toEqual(metrics);
    expect(result.val).toEqual({ loss: history[19].valLoss, accuracy: history[19].valAccuracy });
    expect((metrics as { accuracy: number }).accuracy).toBeGreaterThan(0.9);
    const p = await model.predict(test.x);
    expect([p.rows, p.cols]).toEqual([90, 3]);
    expect(p.columns).toEqual(['blue', 'green', 'red']);
    for (let r = 0; r < p.rows; r++) expect(p.row(r).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const right = p.labels!.filter((label, r) => label === test.y[r]).length / 90;
    expect(right).toBe((metrics as { accuracy: number }).accuracy);
    model.dispose();
  });

  it('says what a row is when x is one flat row, and that one class is too few', async () => {
    const model = await MLP.create({ inputs: 2, outputs: 2, backend: 'cpu' });
    await model.fit(
      [
        [0, 0],
        [1, 1],
      ],
      [0, 1],
      { epochs: 1 },
    );
    const flat = [1, 0] as unknown as number[][];
    await expectUserError(
      () => model.predict(flat),
      /^x\[0\] is a number, not a row: give x as rows of 2 features, e.g. \[\[0, 1\]\] for one row$/,
      'data',
    );
    const fresh = await MLP.create({ inputs: 2, outputs: 2, backend: 'cpu' });
    await expectUserError(
      () =>
        fresh.fit(
          [
            [0, 0],
            [1, 1],
          ],
          [0, 0],
        ),
      /^y holds one class \(0\): a classifier learns to tell two or more apart, so give rows of at least two classes$/,
      'data',
    );
    model.dispose();
    fresh.dispose();
  });

  it('quotes a setting given as a string, as the string it was', async () => {
    const model = await MLP.create({ inputs: 2, outputs: 2, backend: 'cpu' });
    const options = { learningRate: '0.1' } as unknown as FitOptions;
    await expectUserError(
      () =>
        model.fit(
          [
            [0, 0],
            [1, 1],
          ],
          [0, 1],
          options,
        ),
      /^learningRate "0\.1" is not valid: use a number above 0$/,
      'learningRate',
    );
    model.dispose();
  });

  it('exports the digit preparation the demo draws with, from the main entry', () => {
    // A 2-pixel-wide vertical stroke on a transparent 40x40 canvas: its alpha is the ink.
    const rgba = new Uint8ClampedArray(40 * 40 * 4);
    for (let y = 5; y < 35; y++) for (const x of [19, 20]) rgba[4 * (y * 40 + x) + 3] = 255;
    const pixels = preprocessDigit(inkFromRgba(rgba, 40, 40), 40, 40);
    expect(pixels).toHaveLength(28 * 28);
    expect(pixels!.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(preprocessDigit(inkFromRgba(new Uint8ClampedArray(16), 2, 2), 2, 2)).toBeNull();
  });

  it('asks for its options when MLP.create is given none', async () => {
    const create = MLP.create as (options?: unknown) => Promise<MLP>;
    await expectUserError(
      () => create(),
      /^MLP\.create needs its options: .*MLP\.create\(\{ inputs: 4, outputs: 3 \}\)$/,
      undefined,
    );
  });

  it('without testData, records carry no test figures', async () => {
    const model = await MLP.create({ inputs: 4, outputs: 3, backend: 'cpu' });
    const { history } = await model.fit(train.x, train.y, { epochs: 2 });
    expect(Object.keys(history[0]).sort()).toEqual([
      'epoch',
      'seconds',
      'steps',
      'trainAccuracy',
      'trainEvalLoss',
      'trainLoss',
    ]);
    const quiet = await model.fit(train.x, train.y, { epochs: 1, trainMetrics: false });
    expect(Object.keys(quiet.history[0]).sort()).toEqual(['epoch', 'seconds', 'steps', 'trainLoss']);
  });

  it('regresses a smooth target to R² 0.99 and more, in its units', async () => {
    const data = smooth(300, 3);
    const check = smooth(100, 4);
    const model = await MLP.create({ inputs: 2, hidden: [32], outputs: 1, task: 'regression', backend: 'cpu' });
    await model.fit(data.x, data.y, { epochs: 150, batchSize: 20, learningRate: 0.01 });
    const metrics = (await model.evaluate(check.x, check.y)) as { r2: number; rmse: number; mae: number; loss: number };
    expect(metrics.r2).toBeGreaterThanOrEqual(0.99);
    const p = await model.predict(check.x);
    expect(p.columns).toEqual(['y']);
    const rmse = Math.sqrt(check.y.reduce((s, v, r) => s + (p.values[r] - v) ** 2, 0) / 100);
    expect(Math.abs(rmse - metrics.rmse) / metrics.rmse).toBeLessThan(1e-4);
  });

  it('leaves Float32Array inputs and targets as given (it standardises copies), and refuses a NaN in one', async () => {
    const data = smooth(60, 5);
    const x = Float32Array.from(data.x.flat());
    const y = { data: Float32Array.from(data.y), rows: 60 };
    const [xBefore, yBefore] = [x.slice(), y.data.slice()];
    const model = await MLP.create({ inputs: 2, hidden: [8], outputs: 1, task: 'regression', backend: 'cpu' });
    await model.fit(x, y, { epochs: 2, batchSize: 20, validationSplit: 0.2 });
    await model.evaluate(x, y);
    await model.predict(x);
    expect([x, y.data]).toEqual([xBefore, yBefore]);
    x[7] = Number.NaN;
    await expectUserError(() => model.predict(x), /^x\[3\]\[1\] is NaN, not a finite float32 number/, 'data');
  });

  it('round-trips toBytes and fromBytes with the same predictions', async () => {
    const model = await MLP.create({ inputs: 4, hidden: [8, 8], outputs: 3, activation: 'tanh', backend: 'cpu' });
    await model.fit(train.x, train.y, {
      epochs: 3,
      batchSize: 32,
      optimizer: 'momentum',
      momentum: 0.8,
      schedule: 'cosine',
      dropout: 0.1,
    });
    const again = await MLP.fromBytes(model.toBytes(), { backend: 'cpu' });
    expect(again.layers).toEqual([4, 8, 8, 3]);
    expect((await again.predict(test.x)).values).toEqual((await model.predict(test.x)).values);
  });

  it('stops early, keeping the best epoch', async () => {
    const model = await MLP.create({ inputs: 4, hidden: [64], outputs: 3, backend: 'cpu' });
    const result = await model.fit(train.x, train.y, {
      epochs: 300,
      batchSize: 8,
      learningRate: 0.05,
      validationSplit: 0.25,
      earlyStopping: 3,
    });
    const { bestEpoch, stopped } = result.earlyStopping!;
    expect(stopped).toBe(true);
    expect(result.history.length).toBe(bestEpoch + 3);
    const best = result.history[bestEpoch - 1];
    // trainTestSplit holds out the rows that validationSplit does, by the same rule.
    const val = trainTestSplit(train.x, train.y, { testSize: 0.25 }).test;
    expect((await model.evaluate(val.x, val.y)).loss).toBe(best.valLoss);
  });

  it("resumes a checkpoint bitwise, cutting the saved run's chunks; the checkpoint keeps the caller's data", async () => {
    const options = { epochs: 4, batchSize: 16, chunkSteps: 5, validationSplit: 0.2, testData: test };
    const run = async (more: object) => {
      const saved: Uint8Array[] = [];
      const model = await MLP.create({ inputs: 4, hidden: [16], outputs: 3, backend: 'cpu', seed: 4 });
      const data = { trainLimit: 7, testSplit: 0.3 };
      const checkpoint = { every: 3, data, save: (bytes: Uint8Array) => void saved.push(bytes) };
      const result = await model.fit(train.x, train.y, { ...options, checkpoint, ...more });
      return { model, result, saved };
    };
    const whole = await run({});
    const part = await run({ maxSteps: 17 });
    const last = part.saved[part.saved.length - 1];
    expect(decodeCheckpoint(last, 'c').data).toEqual({
      trainSamples: 192,
      val: 48,
      validationSplit: 0.2,
      trainLimit: 7,
      testSplit: 0.3,
    });
    const resumed = await MLP.fromBytes(last, { backend: 'cpu' });
    const result = await resumed.fit(train.x, train.y, { resume: last, validationSplit: 0.2, testData: test });
    const strip = (history: { seconds: number }[]) => history.map(({ seconds: _, ...r }) => r);
    expect(strip(result.history)).toEqual(strip(whole.result.history));
    expect(resumed.weights()).toEqual(whole.model.weights());
    expect(result.test).toEqual(whole.result.test);
    for (const model of [whole.model, part.model, resumed]) model.dispose();
  });

  it('stops when its AbortSignal aborts, keeping the steps done', async () => {
    const model = await MLP.create({ inputs: 4, outputs: 3, backend: 'cpu' });
    const controller = new AbortController();
    let seen = 0;
    const fit = model.fit(train.x, train.y, {
      epochs: 1000,
      chunkSteps: 1,
      signal: controller.signal,
      onEpoch: (r) => {
        seen = r.epoch;
        if (r.epoch === 5) controller.abort(new Error('enough'));
      },
    });
    await expect(fit).rejects.toThrow('enough');
    expect(seen).toBe(5);
    expect((await model.predict(test.x)).rows).toBe(90); // trained, and free again
    await expect(model.fit(train.x, train.y, { signal: AbortSignal.abort() })).rejects.toThrow();
  });

  it('words errors by its own option names', async () => {
    const model = await MLP.create({ inputs: 4, outputs: 3, backend: 'cpu' });
    await expectUserError(
      () => model.fit(train.x, train.y, { batchSize: 0 }),
      /^batchSize 0 is out of range: use an integer >= 1$/,
      'batchSize',
    );
    await expectUserError(
      () => model.fit(train.x, train.y, { learningRate: -1 }),
      /^learningRate -1 is out of range: use a number above 0$/,
      'learningRate',
    );
    await expectUserError(
      () => model.fit(train.x, train.y, { momentum: 0.5 }),
      /^momentum applies to optimizer momentum, nesterov or rmsprop only$/,
      'momentum',
    );
    await expectUserError(
      () => model.fit(train.x, train.y, { schedule: 'step' }),
      /^schedule step needs stepSize N/,
      'stepSize',
    );
    await expectUserError(
      () => model.fit(train.x, train.y, { earlyStopping: 2 }),
      /^earlyStopping watches the validation loss.*validationSplit/,
      'earlyStopping',
    );
    await expectUserError(
      () => model.fit(train.x, train.y, { epochs: 1, chunkSteps: 0 }),
      /^chunkSteps 0 is out of range: use an integer >= 1$/,
      'chunkSteps',
    );
    await expectUserError(
      () => model.fit(train.x, train.y, { batch: 8 } as never),
      /^fit has no option "batch": its options are epochs, maxSteps, batchSize/,
      undefined,
    );
    await expectUserError(
      () => model.fit([[1, 2, 3]], ['a']),
      /^x\[0\] has 3 values, the model takes 4 features per row$/,
      'data',
    );
    await expectUserError(() => model.fit(train.x, train.y.slice(1)), /^x has 240 rows and y 239/, 'data');
    await expectUserError(
      () =>
        model.fit(
          train.x.map((r, i) => (i === 7 ? [r[0], NaN, r[2], r[3]] : r)),
          train.y,
        ),
      /^x\[7\]\[1\] is NaN/,
      'data',
    );
    await expectUserError(
      () => MLP.create({ inputs: 4, outputs: 3, hidden: [0] }),
      /^hidden must be a list of positive integer widths/,
      'hidden',
    );
    await expectUserError(
      () => MLP.create({ inputs: 4, outputs: 3, activation: 'swish' as never }),
      /^activation "swish" is not one of relu/,
      'activation',
    );
    await expectUserError(
      () => MLP.create({ inputs: 4, outputs: 2, backend: 'cpu' }).then((m) => m.fit(train.x, train.y)),
      /^y holds 3 classes \(blue, green, red\) and the model has outputs 2: create it with outputs: 3/,
      'layers',
    );
    await expectUserError(() => model.predict(test.x), /^predict needs a trained model/, undefined);
    await expectUserError(
      () => MLP.fromBytes(new Uint8Array(8), { backend: 'cpu' }),
      /^the model bytes: not a valid safetensors model file: .*give the bytes of model\.toBytes\(\)/,
      'savedModel',
    );
  });
});

describe('label smoothing, a setting of the table', () => {
  it('trains and evaluates with the smoothed criterion, and model bytes and checkpoints keep it', async () => {
    const smoothed = await MLP.create({
      inputs: 4,
      hidden: [16],
      outputs: 3,
      backend: 'cpu',
      seed: 2,
      labelSmoothing: 0.2,
    });
    const plain = await MLP.create({ inputs: 4, hidden: [16], outputs: 3, backend: 'cpu', seed: 2 });
    const saved: Uint8Array[] = [];
    const options = { epochs: 20, batchSize: 16, testData: test };
    const [a, b] = [
      await smoothed.fit(train.x, train.y, {
        ...options,
        checkpoint: { save: (bytes: Uint8Array) => void saved.push(bytes) },
      }),
      await plain.fit(train.x, train.y, options),
    ];
    expect(a.history[19].testAccuracy).toBeGreaterThan(0.9);
    // The smoothed target never reaches a probability of 1: its loss stays above the plain one's on the same data.
    expect(a.history[19].testLoss).toBeGreaterThan(b.history[19].testLoss!);
    expect((await smoothed.evaluate(test.x, test.y)).loss).toBe(a.history[19].testLoss);
    const again = await MLP.fromBytes(smoothed.toBytes(), { backend: 'cpu' });
    expect((await again.evaluate(test.x, test.y)).loss).toBe(a.history[19].testLoss);
    await expectUserError(
      () => plain.fit(train.x, train.y, { resume: saved[saved.length - 1] }),
      /^the checkpoint is of a model .*0\.2\), this one is/,
      'savedCheckpoint',
    );
    await expectUserError(
      () => smoothed.fit(train.x, train.y, { resume: saved[saved.length - 1], epochs: 30, chunkSteps: 5 }),
      /^epochs is set by the checkpoint being resumed: leave it out$/,
      undefined,
    );
    for (const model of [smoothed, plain, again]) model.dispose();
  });

  it('is refused by a regression, and out of [0, 1], with its name', async () => {
    await expectUserError(
      () => MLP.create({ inputs: 2, outputs: 1, task: 'regression', labelSmoothing: 0.1 }),
      /^labelSmoothing applies to loss softmax-cross-entropy only$/,
      'labelSmoothing',
    );
    await expectUserError(
      () => MLP.create({ inputs: 2, outputs: 3, labelSmoothing: 1.5 }),
      /^labelSmoothing 1.5 is out of range: use a number in \[0, 1\]$/,
      'labelSmoothing',
    );
  });
});
