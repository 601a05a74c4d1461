/**
 * The model and evaluation features of issue 6 on the GPU, against the CPU reference: the activation kernel (every
 * activation, forward and backward, with dropout) and its counter hash, the MSE loss and the evaluation's loss,
 * whole training sessions (every activation, MSE, dropout) against CpuSession, evaluate('val'), predict(), the
 * dispatch counts of each path, and the eval and predict commands on the WebGPU backend.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, SessionOptions, TrainingSession } from '../src/backend.js';
import { activationBackward, activationForward } from '../src/cpu/activations.js';
import { CpuBackend } from '../src/cpu/backend.js';
import { dropout, dropoutBackward } from '../src/cpu/dropout.js';
import { argmaxCount, lossForward, mseOneHot } from '../src/cpu/losses.js';
import { UserError } from '../src/errors.js';
import { createWebGpuBackend, type WebGpuBackend } from '../src/gpu/backend.js';
import type { Gpu } from '../src/gpu/device.js';
import { launch } from '../src/gpu/kernels.js';
import { nodeShaderLoader } from '../src/gpu/shaders-node.js';
import { encodeModel } from '../src/io/model-file.js';
import { dropoutHash, murmur3Words } from '../src/model/counter-hash.js';
import { initParams, paramTable, view } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { ACTIVATIONS, makeSpec, type Activation, type ModelSpec } from '../src/model/spec.js';
import { loadMnist } from '../src/data/mnist.js';
import { evaluateModel, predictOutputs } from '../src/train/inference.js';
import { argmax } from '../src/train/metrics.js';
import { train as trainRun } from '../src/train/trainer.js';
import { cli } from './cli-runner.js';
import { expectClose, randomArray, randomDataset, randomLabels, relativeError } from './helpers.js';
import { KernelRunner, openTestGpu } from './gpu-setup.js';

let gpu: Gpu;
let run: KernelRunner;
let backend: WebGpuBackend;
const EVAL_ROWS = 8;

beforeAll(async () => {
  gpu = await openTestGpu();
  run = await KernelRunner.create(gpu);
  backend = await createWebGpuBackend(nodeShaderLoader, { gpu, evalRows: EVAL_ROWS });
});

afterAll(() => {
  backend?.dispose();
  run?.destroy();
  gpu?.destroy();
});

/** A step table whose entry 1 carries run step `step` (entry 0 is a decoy: the dynamic offset must pick entry 1). */
const stepTable = (step: number) => ({ table: [{ start: 0, slot: 0, run: 12345 }, { start: 0, slot: 1, run: step }], entry: 1 });

/** A buffer holding `data` that a kernel may overwrite and the test read back. */
const inOut = (data: Float32Array) =>
  run.res.buffer('in/out', data.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, data);

