/**
 * The activation kernel on the GPU against the CPU reference: every activation forward and backward
 * (src/cpu/activations.ts), dropout inside it (src/cpu/dropout.ts) and the counter hash its masks come from, then
 * whole training sessions with each activation and with dropout against CpuSession.
 */
import { describe, expect, it } from 'vitest';
import { activationBackward, activationForward } from '../src/cpu/activations.js';
import { dropout, dropoutBackward } from '../src/cpu/dropout.js';
import { launch } from '../src/gpu/kernels.js';
import { nodeShaderLoader } from '../src/gpu/shaders-node.js';
import { dropoutHash, murmur3Words } from '../src/model/counter-hash.js';
import { Rng } from '../src/model/rng.js';
import { ACTIVATIONS, type Activation, makeSpec } from '../src/model/spec.js';
import { LAYERS, useTestGpu } from './gpu-fixture.js';
import {
  compareSessions,
  EVAL_FUSED,
  EVAL_UNFUSED,
  FUSED,
  orders,
  sessionOptions,
  UNFUSED,
} from './gpu-session-parity.js';
import { expectClose, randomArray, relativeError } from './helpers.js';

const fixture = useTestGpu({ kernels: true });

/**
 * A step table whose entry 1 carries run step `step` in its model-table row (entry 0 is a decoy: the dynamic offset
 * must pick entry 1), with the dropout's rate and seed as the model's constants.
 */
const stepTable = (step: number, drop?: { rate: number; seed: number }) => ({
  table: [
    { start: 0, slot: 0 },
    { start: 0, slot: 1 },
  ],
  rows: [{ run: 12345 }, { run: step }],
  model: { dropout: drop?.rate ?? 0, seed: drop?.seed ?? 0 },
  entry: 1,
});

/** A buffer holding `data` that a kernel may overwrite and the test read back. */
const inOut = (data: Float32Array) =>
  fixture.kernels.res.buffer('in/out', data.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, data);

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
    const { device } = fixture.gpu;
    const run = fixture.kernels;
    const module = device.createShaderModule({ code });
    const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
    expect(errors.map((m) => `${m.lineNum}: ${m.message}`)).toEqual([]);
    const pipeline = await device.createComputePipelineAsync({
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
    });
    const count = keys.length / 4;
    const out = run.output(3 * count);
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: out } },
        { binding: 1, resource: { buffer: run.input(keys) } },
      ],
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
      [0, 0, 0, 0x2362f9de],
      [1, 0, 0x514e28b7, -1],
      [0xffffffff, 0, 0x81f16f39, -1],
      [0, 0x87654321, 0, 0xf55b516b],
      [0x5082edee, 0x87654321, -1, 0x2362f9de],
      [0x9747b28c, 0x61616161, -1, 0x5a97808a],
    ];
    // dropoutHash's pinned values, then random keys: large seeds, steps and indices, small layers.
    const pinned: [number, number, number, number, number][] = [
      [1, 0, 1, 0, 0x6ba9df91],
      [1, 0, 1, 1, 0xea4c4c5d],
      [0x27d4eb2e, 937, 2, 8191, 0x89057fcf],
    ];
    const rng = new Rng(77);
    const random = Array.from({ length: 5000 }, () => [rng.nextU32(), rng.nextU32(), rng.below(8), rng.nextU32()]);
    const keys = Uint32Array.from([
      ...vectors.flatMap(([seed, word]) => [seed, 0, 0, word]),
      ...pinned.flatMap((key) => key.slice(0, 4)), // each key without its expected hash
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
function cpuActivation(
  kind: Activation,
  x: Float32Array,
  dy: Float32Array,
  drop?: { rate: number; seed: number; step: number; layer: number },
) {
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
  kind: Activation,
  x: Float32Array,
  dy: Float32Array,
  drop?: { rate: number; seed: number; step: number; layer: number },
) {
  const n = x.length;
  const run = fixture.kernels;
  const y = run.output(n);
  const steps = stepTable(drop?.step ?? 0, drop);
  await run.run('activation', [y], [run.input(x)], launch.activation(n, kind, false, drop?.layer), steps);
  const g = inOut(dy);
  await run.run('activation', [g], [run.input(x)], launch.activation(n, kind, true, drop?.layer), steps);
  return { y: await run.readF32(y, n), dx: await run.readF32(g, n) };
}

/**
 * Pre-activations over every regime: mostly |x| < 6 (the curved parts), some out to ±30 (saturation, the tails of
 * GELU), and exact zeros, tiny values and values near the kinks.
 */
function preActivations(rng: Rng, n: number): Float32Array {
  const special = [0, -0, 1e-30, -1e-30, 1e-6, -1e-6, 0.2499, 0.2501, -0.2501, 17, -17, 30, -30];
  return Float32Array.from({ length: n }, (_, i) =>
    i < special.length ? special[i] : rng.uniform(i % 5 === 0 ? -30 : -6, i % 5 === 0 ? 30 : 6),
  );
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
    '%s forward and backward, %i values',
    async (kind, n) => {
      const rng = new Rng(n + kind.length);
      const x = preActivations(rng, n);
      const dy = randomArray(rng, n);
      const want = cpuActivation(kind, x, dy);
      const got = await gpuActivation(kind, x, dy);
      expectClose(got.y, want.y, activationTol[kind], `${kind} forward`);
      expectClose(got.dx, want.dx, activationTol[kind], `${kind} backward`);
    },
  );

  it("gelu over a fine grid of -12..12: its erf (Abramowitz and Stegun 7.1.26) is the CPU's to fp32 precision", async () => {
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
  ])("masks bitwise equal to the CPU's at rate $rate, step $step, layer $layer", async (drop) => {
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

  it("gelu with dropout: the mask after the activation, and backward through both in the CPU's order", async () => {
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

describe('training sessions with each activation and with dropout against CpuSession: 3 layers, 5 steps, evaluate(test and val), predict', () => {
  it.each(ACTIVATIONS)('%s with softmax-cross-entropy', async (activation) => {
    const fused = activation === 'relu';
    await compareSessions(
      fixture.backend,
      makeSpec(LAYERS, { activation }),
      0,
      fused ? FUSED : UNFUSED,
      fused ? EVAL_FUSED : EVAL_UNFUSED,
    );
  });

  it('relu with dropout 0.3: the activation kernel while training, fused ReLU at evaluation', async () => {
    await compareSessions(fixture.backend, makeSpec(LAYERS), 0.3, UNFUSED, EVAL_FUSED);
  });

  it('dropout with another seed trains differently (the seed reaches the masks)', async () => {
    const spec = makeSpec(LAYERS);
    const [a, b] = await Promise.all(
      [0x5eed, 0x5eee].map((seed) =>
        fixture.backend.createSession({ ...sessionOptions(spec, 0.3), dropout: { rate: 0.3, seed } }),
      ),
    );
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
