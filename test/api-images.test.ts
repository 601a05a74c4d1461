/** MLP on byte images, CPU: the same training as the trainer's own on the same bytes, pause, model files, errors. */
import { describe, expect, it } from 'vitest';
import { MLP, type ModelOptions } from '../src/index.js';
import { CpuBackend, type ImageDataset, makeSpec, train } from '../src/lower.js';
import { makeOptimizer } from '../src/model/optimizer.js';
import { Rng } from '../src/model/rng.js';
import { expectUserError } from './user-error.js';

const PIXELS = 36;

/** Images of three classes: class c is bright in band c of three, over noise. */
function images(count: number, seed: number): ImageDataset {
  const rng = new Rng(seed);
  const inputs = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 3;
    labels[i] = label;
    for (let p = 0; p < PIXELS; p++) {
      const band = Math.floor((3 * p) / PIXELS);
      inputs[i * PIXELS + p] = Math.floor(rng.next() * 90) + (band === label ? 160 : 0);
    }
  }
  return { inputs, labels, count, features: PIXELS };
}

const trainSet = images(300, 1);
const testSet = images(90, 2);
const options: ModelOptions = {
  inputs: PIXELS,
  outputs: 3,
  hidden: [16],
  backend: 'cpu',
  seed: 4,
  images: { mean: 0.3, std: 0.35 },
};

describe('MLP on byte images, CPU', () => {
  it('trains as the trainer does on the same bytes and normalisation, bit for bit', async () => {
    const model = await MLP.create(options);
    const fitted = await model.fit(trainSet.inputs, trainSet.labels, {
      epochs: 3,
      batchSize: 20,
      learningRate: 0.05,
      optimizer: 'sgd',
      testData: { x: testSet.inputs, y: testSet.labels },
    });
    const spec = makeSpec([PIXELS, 16, 3], { inputMean: 0.3, inputStd: 0.35 });
    const direct = await train(
      new CpuBackend(),
      spec,
      { train: trainSet, test: testSet },
      {
        epochs: 3,
        batch: 20,
        learningRate: 0.05,
        seed: 4,
        logEvery: 100,
        optimizer: makeOptimizer('sgd', {}),
        schedule: { name: 'constant' },
        dropout: 0,
        shuffle: true,
        trainMetrics: true,
      },
    );
    expect(fitted.history.map((r) => r.testLoss)).toEqual(direct.history.map((r) => r.testLoss));
    const tested = direct.test;
    if (!tested) throw new Error('a run with a test set reports its figures');
    expect(fitted.history[2].testAccuracy).toBeGreaterThan(0.95);
    expect(fitted.history[2].trainAccuracy).toBe(direct.history[2].trainAccuracy);
    const metrics = await model.evaluate(testSet.inputs, Array.from(testSet.labels));
    expect(metrics).toEqual({ loss: tested.loss, accuracy: tested.accuracy });
    const p = await model.predict({ data: testSet.inputs, rows: testSet.count });
    expect(p.columns).toEqual(['0', '1', '2']);
    // An image model's labels are its class indices, numbers as y gave them.
    expect(p.labels!.filter((label, r) => label === testSet.labels[r]).length / testSet.count).toBe(tested.accuracy);
    const detail = await model.evaluateInDetail(testSet.inputs, testSet.labels);
    if (!('confusion' in detail)) throw new Error('a classifier reports its confusion matrix');
    const diagonal = [0, 4, 8].reduce((sum, i) => sum + detail.confusion[i], 0);
    expect([detail.confusion.reduce((a, b) => a + b, 0), diagonal / testSet.count]).toEqual([
      testSet.count,
      tested.accuracy,
    ]);
    expect(detail.perClassAccuracy).toEqual([0, 1, 2].map((c) => detail.confusion[4 * c] / 30));
    const again = await MLP.fromBytes(model.toBytes(), { backend: 'cpu' });
    expect(again.classes).toEqual(['0', '1', '2']);
    expect((await again.predict(testSet.inputs)).values).toEqual(p.values);
    model.dispose();
    again.dispose();
  });

  it('waits for a promise from onChunk (a pause), and gives the weights so far', async () => {
    const model = await MLP.create(options);
    const seen: number[] = [];
    let resume!: () => void;
    let paused = false;
    const fit = model.fit(trainSet.inputs, trainSet.labels, {
      epochs: 1,
      batchSize: 20,
      chunkSteps: 5,
      onChunk: async (progress, training) => {
        seen.push(progress.step);
        if (progress.step === 5) {
          expect((await training.weights()).length).toBe(PIXELS * 16 + 16 + 16 * 3 + 3);
          paused = true;
          await new Promise<void>((resolve) => (resume = resolve));
        }
      },
    });
    while (!paused) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([5]); // held at the pause
    resume();
    await fit;
    expect(seen).toEqual([5, 10, 15]);
    model.dispose();
  });

  it('says what is wrong with images and labels in one line', async () => {
    const model = await MLP.create(options);
    await expectUserError(
      () => model.fit([[1, 2]], [0]),
      /^x must be the images' bytes, a Uint8Array \[rows, 36\]/,
      'data',
    );
    await expectUserError(
      () => model.fit(new Uint8Array(40), [0]),
      /^x holds 40 bytes, not whole images of 36 pixels/,
      'data',
    );
    await expectUserError(
      () => model.fit(trainSet.inputs.subarray(0, 72), [0, 3]),
      /^y\[1\] is 3, not a class of this model: labels are 0 to 2$/,
      'data',
    );
    await expectUserError(
      () => MLP.create({ ...options, classes: ['a', 'b', 'c'] }),
      /^features, targets and classes name a table's columns/,
      undefined,
    );
    await expectUserError(
      () => MLP.create({ ...options, task: 'regression', outputs: 1 }),
      /^a model of images classifies them/,
      'task',
    );
    model.dispose();
  });
});