describe('the counter hash in WGSL', () => {
  /**
   * The hash section of shaders/activation.wgsl, compiled alone with an entry point that writes, per key
   * (seed, step, layer, index): dropout_hash of it, MurmurHash3 of no words, and of the one word `index`.
   */
  async function gpuHashes(keys: Uint32Array): Promise<Uint32Array> {
    const source = nodeShaderLoader('activation');
    const begin = source.indexOf('// ---- the counter hash');
    const end = source.indexOf('// ---- end of the counter hash');
    expect(begin, 'the hash section markers in activation.wgsl').toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(begin);
    const code = `${source.slice(begin, end)}
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<storage, read> keys: array<vec4u>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= arrayLength(&keys)) { return; }
  let k = keys[i];
  out[3u * i] = dropout_hash(k.x, k.y, k.z, k.w);
  out[3u * i + 1u] = fmix32(k.x ^ 0u);
  out[3u * i + 2u] = fmix32(mix_word(k.x, k.w) ^ 4u);
}`;
    const { device } = gpu;
    const module = device.createShaderModule({ code });
    const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
    expect(errors.map((m) => `${m.lineNum}: ${m.message}`)).toEqual([]);
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const count = keys.length / 4;
    const out = run.output(3 * count);
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: out } }, { binding: 1, resource: { buffer: run.input(keys) } }],
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(count / 64));
    pass.end();
    device.queue.submit([encoder.finish()]);
    return run.readU32(out, 3 * count);
  }

  it("is MurmurHash3_x86_32 (the reference's published vectors) and dropoutHash bit for bit on 5000 keys", async () => {
    // [seed, word]: the SMHasher vectors of no words (out 1) and of one word (out 2), as test/dropout.test.ts.
    const vectors: [number, number, number, number][] = [
      [0, 0, 0, 0x2362f9de], [1, 0, 0x514e28b7, -1], [0xffffffff, 0, 0x81f16f39, -1], [0, 0x87654321, 0, 0xf55b516b],
      [0x5082edee, 0x87654321, -1, 0x2362f9de], [0x9747b28c, 0x61616161, -1, 0x5a97808a],
    ];
    // dropoutHash's pinned values, then random keys: large seeds, steps and indices, small layers.
    const pinned: [number, number, number, number, number][] = [
      [1, 0, 1, 0, 0x6ba9df91], [1, 0, 1, 1, 0xea4c4c5d], [0x27d4eb2e, 937, 2, 8191, 0x89057fcf],
    ];
    const rng = new Rng(77);
    const random = Array.from({ length: 5000 }, () => [rng.nextU32(), rng.nextU32(), rng.below(8), rng.nextU32()]);
    const keys = Uint32Array.from([
      ...vectors.flatMap(([seed, word]) => [seed, 0, 0, word]),
      ...pinned.flatMap(([seed, step, layer, index]) => [seed, step, layer, index]),
      ...random.flat(),
    ]);
    const got = await gpuHashes(keys);
    vectors.forEach(([seed, word, none, one], i) => {
      if (none >= 0) expect(got[3 * i + 1], `murmur3(${seed}, [])`).toBe(none);
      if (one >= 0) expect(got[3 * i + 2], `murmur3(${seed}, [${word}])`).toBe(one);
    });
    pinned.forEach(([, , , , want], i) => expect(got[3 * (vectors.length + i)]).toBe(want));
    const first = vectors.length + pinned.length;
    const mismatches = random.filter(([seed, step, layer, index], i) => {
      const at = 3 * (first + i);
      return got[at] !== dropoutHash(seed, step, layer, index) || got[at + 2] !== murmur3Words(seed, [index]);
    });
    expect(mismatches).toEqual([]);
  });
});

/** The CPU's forward and backward of one activation with optional dropout, in the order CpuNetwork runs them. */
function cpuActivation(kind: Activation, x: Float32Array, dy: Float32Array, drop?: { rate: number; seed: number; step: number; layer: number }) {
  const n = x.length;
  const y = new Float32Array(n);
  activationForward(kind, y, x, n);
  const dx = dy.slice();
  if (drop) {
    dropout(y, y, drop.seed, drop.step, drop.layer, drop.rate, n);
    dropoutBackward(dx, dx, drop.seed, drop.step, drop.layer, drop.rate, n);
  }
  activationBackward(kind, dx, dx, x, n);
  return { y, dx };
}

/** The activation kernel forward (y from x) and backward (dy in place), at run step `step`. */
async function gpuActivation(
  kind: Activation, x: Float32Array, dy: Float32Array, drop?: { rate: number; seed: number; step: number; layer: number },
) {
  const n = x.length;
  const y = run.output(n);
  await run.run('activation', [y], [run.input(x)], launch.activation(n, kind, false, drop), stepTable(drop?.step ?? 0));
  const g = inOut(dy);
  await run.run('activation', [g], [run.input(x)], launch.activation(n, kind, true, drop), stepTable(drop?.step ?? 0));
  return { y: await run.readF32(y, n), dx: await run.readF32(g, n) };
}

