import { describe, expect, it } from 'vitest';
import { analyseTestSet, Predictor, softmax } from '../demo/src/predict.js';
import { parseHidden, parseSettings } from '../demo/src/settings.js';
import type { ImageDataset } from '../src/backend.js';
import { CpuBackend } from '../src/cpu/backend.js';
import { makeOptimizer } from '../src/model/optimizer.js';
import { initParams, paramTable } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { makeSpec } from '../src/model/spec.js';
import { train } from '../src/train/trainer.js';

/** 16 random bytes per sample; the label is which quarter of them is brightest: learnable, but not at once. */
function quarters(seed: number, count: number): ImageDataset {
  const rng = new Rng(seed);
  const pixels = Uint8Array.from({ length: count * 16 }, () => rng.below(256));
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const sums = [0, 1, 2, 3].map((q) =>
      pixels.subarray(i * 16 + q * 4, i * 16 + q * 4 + 4).reduce((a, b) => a + b, 0),
    );
    labels[i] = sums.indexOf(Math.max(...sums));
  }
  return { inputs: pixels, labels, count, features: 16 };
}

describe('the page’s predictions', () => {
  it('softmax is stable for large logits and sums to one', () => {
    const p = softmax([1000, 1001, 999]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[1]).toBeGreaterThan(p[0]);
  });

  it('analyseTestSet counts what the CPU backend evaluates, and the confusion matrix adds up', async () => {
    const spec = makeSpec([16, 12, 4]);
    const data = { train: quarters(1, 512), test: quarters(2, 700) };
    const result = await train(new CpuBackend(), spec, data, {
      epochs: 2,
      batch: 32,
      learningRate: 0.05,
      seed: 3,
      logEvery: 4,
    });
    let pauses = 0;
    const analysis = await analyseTestSet(spec, result.params, data.test, async () => void pauses++);
    expect(analysis.correct / analysis.count).toBeCloseTo(result.test!.accuracy, 10);
    expect(pauses).toBe(2); // 700 rows in batches of 500
    expect(analysis.confusion.reduce((a, b) => a + b, 0)).toBe(700);
    let diagonal = 0;
    for (let c = 0; c < 4; c++) diagonal += analysis.confusion[c * 4 + c];
    expect(diagonal).toBe(analysis.correct);

    // One image at a time gives the same answer as the batch.
    const predictor = new Predictor(spec, result.params);
    for (let i = 0; i < 20; i++) {
      const probs = predictor.probabilities(data.test.inputs.subarray(i * 16, (i + 1) * 16));
      expect(probs.indexOf(Math.max(...probs))).toBe(analysis.predicted[i]);
      expect(Math.max(...probs)).toBeCloseTo(analysis.confidence[i], 5);
    }
  });

  it('gives the hidden layers’ outputs of one image, which the last layer turns into its probabilities', () => {
    const spec = makeSpec([16, 12, 8, 4], { activation: 'tanh' });
    const params = initParams(paramTable(spec), 5);
    const predictor = new Predictor(spec, params);
    const image = quarters(3, 1).inputs;
    const hidden = predictor.hiddenOutputs(image);
    expect(hidden.map((h) => h.length)).toEqual([12, 8]);
    expect(hidden.every((h) => h.every((v) => v > -1 && v < 1))).toBe(true); // tanh's range
    const last = paramTable(spec).layers[2];
    const logits = Array.from({ length: 4 }, (_, o) => {
      let sum = params[last.bias.offset + o];
      for (let i = 0; i < 8; i++) sum += params[last.weight.offset + o * 8 + i] * hidden[1][i];
      return sum;
    });
    const expected = softmax(logits);
    predictor.probabilities(image).forEach((p, c) => expect(p).toBeCloseTo(expected[c], 6));
  });

  it('refuses parameters of the wrong size', () => {
    const spec = makeSpec([16, 4]);
    expect(() => new Predictor(spec, initParams(paramTable(makeSpec([16, 5])), 1))).toThrow(
      /85 parameters for layers 16,4, need 68/,
    );
  });
});

describe('the page’s settings form', () => {
  const good = { hidden: '256, 128', batch: '64', learningRate: '0.1', epochs: '3', seed: '1', backend: 'webgpu' };

  it('reads good settings', () => {
    expect(parseSettings(good, 60000)).toEqual({
      ok: true,
      value: {
        hidden: [256, 128],
        batch: 64,
        learningRate: 0.1,
        epochs: 3,
        seed: 1,
        backend: 'webgpu',
        // Not in the form's text: the CLI's defaults.
        activation: 'relu',
        loss: 'softmax-cross-entropy',
        dropout: 0,
        labelSmoothing: 0,
        optimizer: makeOptimizer('sgd'),
        schedule: { name: 'constant' },
      },
    });
    expect(parseHidden('')).toEqual({ ok: true, value: [] });
  });

  it('names the field and the fix in one sentence', () => {
    const bad = (field: Partial<typeof good>, trainCount = 60000) => {
      const parsed = parseSettings({ ...good, ...field }, trainCount);
      return parsed.ok ? 'ok' : parsed.error;
    };
    expect(bad({ hidden: '128, x' })).toBe(
      'Hidden layers: "x" is not a width from 1 to 4096. Write widths separated by commas, like 256, 128.',
    );
    expect(bad({ batch: '0' })).toBe('Batch size: "0" is not a whole number from 1 to 60000.');
    expect(bad({ batch: '600' }, 500)).toBe('Batch size: "600" is not a whole number from 1 to 500.');
    expect(bad({ learningRate: '-1' })).toMatch(/^Learning rate: "-1" is not a number above 0/);
    expect(bad({ epochs: '2.5' })).toBe('Epochs: "2.5" is not a whole number from 1 to 100.');
    expect(bad({ seed: '' })).toBe('Seed: "" is not a whole number from 0 to 4294967295.');
  });
});
