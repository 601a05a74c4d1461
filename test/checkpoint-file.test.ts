import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint-codec.js';
import { confusionSvg, curvesSvg, ticks } from '../src/io/plots.js';
import { decodeSafetensors } from '../src/io/safetensors.js';
import { makeOptimizer } from '../src/model/optimizer.js';
import { initParams, paramTable } from '../src/model/params.js';
import { makeSpec } from '../src/model/spec.js';
import { confusionMatrix, confusionTable, perClassAccuracy } from '../src/train/metrics.js';

const spec = makeSpec([13, 7, 3], { activation: 'leaky-relu', loss: 'mse' });
const table = paramTable(spec);
const params = initParams(table, 2);
const checkpoint: Checkpoint = {
  spec,
  options: {
    epochs: 4,
    batch: 8,
    learningRate: 0.003,
    seed: 9,
    logEvery: 5,
    optimizer: makeOptimizer('adamw'),
    schedule: { name: 'step', stepSize: 2, gamma: 0.3 },
    dropout: 0.25,
    shuffle: false,
    checkpointEvery: 10,
  },
  data: { trainSamples: 400, trainLimit: 500, val: 100 },
  state: {
    params,
    optimizer: [params.map((x) => x / 3), params.map((x) => x * x)],
    step: 70,
    epoch: 2,
    epochStep: 20,
    shuffleState: [1, 0xffffffff, 3, 4],
    epochLossSum: 12.345678901234567,
    history: [
      {
        epoch: 1,
        steps: 50,
        trainLoss: 0.5,
        testLoss: 0.4,
        testAccuracy: 0.9,
        valLoss: 0.45,
        valAccuracy: 0.88,
        seconds: 1.5,
      },
    ],
  },
};