/**
 * Pre-activations over every regime: mostly |x| < 6 (the curved parts), some out to ±30 (saturation, the tails of
 * GELU), and exact zeros, tiny values and values near the kinks.
 */
function preActivations(rng: Rng, n: number): Float32Array {
  const special = [0, -0, 1e-30, -1e-30, 1e-6, -1e-6, 0.2499, 0.2501, -0.2501, 17, -17, 30, -30];
  return Float32Array.from({ length: n }, (_, i) =>
    i < special.length ? special[i] : rng.uniform(i % 5 === 0 ? -30 : -6, i % 5 === 0 ? 30 : 6));
}

/**
 * Tolerances, from measuring on SwiftShader and WGSL's accuracy rules. ReLU is exact. Leaky ReLU is one fp32 product
 * (the CPU's is float64 rounded once): 2^-23 relative. The others are exact formulas in fp32 against the CPU's
 * float64 ones: a few ulp, plus exp's error, which WGSL allows to grow as 3 + 2|x| ulp (4e-6 at |x| = 30; SwiftShader
 * measured 1.8e-6): rtol 1e-5. atol 1e-12 only covers the far tails, where the CPU's own float64 value is a
 * difference of numbers near 1 (sigmoid's 1 − σ at x = 30, GELU's 1 + erf at x = −8: absolute errors ~1e-16) and
 * the GPU's, formed without cancellation, is the more accurate; and for GELU 1e-7, because its derivative
 * Φ(x) + x·φ(x) cancels near its zero at x ≈ −0.75 (terms of 0.23: a few of their ulp, absolute, in fp32 and in the
 * CPU's float64 sum of an fp32-accurate erf). A wrong constant or term costs 1e-3 or more.
 */
const activationTol: Record<Activation, { atol: number; rtol: number }> = {
  relu: { atol: 0, rtol: 0 },
  'leaky-relu': { atol: 0, rtol: 2 ** -23 },
  sigmoid: { atol: 1e-12, rtol: 1e-5 },
  tanh: { atol: 1e-12, rtol: 1e-5 },
  gelu: { atol: 1e-7, rtol: 1e-5 },
};

describe('the activation kernel against src/cpu/activations.ts', () => {
  it.each(ACTIVATIONS.flatMap((kind) => [1, 7, 33 * 130, 4099].map((n) => [kind, n] as const)))(
    '%s forward and backward, %i values', async (kind, n) => {
      const rng = new Rng(n + kind.length);
      const x = preActivations(rng, n);
      const dy = randomArray(rng, n);
      const want = cpuActivation(kind, x, dy);
      const got = await gpuActivation(kind, x, dy);
      expectClose(got.y, want.y, activationTol[kind], `${kind} forward`);
      expectClose(got.dx, want.dx, activationTol[kind], `${kind} backward`);
    });

  it('gelu over a fine grid of -12..12: its erf (Abramowitz and Stegun 7.1.26) is the CPU\'s to fp32 precision', async () => {
    const x = Float32Array.from({ length: 24 * 256 + 1 }, (_, i) => -12 + i / 256);
    const got = await gpuActivation('gelu', x, new Float32Array(x.length).fill(1));
    const want = cpuActivation('gelu', x, new Float32Array(x.length).fill(1));
    expectClose(got.y, want.y, activationTol.gelu, 'gelu');
    expectClose(got.dx, want.dx, activationTol.gelu, "gelu'");
    // Φ(x) = gelu(x) / x, where the CPU's float64 is accurate (x > -5): the erf itself, relative.
    const phi = (y: Float32Array) => Array.from(x, (v, i) => (v > -5 && v !== 0 ? y[i] / v : 1));
    expectClose(phi(got.y), phi(want.y), { atol: 0, rtol: 1e-5 }, 'Φ');
  });

  it('a 1.1M-value layer: the grid-stride loop reaches every value', async () => {
    const n = 1_100_000;
    const rng = new Rng(3);
    const x = randomArray(rng, n, -4, 4);
    const dy = randomArray(rng, n);
    const want = cpuActivation('tanh', x, dy, { rate: 0.3, seed: 5, step: 2, layer: 1 });
    const got = await gpuActivation('tanh', x, dy, { rate: 0.3, seed: 5, step: 2, layer: 1 });
    expectClose(got.y, want.y, activationTol.tanh, 'tanh with dropout forward');
    expectClose(got.dx, want.dx, activationTol.tanh, 'tanh with dropout backward');
  });
});

