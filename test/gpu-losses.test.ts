/**
 * The MSE loss on the GPU against the CPU reference (src/cpu/losses.ts): mse_onehot and mse_targets (a regression's),
 * the training losses and their gradients, and argmax_count's loss sum with MSE at evaluation; then whole training
 * sessions with MSE against CpuSession; and softmax-cross-entropy's label smoothing, in training, evaluation and whole
 * sessions. (The softmax-cross-entropy kernel is in gpu-kernels.test.ts, its sessions in
 * gpu-activation.test.ts; regression sessions in gpu-tables.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { argmaxCount, modelLoss, mseOneHot, mseTargets, softmaxCrossEntropy } from '../src/cpu/losses.js';
import { launch } from '../src/gpu/kernels.js';
import { Rng } from '../src/model/rng.js';
import { makeSpec } from '../src/model/spec.js';
import { LAYERS, useTestGpu } from './gpu-fixture.js';
import { compareSessions, EVAL_FUSED, EVAL_UNFUSED, FUSED, UNFUSED } from './gpu-session-parity.js';
import { expectClose, randomArray, randomLabels } from './helpers.js';

const fixture = useTestGpu({ kernels: true });

describe('mse_onehot (training loss) and argmax_count with the MSE loss (evaluation)', () => {
  it.each([
    [1, 10],
    [7, 10],
    [33, 1],
    [130, 33],
    [300, 10],
  ])('%i rows x %i classes', async (rows, classes) => {
    const run = fixture.kernels;
    const rng = new Rng(rows * 13 + classes);
    const out = randomArray(rng, rows * classes, -1.5, 1.5);
    const labels = randomLabels(rng, rows, classes);
    const expectedGrad = new Float32Array(rows * classes);
    const expectedLoss = mseOneHot(expectedGrad, out, labels, rows, classes);
    const grad = run.output(rows * classes);
    const losses = run.output(4);
    await run.run('mse_onehot', [grad, losses], [run.input(out), run.input(labels)], launch.mseOnehot(rows, classes), {
      table: [
        { start: 0, slot: 0 },
        { start: 0, slot: 3 },
      ],
      entry: 1,
    });
    const gotLosses = await run.readF32(losses, 4);
    expect(gotLosses.subarray(0, 3).every(Number.isNaN), "only the step's slot is written").toBe(true);
    // A tree sum of rows · classes squares in fp32: 1e-5 relative is ample. The gradient is one division: an ulp or two.
    expectClose([gotLosses[3]], [expectedLoss], { atol: 0, rtol: 1e-5 }, 'mean loss');
    expectClose(await run.readF32(grad, rows * classes), expectedGrad, { atol: 0, rtol: 3e-7 }, 'dOut');

    const counts = run.output(2 * 3);
    await run.run(
      'argmax_count',
      [counts],
      [run.input(out), run.input(labels)],
      launch.argmaxCount(rows, classes, 'mse', 'classification'),
      {
        table: [
          { start: 0, slot: 0 },
          { start: 0, slot: 2 },
        ],
        entry: 1,
      },
    );
    const raw = await run.read(counts, 6);
    expect(new Uint32Array(raw)[5], 'correct count').toBe(argmaxCount(out, labels, rows, classes));
    const lossSum = modelLoss({ task: 'classification', loss: 'mse' }, null, out, labels, rows, classes) * rows;
    expectClose([new Float32Array(raw)[4]], [lossSum], { atol: 0, rtol: 1e-5 }, 'MSE loss sum');
  });
});

describe("mse_targets (a regression's training loss) and argmax_count against targets (its evaluation)", () => {
  it.each([
    [1, 1],
    [7, 3],
    [33, 1],
    [130, 5],
    [300, 2],
  ])('%i rows x %i targets', async (rows, outputs) => {
    const run = fixture.kernels;
    const rng = new Rng(rows * 19 + outputs);
    const out = randomArray(rng, rows * outputs, -2, 2);
    const targets = randomArray(rng, rows * outputs, -2, 2);
    const expectedGrad = new Float32Array(rows * outputs);
    const expectedLoss = mseTargets(expectedGrad, out, targets, rows, outputs);
    const grad = run.output(rows * outputs);
    const losses = run.output(4);
    await run.run(
      'mse_targets',
      [grad, losses],
      [run.input(out), run.input(targets)],
      launch.mseTargets(rows, outputs),
      {
        table: [
          { start: 0, slot: 0 },
          { start: 0, slot: 3 },
        ],
        entry: 1,
      },
    );
    const gotLosses = await run.readF32(losses, 4);
    expect(gotLosses.subarray(0, 3).every(Number.isNaN), "only the step's slot is written").toBe(true);
    // As mse_onehot: a tree sum of squares, and a gradient of one subtraction and one division (an ulp or two).
    expectClose([gotLosses[3]], [expectedLoss], { atol: 0, rtol: 1e-5 }, 'mean loss');
    expectClose(await run.readF32(grad, rows * outputs), expectedGrad, { atol: 0, rtol: 3e-7 }, 'dOut');

    const counts = run.output(2 * 3);
    await run.run(
      'argmax_count',
      [counts],
      [run.input(out), run.input(targets)],
      launch.argmaxCount(rows, outputs, 'mse', 'regression'),
      {
        table: [
          { start: 0, slot: 0 },
          { start: 0, slot: 2 },
        ],
        entry: 1,
      },
    );
    const raw = await run.read(counts, 6);
    expect(new Float32Array(raw).subarray(0, 4).every(Number.isNaN), "only the batch's slot is written").toBe(true);
    expect(new Uint32Array(raw)[5], 'no correct count for a regression').toBe(0);
    const spec = makeSpec([4, outputs], { task: 'regression', loss: 'mse' });
    const lossSum = modelLoss(spec, null, out, targets, rows, outputs) * rows;
    expectClose([new Float32Array(raw)[4]], [lossSum], { atol: 0, rtol: 1e-5 }, 'MSE loss sum');
  });
});

describe('training sessions with MSE against CpuSession: 3 layers, 5 steps, evaluate(test and val), predict', () => {
  it.each(['relu', 'sigmoid'] as const)('%s with mse', async (activation) => {
    const fused = activation === 'relu';
    await compareSessions(
      fixture.backend,
      makeSpec(LAYERS, { activation, loss: 'mse' }),
      0,
      fused ? FUSED : UNFUSED,
      fused ? EVAL_FUSED : EVAL_UNFUSED,
    );
  });

  it('gelu with mse and dropout 0.5', async () => {
    await compareSessions(
      fixture.backend,
      makeSpec(LAYERS, { activation: 'gelu', loss: 'mse' }),
      0.5,
      UNFUSED,
      EVAL_UNFUSED,
    );
  });
});

describe('softmax_cross_entropy and argmax_count with label smoothing, against the CPU reference', () => {
  it.each([
    [1, 10, 0.1],
    [7, 10, 0.25],
    [33, 2, 0.1],
    [300, 33, 0.05],
    [9, 300, 1],
  ])('%i rows x %i classes, ε %f', async (rows, classes, eps) => {
    const run = fixture.kernels;
    const rng = new Rng(rows * 17 + classes);
    const logits = randomArray(rng, rows * classes, -50, 50);
    const labels = randomLabels(rng, rows, classes);
    const expectedGrad = new Float32Array(rows * classes);
    const expectedLoss = softmaxCrossEntropy(expectedGrad, logits, labels, rows, classes, eps);
    const grad = run.output(rows * classes);
    const losses = run.output(4);
    await run.run(
      'softmax_cross_entropy',
      [grad, losses],
      [run.input(logits), run.input(labels)],
      launch.softmaxCrossEntropy(rows, classes, eps),
      {
        table: [
          { start: 0, slot: 0 },
          { start: 0, slot: 3 },
        ],
        entry: 1,
      },
    );
    const gotLosses = await run.readF32(losses, 4);
    expect(gotLosses.subarray(0, 3).every(Number.isNaN), "only the step's slot is written").toBe(true);
    // As without smoothing (gpu-kernels.test.ts): the loss within 1e-5 relative, the gradient within 1e-4 relative and
    // 1e-6 / rows absolute where p − target cancels. The logits' mean adds one more sum of rows of fp32 terms.
    expectClose([gotLosses[3]], [expectedLoss], { atol: 1e-6, rtol: 1e-5 }, 'mean loss');
    expectClose(await run.readF32(grad, rows * classes), expectedGrad, { atol: 1e-6 / rows, rtol: 1e-4 }, 'dLogits');

    const counts = run.output(2 * 3);
    await run.run(
      'argmax_count',
      [counts],
      [run.input(logits), run.input(labels)],
      launch.argmaxCount(rows, classes, 'softmax-cross-entropy', 'classification', eps),
      {
        table: [
          { start: 0, slot: 0 },
          { start: 0, slot: 2 },
        ],
        entry: 1,
      },
    );
    const raw = await run.read(counts, 6);
    expect(new Uint32Array(raw)[5], 'correct count').toBe(argmaxCount(logits, labels, rows, classes));
    const spec = makeSpec([4, classes], { labelSmoothing: eps });
    const lossSum = modelLoss(spec, null, logits, labels, rows, classes) * rows;
    expectClose([new Float32Array(raw)[4]], [lossSum], { atol: 1e-6 * rows, rtol: 1e-5 }, 'smoothed loss sum');
  });

  it.each(['relu', 'tanh'] as const)(
    'a training session with %s and label smoothing 0.1 against CpuSession',
    async (activation) => {
      const fused = activation === 'relu';
      await compareSessions(
        fixture.backend,
        makeSpec(LAYERS, { activation, labelSmoothing: 0.1 }),
        0,
        fused ? FUSED : UNFUSED,
        fused ? EVAL_FUSED : EVAL_UNFUSED,
      );
    },
  );
});