describe('checkpoint files', () => {
  it('round-trip the spec, options, data, position, history, parameters and optimiser state exactly', () => {
    expect(decodeCheckpoint(encodeCheckpoint(checkpoint), 'c')).toEqual(checkpoint);
  });

  it('round-trip a table regression with early stopping: its description, split, best parameters and history', () => {
    const regression = makeSpec([2, 4, 2], {
      task: 'regression',
      loss: 'mse',
      data: {
        features: ['a', 'b'],
        featureMean: [1, 2],
        featureStd: [3, 1],
        targets: ['y', 'z'],
        targetMean: [0.5, -1],
        targetStd: [2, 1],
      },
    });
    const p = initParams(paramTable(regression), 3);
    const saved: Checkpoint = {
      spec: regression,
      options: {
        epochs: 9,
        batch: 4,
        learningRate: 0.001,
        seed: 2,
        logEvery: 100,
        optimizer: makeOptimizer('adam'),
        earlyStop: 3,
      },
      data: { trainSamples: 30, val: 6, testSplit: 0.25 },
      state: {
        params: p,
        optimizer: [p.map((x) => x / 2), p.map((x) => x * x)],
        step: 14,
        epoch: 3,
        epochStep: 0,
        shuffleState: [5, 6, 7, 8],
        epochLossSum: 0,
        bestParams: p.map((x) => -x),
        history: [1, 2].map((epoch) => ({
          epoch,
          steps: 7,
          trainLoss: 0.3,
          testLoss: 0.2,
          testRMSE: 1.5,
          testMAE: 1.25,
          testR2: 0.75,
          valLoss: 0.1 * epoch,
          valRMSE: 1,
          valMAE: 0.5,
          valR2: 0.5,
          seconds: 1,
        })),
      },
    };
    const bytes = encodeCheckpoint(saved);
    expect(decodeCheckpoint(bytes, 'c')).toEqual(saved);
    expect(decodeSafetensors(bytes, 'c').metadata.version).toBe('2');
    expect([...decodeSafetensors(bytes, 'c').tensors.keys()].filter((name) => name.startsWith('best.'))).toEqual([
      'best.0.weight',
      'best.0.bias',
      'best.2.weight',
      'best.2.bias',
    ]);
  });

  it("name the optimiser's tensors after PyTorch's state and the parameters", () => {
    const { tensors, metadata } = decodeSafetensors(encodeCheckpoint(checkpoint), 'c');
    expect([...tensors.keys()]).toEqual([
      '0.weight',
      '0.bias',
      '2.weight',
      '2.bias',
      'optimizer.exp_avg.0.weight',
      'optimizer.exp_avg.0.bias',
      'optimizer.exp_avg.2.weight',
      'optimizer.exp_avg.2.bias',
      'optimizer.exp_avg_sq.0.weight',
      'optimizer.exp_avg_sq.0.bias',
      'optimizer.exp_avg_sq.2.weight',
      'optimizer.exp_avg_sq.2.bias',
    ]);
    expect(metadata).toMatchObject({
      format: 'webgpu-mlp-checkpoint',
      version: '1',
      layers: '13,7,3',
      activation: 'leaky-relu',
      loss: 'mse',
    });
  });

  it("keep RMSprop's slots that its settings need, under PyTorch's names, and read options saved without its settings", () => {
    const rmsprop = makeOptimizer('rmsprop', { momentum: 0.9, centered: true, alpha: 0.95 });
    const saved: Checkpoint = {
      ...checkpoint,
      options: { ...checkpoint.options, optimizer: rmsprop },
      state: {
        ...checkpoint.state,
        optimizer: [params.map((x) => x * x), params.map((x) => x / 3), params.map((x) => -x)],
      },
    };
    const bytes = encodeCheckpoint(saved);
    expect(decodeCheckpoint(bytes, 'c')).toEqual(saved);
    expect([...decodeSafetensors(bytes, 'c').tensors.keys()].filter((name) => name.endsWith('0.bias'))).toEqual([
      '0.bias',
      'optimizer.square_avg.0.bias',
      'optimizer.momentum_buffer.0.bias',
      'optimizer.grad_avg.0.bias',
    ]);
    // The options of a checkpoint written before RMSprop's settings existed: the other optimisers' read as they were.
    const text = new TextDecoder('latin1').decode(encodeCheckpoint(checkpoint));
    const from = ',\\"alpha\\":0.99,\\"centered\\":false';
    expect(text).toContain(from);
    const older = Uint8Array.from(text.replace(from, ' '.repeat(from.length)), (c) => c.charCodeAt(0));
    expect(decodeCheckpoint(older, 'c')).toEqual(checkpoint);
  });

  it('refuse damaged or foreign files with a one-line error naming the file', () => {
    const good = encodeCheckpoint(checkpoint);
    const patch = (from: string, to: string) => {
      const text = new TextDecoder('latin1').decode(good);
      expect(text).toContain(from);
      expect(to.length).toBeLessThanOrEqual(from.length); // padded with spaces: the file keeps its layout
      return Uint8Array.from(text.replace(from, to.padEnd(from.length, ' ')), (c) => c.charCodeAt(0));
    };
    const cases: [string, Uint8Array][] = [
      ['version', patch('"version":"1"', '"version":"9"')],
      ['options', patch('"options":"{', '"options":"[')],
      ['optimizer', patch('\\"name\\":\\"adamw\\"', '\\"name\\":\\"lion\\"')],
      ['shuffle state', patch('[1,4294967295,3,4]', '[1,2,3]')],
      ['history', patch('\\"trainLoss\\":0.5', '\\"trainLoss\\":[]')],
      ['missing tensor', patch('"optimizer.exp_avg_sq.2.bias"', '"optimizer.exp_avg_sq.2.bia"')],
      ['truncated', good.subarray(0, good.length - 8)],
    ];
    for (const [what, bytes] of cases) {
      let error: unknown;
      try {
        decodeCheckpoint(bytes, 'bad.ckpt');
      } catch (e) {
        error = e;
      }
      expect(error, what).toBeInstanceOf(UserError);
      expect((error as Error).message, what).toMatch(/^bad\.ckpt: /);
      expect((error as Error).message, what).not.toContain('\n');
    }
  });
});

describe('metrics and plots', () => {
  it('count a confusion matrix from outputs, first maximum winning', () => {
    const outputs = Float32Array.from([1, 2, 0, /**/ 5, 5, 0, /**/ 0, 0, 3, /**/ 2, 1, 0]);
    const confusion = confusionMatrix(outputs, [1, 1, 2, 0], 4, 3);
    expect(Array.from(confusion)).toEqual([1, 0, 0, 1, 1, 0, 0, 0, 1]);
    expect(perClassAccuracy(confusion, 3)).toEqual([1, 0.5, 1]);
    expect(confusionTable(confusion, 3).split('\n')).toHaveLength(4);
  });

  it('pick round ticks and draw well-formed SVG', () => {
    expect(ticks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(0.96, 1)).toEqual([0.96, 0.97, 0.98, 0.99, 1]);
    const svg = curvesSvg(
      checkpoint.state.history.concat([{ ...checkpoint.state.history[0], epoch: 2, steps: 25 }]),
      'a <title> & more',
    );
    expect(svg).toContain('a &lt;title&gt; &amp; more');
    expect(svg).not.toContain('NaN');
    expect(svg.match(/<svg /g)).toHaveLength(1);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    const matrix = confusionSvg([5, 1, 0, 7], 2, 'm');
    expect(matrix.match(/<rect /g)).toHaveLength(5); // background and 4 cells
    expect(matrix).toContain('83.3%');
  });
});