describe('dropout in the activation kernel against src/cpu/dropout.ts', () => {
  it.each([
    { rate: 0.5, seed: 1, step: 0, layer: 1 },
    { rate: 0.1, seed: 0x27d4eb2e, step: 937, layer: 2 },
    { rate: 0.9, seed: 4000000000, step: 123456, layer: 3 },
  ])('masks bitwise equal to the CPU\'s at rate $rate, step $step, layer $layer', async (drop) => {
    const n = 130 * 33;
    const rng = new Rng(drop.step + 1);
    // Positive inputs: ReLU passes them, so every zero of the output is the mask's.
    const x = randomArray(rng, n, 0.1, 2);
    const dy = randomArray(rng, n, 0.1, 2);
    const want = cpuActivation('relu', x, dy, drop);
    const got = await gpuActivation('relu', x, dy, drop);
    const kept = (values: Float32Array) => Array.from(values, (v) => (v === 0 ? 0 : 1));
    expect(kept(got.y)).toEqual(kept(want.y));
    expect(kept(got.dx)).toEqual(kept(want.dx));
    expect(kept(got.y)).toEqual(kept(got.dx));
    const keptShare = kept(got.y).reduce((a: number, b) => a + b, 0) / n;
    expect(Math.abs(keptShare - (1 - drop.rate))).toBeLessThan(0.03);
    // x · (1 / (1 − rate)) in fp32 against float64 rounded once: an ulp.
    expectClose(got.y, want.y, { atol: 0, rtol: 2 ** -23 }, 'kept values');
    expectClose(got.dx, want.dx, { atol: 0, rtol: 2 ** -23 }, 'kept gradients');
    // Another run step draws another mask.
    const other = await gpuActivation('relu', x, dy, { ...drop, step: drop.step + 1 });
    expect(kept(other.y)).not.toEqual(kept(got.y));
  });

  it('gelu with dropout: the mask after the activation, and backward through both in the CPU\'s order', async () => {
    const rng = new Rng(8);
    const x = preActivations(rng, 777);
    const dy = randomArray(rng, 777);
    const drop = { rate: 0.25, seed: 99, step: 31, layer: 2 };
    const got = await gpuActivation('gelu', x, dy, drop);
    const want = cpuActivation('gelu', x, dy, drop);
    expectClose(got.y, want.y, activationTol.gelu, 'forward');
    expectClose(got.dx, want.dx, activationTol.gelu, 'backward');
  });
});

