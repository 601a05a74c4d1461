/**
 * Whole WebGPU sessions on tables against CpuSession, as gpu-losses.test.ts and gpu-activation.test.ts compare them
 * on byte images: float32 inputs gathered as they are (gather_floats), class labels as u32 beyond a byte's 256
 * classes, byte images with u32 labels (their inputs normalised on the host into the float path), and regression
 * targets of 1 and 3 outputs (mse_targets, and argmax_count's loss against targets). Each takes the dispatches per
 * step and per evaluation batch that the byte path takes.
 */
import { describe, it } from 'vitest';
import { makeSpec } from '../src/model/spec.js';
import { LAYERS, randomTableData, type TableLabels, useTestGpu } from './gpu-fixture.js';
import {
  compareSessions,
  EVAL_FUSED,
  EVAL_UNFUSED,
  FUSED,
  orders,
  PARITY_COUNTS,
  PARITY_ORDERS,
  testSet,
  trainSet,
  UNFUSED,
  valSet,
} from './gpu-session-parity.js';
import { randomArray, randomLabels } from './helpers.js';

const fixture = useTestGpu();

const HIDDEN = LAYERS.slice(0, -1);
const tables = (seed: number, labels: TableLabels) =>
  randomTableData(seed, LAYERS[0], PARITY_COUNTS, PARITY_ORDERS, labels);

describe('classification of float32 tables and u32 labels against CpuSession: 3 layers, 5 steps, evaluate(test and val), predict', () => {
  it('300 classes, labels beyond a byte', async () => {
    const sets = tables(1401, (rng, count) => randomLabels(rng, count, 300));
    await compareSessions(fixture.backend, makeSpec([...HIDDEN, 300]), 0, FUSED, EVAL_FUSED, sets);
  });

  it('byte images with u32 labels', async () => {
    const wide = <T extends { labels: ArrayLike<number> }>(set: T) => ({
      ...set,
      labels: Uint32Array.from(set.labels),
    });
    const sets = { train: wide(trainSet), test: wide(testSet), val: wide(valSet), orders };
    await compareSessions(fixture.backend, makeSpec(LAYERS, { activation: 'tanh' }), 0, UNFUSED, EVAL_UNFUSED, sets);
  });
});

describe('regression of float32 tables against CpuSession: 3 layers, 5 steps, evaluate(test and val), predict', () => {
  it.each([
    [1, 'relu'],
    [3, 'tanh'],
  ] as const)('%i outputs, %s', async (outputs, activation) => {
    const targets: TableLabels = (rng, count) => randomArray(rng, count * outputs, -2, 2);
    const spec = makeSpec([...HIDDEN, outputs], { task: 'regression', loss: 'mse', activation });
    const fused = activation === 'relu';
    await compareSessions(
      fixture.backend,
      spec,
      0,
      fused ? FUSED : UNFUSED,
      fused ? EVAL_FUSED : EVAL_UNFUSED,
      tables(1500 + outputs, targets),
    );
  });

  it('with dropout 0.3 on 2 outputs', async () => {
    const targets: TableLabels = (rng, count) => randomArray(rng, count * 2, -2, 2);
    const spec = makeSpec([...HIDDEN, 2], { task: 'regression', loss: 'mse' });
    await compareSessions(fixture.backend, spec, 0.3, UNFUSED, EVAL_FUSED, tables(1600, targets));
  });
});
