/**
 * The API keeps what it is given: labels come back in their type, through the model file too; typed arrays of labels;
 * predict and evaluate typed by task (this file type-checks under --strict with no casts); summary().
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ClassLabel, MLP } from '../src/index.js';
import { encodeModel } from '../src/io/model-codec.js';
import { loadModel, saveModel } from '../src/node.js';
import { colours } from './api-fixtures.js';
import { expectUserError } from './user-error.js';

const xor = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
const options = { epochs: 300, batchSize: 4, learningRate: 0.05 };

async function xorModel(): Promise<MLP<'classification'>> {
  return MLP.create({ inputs: 2, hidden: [8], outputs: 2, activation: 'tanh', backend: 'cpu', seed: 2 });
}

describe('labels keep their type', () => {
  it('numbers stay numbers, in predict and after the model file', async () => {
    const model = await xorModel();
    await model.fit(xor, [0, 1, 1, 0], options);
    const p = await model.predict(xor);
    expect(p.labels).toEqual([0, 1, 1, 0]);
    expect(p.labels[1] === 1).toBe(true);
    const again = await MLP.fromBytes(model.toBytes(), { backend: 'cpu', task: 'classification' });
    expect((await again.predict(xor)).labels).toEqual([0, 1, 1, 0]);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlp-labels-')), 'xor.safetensors');
    saveModel(file, model);
    const loaded = await loadModel(file, { backend: 'cpu', task: 'classification' });
    expect((await loaded.predict(xor)).labels).toEqual([0, 1, 1, 0]);
    loaded.dispose();
    fs.rmSync(path.dirname(file), { recursive: true });
    // A second fit, with the labels as strings, keeps the model's type: the first fit fixed it.
    await model.fit(xor, ['0', '1', '1', '0'], { epochs: 1 });
    expect((await model.predict(xor)).labels[0]).toBe(0);
    model.dispose();
    again.dispose();
  });

  it('strings stay strings, and a mix of numbers and strings is strings', async () => {
    const model = await xorModel();
    await model.fit(xor, ['no', 'yes', 'yes', 'no'], options);
    expect((await model.predict(xor)).labels).toEqual(['no', 'yes', 'yes', 'no']);
    const mixed = await xorModel();
    await mixed.fit(xor, [0, '1', 1, '0'], options);
    expect((await mixed.predict(xor)).labels).toEqual(['0', '1', '1', '0']);
    model.dispose();
    mixed.dispose();
  });

  it('takes typed arrays of class numbers, and gives numbers back', async () => {
    for (const y of [Uint8Array.of(0, 1, 1, 0), Int32Array.of(0, 1, 1, 0), Float32Array.of(0, 1, 1, 0)]) {
      const model = await xorModel();
      await model.fit(xor, y, options);
      const labels: ClassLabel[] = (await model.predict(xor)).labels;
      expect(labels).toEqual([0, 1, 1, 0]);
      expect((await model.evaluate(xor, y)).accuracy).toBe(1);
      model.dispose();
    }
    const model = await xorModel();
    await expectUserError(
      () => model.fit(xor, Float32Array.of(0, 1, 0.5, 0)),
      /^y holds 3 classes \(0, 0\.5, 1\) and the model has outputs 2/,
      'layers',
    );
    model.dispose();
  });

  it('reads a model file without the label type (an older one) as strings', async () => {
    const model = await xorModel();
    await model.fit(xor, [0, 1, 1, 0], { epochs: 1 });
    const { data, ...spec } = model.spec;
    const { classType, ...older } = data!;
    expect(classType).toBe('number');
    const loaded = await MLP.fromBytes(encodeModel({ ...spec, data: older }, model.weights()), { backend: 'cpu' });
    expect((await loaded.predict(xor)).labels).toEqual((await model.predict(xor)).labels.map(String));
    model.dispose();
    loaded.dispose();
  });
});

describe('typed by task', () => {
  it("gives a classifier's accuracy and labels, a regression's errors, with no cast", async () => {
    const train = colours(60, 1);
    const classifier = await MLP.create({ inputs: 4, outputs: 3, backend: 'cpu' });
    const fitted = await classifier.fit(train.x, train.y, { epochs: 2, validationSplit: 0.2 });
    const accuracy: number = (await classifier.evaluate(train.x, train.y)).accuracy;
    const perClass: number[] = (await classifier.evaluateInDetail(train.x, train.y)).perClassAccuracy;
    const valAccuracy: number | undefined = fitted.val?.accuracy;
    const first: ClassLabel = (await classifier.predict(train.x)).labels[0];
    expect([typeof accuracy, perClass.length, typeof valAccuracy, typeof first]).toEqual([
      'number',
      3,
      'number',
      'string',
    ]);
    const regression = await MLP.create({ inputs: 1, outputs: 1, task: 'regression', backend: 'cpu' });
    await regression.fit([[0], [1], [2], [3]], [0, 2, 4, 6], { epochs: 1 });
    const metrics = await regression.evaluate([[0], [1]], [0, 2]);
    const rmse: number = metrics.rmse;
    // @ts-expect-error: a regression has no accuracy
    expect(metrics.accuracy).toBeUndefined();
    expect((await regression.predict([[0]])).labels).toBeUndefined();
    expect(rmse).toBeGreaterThanOrEqual(0);
    classifier.dispose();
    regression.dispose();
  });

  it('checks the task fromBytes is told, in one line', async () => {
    const regression = await MLP.create({ inputs: 1, outputs: 1, task: 'regression', backend: 'cpu' });
    await regression.fit([[0], [1]], [0, 1], { epochs: 1 });
    await expectUserError(
      () => MLP.fromBytes(regression.toBytes(), { task: 'classification', source: 'r.safetensors' }),
      /^r\.safetensors: a regression model, where task asks for a classification one: leave task out, or load/,
      'task',
    );
    regression.dispose();
  });
});

describe('summary', () => {
  it('lists the layers, the parameters, the backend and the device', async () => {
    const model = await MLP.create({ inputs: 4, hidden: [16, 8], outputs: 3, backend: 'cpu' });
    expect(model.parameterCount).toBe(4 * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3);
    expect(model.parameterCount).toBe(model.weights().length);
    const lines = model.summary().split('\n');
    expect(lines[0]).toBe(`MLP, a classifier of 3 classes, on cpu: ${model.device}`);
    expect(lines.slice(1)).toEqual([
      '  Linear(4, 16) + relu     80 parameters',
      '  Linear(16, 8) + relu    136 parameters',
      '  Linear(8, 3) + softmax   27 parameters',
      '  243 parameters in all',
    ]);
    await model.fit(colours(30, 1).x, colours(30, 1).y, { epochs: 1 });
    expect(model.summary().split('\n')[0]).toMatch(/^MLP, a classifier of 3 classes \(blue, green, red\), on cpu: /);
    const regression = await MLP.create({ inputs: 2, hidden: [], outputs: 1, task: 'regression', backend: 'cpu' });
    expect(regression.summary().split('\n').slice(1)).toEqual([
      '  Linear(2, 1)  3 parameters',
      '  3 parameters in all',
    ]);
    model.dispose();
    regression.dispose();
  });
});