describe('mse_onehot (training loss) and argmax_count with the MSE loss (evaluation)', () => {
  it.each([[1, 10], [7, 10], [33, 1], [130, 33], [300, 10]])('%i rows x %i classes', async (rows, classes) => {
    const rng = new Rng(rows * 13 + classes);
    const out = randomArray(rng, rows * classes, -1.5, 1.5);
    const labels = randomLabels(rng, rows, classes);
    const expectedGrad = new Float32Array(rows * classes);
    const expectedLoss = mseOneHot(expectedGrad, out, labels, rows, classes);
    const grad = run.output(rows * classes);
    const losses = run.output(4);
    await run.run('mse_onehot', [grad, losses], [run.input(out), run.input(labels)],
      launch.mseOnehot(rows, classes), { table: [{ start: 0, slot: 0 }, { start: 0, slot: 3 }], entry: 1 });
    const gotLosses = await run.readF32(losses, 4);
    expect(gotLosses.subarray(0, 3).every(Number.isNaN), 'only the step\'s slot is written').toBe(true);
    // A tree sum of rows · classes squares in fp32: 1e-5 relative is ample. The gradient is one division: an ulp or two.
    expectClose([gotLosses[3]], [expectedLoss], { atol: 0, rtol: 1e-5 }, 'mean loss');
    expectClose(await run.readF32(grad, rows * classes), expectedGrad, { atol: 0, rtol: 3e-7 }, 'dOut');

    const counts = run.output(2 * 3);
    await run.run('argmax_count', [counts], [run.input(out), run.input(labels)],
      launch.argmaxCount(rows, classes, 'mse'), { table: [{ start: 0, slot: 0 }, { start: 0, slot: 2 }], entry: 1 });
    const raw = await run.read(counts, 6);
    expect(new Uint32Array(raw)[5], 'correct count').toBe(argmaxCount(out, labels, rows, classes));
    const lossSum = lossForward('mse', null, out, labels, rows, classes) * rows;
    expectClose([new Float32Array(raw)[4]], [lossSum], { atol: 0, rtol: 1e-5 }, 'MSE loss sum');
  });
});

// ---- whole sessions against CpuSession ------------------------------------------------------------------------------

/**
 * A 3-layer net with odd sizes (20, 33, 17 are multiples of no tile; batch 7), 75 training samples (10 steps per
 * epoch), 23 test samples in evaluation batches of 8 (the last one 7), 13 validation samples (8 and 5).
 */
const LAYERS = [20, 33, 17, 10];
const batch = 7;

const randomSet = (rng: Rng, count: number, features = LAYERS[0]): Dataset => randomDataset(rng, count, features);

const dataRng = new Rng(606);
const trainSet = randomSet(dataRng, 75);
const testSet = randomSet(dataRng, 23);
const valSet = randomSet(dataRng, 13);
const orders = [0, 1].map(() => dataRng.shuffle(Uint32Array.from({ length: trainSet.count }, (_, i) => i)));

function sessionOptions(spec: ModelSpec, rate = 0): SessionOptions {
  return {
    spec, params: initParams(paramTable(spec), 11), batch, learningRate: spec.loss === 'mse' ? 0.5 : 0.1,
    train: trainSet, test: testSet, val: valSet, dropout: rate > 0 ? { rate, seed: 0x5eed } : undefined,
  };
}

/**
 * The same 5 steps on both sessions: 3 steps of an epoch that starts the run, then 2 of one that starts at run step
 * 10 (so dropout's masks must follow the run's step count through the step table, rewritten per epoch).
 */
async function trainBoth(cpu: TrainingSession, gpuSession: TrainingSession): Promise<[number, number][]> {
  const losses: [number, number][] = [];
  for (const [order, firstStep, count] of [[orders[0], 0, 3], [orders[1], 10, 2]] as const) {
    cpu.setEpochOrder(order, firstStep);
    gpuSession.setEpochOrder(order, firstStep);
    losses.push([await gpuSession.trainSteps(0, count), await cpu.trainSteps(0, count)]);
  }
  return losses;
}

/**
 * After 5 fp32 steps the parameters drift from the float64 reference by rounding only (about 1e-7); a wrong
 * derivative, mask or loss term shows as 1e-2 or more after one step. Per tensor, relative, as gpu-step.test.ts.
 */
function expectParamsClose(spec: ModelSpec, got: Float32Array, want: Float32Array, what: string): void {
  for (const entry of paramTable(spec).entries) {
    expect(relativeError(view(got, entry), view(want, entry)), `${what}: ${entry.name}`).toBeLessThan(1e-4);
  }
}

const lossTol = { atol: 1e-6, rtol: 1e-5 };

/** Training, evaluation of both sets and prediction, GPU against CPU, with the counts each must take. */
async function compareSessions(spec: ModelSpec, rate: number, perStep: number, perEvalBatch: number): Promise<void> {
  const options = sessionOptions(spec, rate);
  const cpu = await new CpuBackend().createSession(options);
  const session = await backend.createSession(options);
  const what = `${spec.activation}, ${spec.loss}, dropout ${rate}`;
  try {
    expect(session.dispatchesPerStep, `${what}: dispatches per step`).toBe(perStep);
    const before = { ...session.stats };
    for (const [got, want] of await trainBoth(cpu, session)) expectClose([got], [want], lossTol, `${what}: mean loss`);
    expect(session.stats.dispatches - before.dispatches).toBe(5 * perStep);
    expectParamsClose(spec, await session.readParams(), await cpu.readParams(), what);

    for (const [set, batches] of [['test', 3], ['val', 2]] as const) {
      const start = { ...session.stats };
      const [got, want] = [await session.evaluate(set), await cpu.evaluate(set)];
      expectClose([got.loss], [want.loss], lossTol, `${what}: ${set} loss`);
      expect(got.accuracy, `${what}: ${set} accuracy`).toBe(want.accuracy);
      expect(session.stats.dispatches - start.dispatches, `${set} dispatches`).toBe(batches * perEvalBatch);
      expect(session.stats.submits - start.submits).toBe(1);
      expect(session.stats.readBacks - start.readBacks).toBe(1);
    }
    // predict reads a set of its own (here the validation set, 13 rows: batches of 8 and 5).
    const start = { ...session.stats };
    expectClose(await session.predict(valSet), await cpu.predict(valSet), { atol: 1e-5, rtol: 1e-4 }, `${what}: predict`);
    expect(session.stats.dispatches - start.dispatches).toBe(2 * (perEvalBatch - 1));
    expect(session.stats.submits - start.submits).toBe(1);
    expect(session.stats.buffersAfterSetup + session.stats.bindGroupsAfterSetup).toBe(0);
  } finally {
    session.dispose();
  }
}

describe('training sessions against CpuSession: 3 layers, 5 steps, evaluate(test and val), predict', () => {
  // gather, 3 matmuls, the loss, 2 input gradients, 3 weight gradients; 2 more per hidden layer without fused ReLU.
  const FUSED = 3 * 3 + 1;
  const UNFUSED = FUSED + 2 * 2;
  // An evaluation batch: gather, 3 matmuls (an activation kernel after each hidden one without ReLU), argmax_count.
  const EVAL_FUSED = 1 + 3 + 1;
  const EVAL_UNFUSED = EVAL_FUSED + 2;

  it.each(ACTIVATIONS)('%s with softmax-cross-entropy', async (activation) => {
    const fused = activation === 'relu';
    await compareSessions(makeSpec(LAYERS, { activation }), 0, fused ? FUSED : UNFUSED, fused ? EVAL_FUSED : EVAL_UNFUSED);
  });

  it.each(['relu', 'sigmoid'] as const)('%s with mse', async (activation) => {
    const fused = activation === 'relu';
    await compareSessions(makeSpec(LAYERS, { activation, loss: 'mse' }), 0, fused ? FUSED : UNFUSED, fused ? EVAL_FUSED : EVAL_UNFUSED);
  });

  it('relu with dropout 0.3: the activation kernel while training, fused ReLU at evaluation', async () => {
    await compareSessions(makeSpec(LAYERS), 0.3, UNFUSED, EVAL_FUSED);
  });

  it('gelu with mse and dropout 0.5', async () => {
    await compareSessions(makeSpec(LAYERS, { activation: 'gelu', loss: 'mse' }), 0.5, UNFUSED, EVAL_UNFUSED);
  });

  it('dropout with another seed trains differently (the seed reaches the masks)', async () => {
    const spec = makeSpec(LAYERS);
    const [a, b] = await Promise.all([0x5eed, 0x5eee].map((seed) =>
      backend.createSession({ ...sessionOptions(spec, 0.3), dropout: { rate: 0.3, seed } })));
    try {
      for (const session of [a, b]) {
        session.setEpochOrder(orders[0]);
        await session.trainSteps(0, 2);
      }
      expect(relativeError(await a.readParams(), await b.readParams())).toBeGreaterThan(1e-3);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});

describe('a whole run through train(), GPU against CPU', () => {
  it('tanh, dropout 0.2 and a validation set over 2 epochs of 10 steps in chunks of 4: parameters and history', async () => {
    const spec = makeSpec(LAYERS, { activation: 'tanh' });
    const options = { epochs: 2, batch, learningRate: 0.1, seed: 4, logEvery: 4, dropout: 0.2 };
    const data = { train: trainSet, test: testSet, val: valSet };
    const [gpuRun, cpuRun] = [await trainRun(backend, spec, data, options), await trainRun(new CpuBackend(), spec, data, options)];
    expectParamsClose(spec, gpuRun.params, cpuRun.params, 'after 20 steps');
    gpuRun.history.forEach((epoch, i) => {
      const want = cpuRun.history[i];
      expectClose([epoch.trainLoss, epoch.testLoss, epoch.valLoss!], [want.trainLoss, want.testLoss, want.valLoss!], lossTol,
        `epoch ${i + 1}: train, test and validation loss`);
      expect([epoch.testAccuracy, epoch.valAccuracy]).toEqual([want.testAccuracy, want.valAccuracy]);
    });
  });
});

describe('predict() and evaluate() edge cases', () => {
  it('a session without a validation set refuses evaluate("val"); predict checks the set and the device limits', async () => {
    const spec = makeSpec(LAYERS, { activation: 'tanh' });
    const session = await backend.createSession({ ...sessionOptions(spec), val: undefined });
    try {
      await expect(session.evaluate('val')).rejects.toThrow(/without a validation set/);
      await expect(session.predict(randomSet(new Rng(1), 3, 21))).rejects.toThrow(UserError);
      expect(await session.predict({ ...testSet, count: 0 })).toEqual(new Float32Array(0));
      // Two billion images of 20 pixels: beyond any device's binding size, refused before anything is allocated.
      const huge = { pixels: { length: 2 ** 36 }, labels: { length: 2 ** 31 }, count: 2 ** 31, features: 20 } as unknown as Dataset;
      await expect(session.predict(huge)).rejects.toThrow(/maxStorageBufferBindingSize|maxBufferSize/);
      // Still usable: one sample alone (one batch of one row), and the whole test set against evaluate().
      const one = { ...testSet, pixels: testSet.pixels.subarray(20 * 5, 20 * 6), labels: testSet.labels.subarray(5, 6), count: 1 };
      const all = await session.predict(testSet);
      expectClose(await session.predict(one), all.subarray(50, 60), { atol: 1e-6, rtol: 1e-6 }, "one sample");
      const correct = Array.from({ length: testSet.count }, (_, r) => argmax(all, r * 10, 10) === testSet.labels[r]);
      expect((await session.evaluate()).accuracy).toBe(correct.filter(Boolean).length / testSet.count);
    } finally {
      session.dispose();
    }
  });
});

describe('an evaluateOnly session (eval and predict open one)', () => {
  it('builds no training dispatches, refuses to train on both backends, and evaluates and predicts as a training session does', async () => {
    const spec = makeSpec(LAYERS, { activation: 'tanh' });
    const options = sessionOptions(spec);
    const trainer = await backend.createSession(options);
    const viewer = await backend.createSession({ ...options, evaluateOnly: true });
    const cpu = await new CpuBackend().createSession({ ...options, evaluateOnly: true });
    try {
      expect(trainer.dispatchesPerStep).toBeGreaterThan(0);
      expect(viewer.dispatchesPerStep).toBe(0);
      for (const session of [viewer, cpu]) {
        expect(() => session.setEpochOrder(new Uint32Array(options.train.count))).toThrow(/evaluateOnly/);
        await expect(session.trainSteps(0, 1)).rejects.toThrow(/evaluateOnly/);
      }
      expect(await viewer.evaluate()).toEqual(await trainer.evaluate());
      expect(await viewer.evaluate('val')).toEqual(await trainer.evaluate('val'));
      expect(await viewer.predict(testSet)).toEqual(await trainer.predict(testSet));
    } finally {
      for (const session of [trainer, viewer, cpu]) session.dispose();
    }
  });
});

// ---- the CLI -------------------------------------------------------------------------------------------------------

describe('eval and predict --backend webgpu on a saved model', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-layers-'));
  afterAll(() => fs.rmSync(dir, { recursive: true }));

  it('give the accuracy, loss and classes of the CPU backend', async () => {
    // A small MNIST folder (1000 training, 300 test digits) and a GELU + MSE model trained on it by the CPU.
    const mnist = loadMnist(undefined, { trainLimit: 1000 });
    const test = { ...mnist.test, count: 300 };
    const idx = (magic: number, dims: number[], data: Uint8Array) => {
      const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
      header.setUint32(0, magic);
      dims.forEach((d, i) => header.setUint32(4 + 4 * i, d));
      return Buffer.concat([new Uint8Array(header.buffer), data]);
    };
    const data = path.join(dir, 'mnist');
    fs.mkdirSync(data);
    for (const [name, set] of [['train', mnist.train], ['t10k', test]] as const) {
      fs.writeFileSync(path.join(data, `${name}-images-idx3-ubyte`), idx(0x803, [set.count, 28, 28], set.pixels.subarray(0, set.count * 784)));
      fs.writeFileSync(path.join(data, `${name}-labels-idx1-ubyte`), idx(0x801, [set.count], set.labels.subarray(0, set.count)));
    }
    const spec = makeSpec([784, 16, 10], { activation: 'gelu', loss: 'mse' });
    const trained = await trainRun(new CpuBackend(), spec, { train: mnist.train, test },
      { epochs: 1, batch: 10, learningRate: 0.1, seed: 2, logEvery: 100 });
    const model = path.join(dir, 'model.safetensors');
    fs.writeFileSync(model, encodeModel(spec, trained.params));
    const cpu = await evaluateModel(new CpuBackend(), spec, trained.params, test);
    expect(cpu.test.accuracy).toBeGreaterThan(0.5); // a model that has learnt something, so the classes mean something

    const report = path.join(dir, 'eval.json');
    const evaluated = cli('eval', '--model', model, '--data', data, '--backend', 'webgpu', '--report', report);
    expect(evaluated.stderr).toBe('');
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/^device: WebGPU: /m);
    const json = JSON.parse(fs.readFileSync(report, 'utf8'));
    expect(json.backend).toBe('webgpu');
    expect(json.testAccuracy).toBe(cpu.test.accuracy);
    expect(Math.abs(json.testLoss - cpu.test.loss) / cpu.test.loss).toBeLessThan(1e-5);
    expect(json.confusion.flat()).toEqual(Array.from(cpu.confusion));

    const index = 17;
    const one = { ...test, pixels: test.pixels.subarray(index * 784, (index + 1) * 784), labels: test.labels.subarray(index, index + 1), count: 1 };
    const want = argmax(await predictOutputs(new CpuBackend(), spec, trained.params, one), 0, 10);
    const predicted = cli('predict', '--model', model, '--data', data, '--index', String(index), '--backend', 'webgpu');
    expect(predicted.stderr).toBe('');
    expect(predicted.code).toBe(0);
    expect(predicted.stdout).toMatch(new RegExp(`^test sample ${index} \\(label ${test.labels[index]}\\): class ${want} \\(output `, 'm'));
  });
});
