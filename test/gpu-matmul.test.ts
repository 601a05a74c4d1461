import { afterAll, describe, expect, it } from 'vitest';
import { relu, reluBackward } from '../src/cpu/activations.js';
import { biasAdd, columnSum } from '../src/cpu/bias.js';
import { matmulNN, matmulNT, matmulTN } from '../src/cpu/matmul.js';
import { sgdUpdate } from '../src/cpu/updates.js';
import { defaultMatmulChoice } from '../src/gpu/backend.js';
import type { Gpu } from '../src/gpu/device.js';
import { BIAS, BIAS_GRAD, launch, MASK, RELU, UPDATE } from '../src/gpu/kernels.js';
import {
  checkVariant,
  MATMUL_MODES,
  MATMUL_TILE_NAMES,
  MATMUL_TILES,
  type MatmulForm,
  type MatmulMode,
  type MatmulTile,
  pickMatmul,
  SOFTWARE_CHOICE,
  variantConstants,
} from '../src/gpu/matmul-variants.js';
import { Rng } from '../src/model/rng.js';
import { everyMatmul, KernelRunner, matmulTol, openTestGpu, withLeadingJunk } from './gpu-setup.js';
import { expectClose, randomArray } from './helpers.js';

/**
 * The matmul family against matmulNT / matmulTN / matmulNN: each variant (3 forms x 4 tiles x 3 modes) forced on a
 * shape made for it (the fast mode on a tile-aligned shape, edge on a ragged one whose contiguous dimensions are
 * multiples of 4, scalar on a ragged one with odd offsets), plain and with the epilogue training uses. Then the
 * variants picked by shape on awkward sizes, as this device's backend picks them. Outputs start as NaN, so an element nobody writes fails.
 * Compiling a variant takes SwiftShader 2 to 4 seconds, which is most of this file's time; the shapes stay small. On
 * a software adapter the forced variants are every form and mode of the micro tile (all it trains on there) and of the
 * medium tile (a GPU's most frequent pick), and one per mode, each in another form, of the large tile and of the
 * split-K tiny tile; on a GPU, or with WEBGPU_MLP_ALL_MATMULS=1, all 45.
 */

const gpu: Gpu = await openTestGpu();
const run: KernelRunner = await KernelRunner.create(gpu);

afterAll(() => {
  run.destroy();
  gpu.destroy();
});

const ALL_VARIANTS = (['nt', 'tn', 'nn'] as const).flatMap((form) =>
  MATMUL_TILE_NAMES.flatMap((tile) => MATMUL_MODES.map((mode) => [form, tile, mode] as const)),
);

/** GPU tiles forced once per mode on a software adapter, each mode in another form. */
const ONCE_PER_MODE = [
  ['nt', 'tiny', 'fast'],
  ['tn', 'tiny', 'edge'],
  ['nn', 'tiny', 'scalar'],
  ['nt', 'large', 'scalar'],
  ['tn', 'large', 'fast'],
  ['nn', 'large', 'edge'],
] as const;

/** How this device's backend picks variants (SOFTWARE_CHOICE on a software adapter). */
const picking = defaultMatmulChoice(gpu);

const testedVariants = everyMatmul(gpu)
  ? ALL_VARIANTS
  : [...ALL_VARIANTS.filter(([, tile]) => tile === SOFTWARE_CHOICE.tile || tile === 'medium'), ...ONCE_PER_MODE];

interface Case {
  m: number;
  n: number;
  k: number;
  aOff: number;
  bOff: number;
}

/** A shape that the variant's mode is made for, and that no faster mode can run. */
function caseFor(form: MatmulForm, tile: MatmulTile, mode: MatmulMode): Case {
  const { tm, tn, tk } = MATMUL_TILES[tile];
  if (mode === 'fast') return { m: tm, n: 2 * tn, k: 3 * tk, aOff: 4, bOff: 8 };
  if (mode === 'scalar') return { m: tm + 1, n: tn + 3, k: 2 * tk + 1, aOff: 3, bOff: 5 };
  // edge: ragged against the tile, but every dimension an operand is contiguous along is a multiple of 4.
  if (form === 'nt') return { m: tm + 3, n: tn + 5, k: 2 * tk + 4, aOff: 4, bOff: 12 };
  if (form === 'tn') return { m: tm + 4, n: 2 * tn - 4, k: tk + 3, aOff: 4, bOff: 12 };
  return { m: tm + 3, n: tn + 4, k: 2 * tk + 4, aOff: 4, bOff: 12 };
}

/** Stored operand sizes: nt a [m, k], b [n, k]; tn a [k, m], b [k, n]; nn a [m, k], b [k, n]. */
const reference: Record<MatmulForm, typeof matmulNT> = { nt: matmulNT, tn: matmulTN, nn: matmulNN };

/**
 * Runs one form through a variant (forced, or picked when tile and mode are undefined): plain against the CPU, then
 * with the epilogue that training uses. Returns the plain result so callers can compare runs.
 */
async function check(
  form: MatmulForm,
  { m, n, k, aOff, bOff }: Case,
  tile?: MatmulTile,
  mode?: MatmulMode,
): Promise<Float32Array> {
  const rng = new Rng(m * 7919 + n * 104729 + k * 31 + form.length + (tile?.length ?? 0) + (mode?.length ?? 0));
  const a = randomArray(rng, m * k);
  const b = randomArray(rng, n * k);
  const expected = new Float32Array(m * n);
  reference[form](expected, a, b, m, n, k);
  // Unforced, the pick is the device's backend's: on a software adapter the micro tile.
  const force = tile ? { tile, mode } : picking;
  const tol = matmulTol(k);
  const label = `${form} ${tile ?? 'picked'} ${mode ?? ''} ${m}x${n}x${k}`;

  const aBuf = run.input(withLeadingJunk(a, aOff));
  const bBuf = run.input(withLeadingJunk(b, bOff));
  const plain = run.output(2 + m * n);
  await run.run('matmul', [plain], [aBuf, bBuf, aBuf], launch.matmul(form, { m, n, k, cOff: 2, aOff, bOff, ...force }));
  const got = await run.readF32(plain, 2 + m * n);
  expect(Number.isNaN(got[0]) && Number.isNaN(got[1]), `${label}: nothing written before c_off`).toBe(true);
  expectClose(got.subarray(2), expected, tol, label);

  if (form === 'nt') {
    // The layer's forward: the bias sits in the same buffer as the weight (the flat parameter vector).
    const bias = randomArray(rng, n);
    const params = run.input(withLeadingJunk(Float32Array.of(...b, ...bias), bOff));
    const want = expected.slice();
    biasAdd(want, bias, m, n);
    relu(want, want, m * n);
    const out = run.output(m * n);
    await run.run(
      'matmul',
      [out],
      [aBuf, params, params],
      launch.matmul('nt', { m, n, k, flags: BIAS | RELU, aOff, bOff, eOff: bOff + n * k, ...force }),
    );
    expectClose(await run.readF32(out, m * n), want, tol, `${label} + bias + relu`);
  } else if (form === 'nn') {
    // The input gradient through the ReLU below: zero where the layer's input was not positive.
    const mask = randomArray(rng, m * n);
    const want = expected.slice();
    reluBackward(want, want, mask, m * n);
    const out = run.output(m * n);
    await run.run(
      'matmul',
      [out],
      [aBuf, bBuf, run.input(withLeadingJunk(mask, 6))],
      launch.matmul('nn', { m, n, k, flags: MASK, aOff, bOff, eOff: 6, ...force }),
    );
    expectClose(await run.readF32(out, m * n), want, tol, `${label} masked`);
  } else {
    // The weight and bias gradient applied as an SGD step to parameters laid out weight [m, n] then bias [m].
    const lr = 0.1;
    const before = randomArray(rng, m * n + m);
    const biasGrad = new Float32Array(m);
    columnSum(biasGrad, a, k, m);
    const gradients = Float32Array.of(...expected, ...biasGrad);
    const want = before.slice();
    sgdUpdate(want, gradients, lr, want.length);
    const params = run.res.buffer(
      'params',
      before.byteLength,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
      before,
    );
    await run.run(
      'matmul',
      [params],
      [aBuf, bBuf, aBuf],
      launch.matmul('tn', { m, n, k, flags: BIAS_GRAD | UPDATE, aOff, bOff, eOff: m * n, ...force }),
      // The rate is the model's, from the model table.
      { table: [{ start: 0, slot: 0 }], rows: [{ lr }], entry: 0 },
    );
    // p - lr·g with |p| <= 1 and |lr·g| <= 0.1·k: the gradient's own error times lr, plus an ulp of p.
    expectClose(
      await run.readF32(params, m * n + m),
      want,
      { atol: 2e-7 + 0.1 * tol.atol, rtol: 1e-5 },
      `${label} SGD step`,
    );
  }
  return got.subarray(2);
}

describe('matmul variants, forced, against the CPU', () => {
  it('include the split-K tile in every mode: 24 variants on a software adapter, all 45 on a GPU', () => {
    const modes = new Set(testedVariants.filter(([, tile]) => MATMUL_TILES[tile].sk > 1).map(([, , mode]) => mode));
    expect([...modes].sort()).toEqual([...MATMUL_MODES].sort());
    expect(testedVariants.length).toBe(everyMatmul(gpu) ? 45 : 24);
  });

  it.each(testedVariants)('%s %s %s', async (form, tile, mode) => {
    const shape = caseFor(form, tile, mode);
    // The shape must really need this mode: no faster mode is allowed on it.
    const faster = MATMUL_MODES.slice(0, MATMUL_MODES.indexOf(mode));
    for (const other of faster)
      expect(() => launch.matmul(form, { ...shape, tile, mode: other })).toThrow(/cannot run/);
    const first = await check(form, shape, tile, mode);
    if (MATMUL_TILES[tile].sk > 1 && mode === 'edge') {
      // Split-K sums the slices in a fixed order: a second run gives the same bits (a race would not).
      expect(await check(form, shape, tile, mode)).toEqual(first);
    }
  });
});

describe('matmuls picked by shape, at awkward sizes', () => {
  // Partial tiles everywhere, k far from every tile depth, a single row or column, and round sizes.
  const SHAPES: [number, number, number][] = [
    [1, 1, 1],
    [7, 33, 130],
    [33, 7, 17],
    [130, 1, 33],
    [1, 130, 7],
    [64, 64, 16],
    [128, 64, 48],
    [65, 130, 129],
  ];
  it.each(SHAPES)('m %i, n %i, k %i: nt, tn and nn', async (m, n, k) => {
    for (const form of ['nt', 'tn', 'nn'] as const) {
      await check(form, { m, n, k, aOff: 0, bOff: 0 });
      await check(form, { m, n, k, aOff: 1, bOff: 2 });
    }
  });

  it('tn with the bias gradient alone (no update) writes it after the weight gradient', async () => {
    const [m, n, k] = [10, 64, 7];
    const rng = new Rng(99);
    const a = randomArray(rng, k * m);
    const b = randomArray(rng, k * n);
    const expected = new Float32Array(m * n + m);
    matmulTN(expected, a, b, m, n, k);
    columnSum(expected.subarray(m * n), a, k, m);
    const grads = run.output(m * n + m);
    await run.run(
      'matmul',
      [grads],
      [run.input(a), run.input(b), run.input(a)],
      launch.matmul('tn', { m, n, k, flags: BIAS_GRAD, eOff: m * n, ...picking }),
    );
    expectClose(await run.readF32(grads, m * n + m), expected, matmulTol(k), 'tn weight and bias gradient');
  });
});

describe('variant choice (pickMatmul) and specialisation', () => {
  const shape = (m: number, n: number, k: number, aOff = 0, bOff = 0) => ({ m, n, k, aOff, bOff });

  it('takes the largest tile that still fills a big GPU, and the fastest mode the shape allows', () => {
    expect(pickMatmul('nt', shape(4096, 4096, 4096))).toEqual({ form: 'nt', tile: 'large', mode: 'fast' });
    // 1024 x 1024 is 64 large tiles, too few for 132 SMs: medium gives 256.
    expect(pickMatmul('nn', shape(1024, 1024, 1024))).toEqual({ form: 'nn', tile: 'medium', mode: 'fast' });
    // The first layer's forward at batch 64: 2 medium tiles; the split-K tiles give 8 and 32 workgroups.
    expect(pickMatmul('nt', shape(64, 128, 784))).toEqual({ form: 'nt', tile: 'tiny', mode: 'edge' });
    // The first layer's weight gradient at batch 1024: n = 784 is ragged, and contiguous along n, a multiple of 4.
    expect(pickMatmul('tn', shape(1024, 784, 1024))).toEqual({ form: 'tn', tile: 'medium', mode: 'edge' });
    expect(pickMatmul('tn', shape(1024, 784, 1024, 0, 2))).toEqual({ form: 'tn', tile: 'medium', mode: 'scalar' });
    expect(pickMatmul('nt', shape(33, 10, 17))).toEqual({ form: 'nt', tile: 'tiny', mode: 'scalar' });
  });

  it('on a software adapter, takes the micro tile for every shape, in the fastest mode the shape allows', () => {
    expect(pickMatmul('nt', shape(16, 16, 12), SOFTWARE_CHOICE)).toEqual({ form: 'nt', tile: 'micro', mode: 'fast' });
    expect(pickMatmul('nt', shape(64, 10, 128), SOFTWARE_CHOICE)).toEqual({ form: 'nt', tile: 'micro', mode: 'edge' });
    expect(pickMatmul('tn', shape(128, 784, 64), SOFTWARE_CHOICE)).toEqual({ form: 'tn', tile: 'micro', mode: 'fast' });
    expect(pickMatmul('nn', shape(33, 10, 17), SOFTWARE_CHOICE)).toEqual({ form: 'nn', tile: 'micro', mode: 'scalar' });
  });

  it('refuses a forced mode that would be wrong for the shape', () => {
    expect(() => pickMatmul('nt', shape(100, 128, 64), { tile: 'large', mode: 'fast' })).toThrow(/cannot run/);
    expect(pickMatmul('nt', shape(100, 128, 64), { tile: 'large', mode: 'scalar' }).mode).toBe('scalar');
  });

  it("gives every variant's constants, and refuses one that breaks what matmul.wgsl assumes before a pipeline is made", () => {
    for (const form of ['nt', 'tn', 'nn'] as const) {
      for (const tile of MATMUL_TILE_NAMES) {
        for (const mode of MATMUL_MODES) expect(() => variantConstants({ form, tile, mode })).not.toThrow();
      }
    }
    const good = variantConstants({ form: 'tn', tile: 'small', mode: 'edge' });
    expect(good).toEqual({
      TM: 32,
      TN: 32,
      TK: 32,
      RM: 4,
      RN: 4,
      SK: 4,
      A_KM: 1,
      B_KN: 1,
      VEC4: 1,
      CHECKED: 1,
      DIRECT: 0,
    });
    expect(variantConstants({ form: 'nt', tile: 'micro', mode: 'edge' }).DIRECT).toBe(1);
    const refused = (change: Partial<typeof good>) => () => checkVariant({ ...good, ...change }, 'bad');
    expect(refused({ RM: 2 })).toThrow(
      /^matmul variant bad breaks what matmul\.wgsl assumes: RM and RN must be 4 or 8$/,
    );
    expect(refused({ TK: 30 })).toThrow(/TK must be a multiple of SK and of 4/);
    expect(refused({ TM: 64, TN: 8 })).toThrow(/TM must not exceed the threads of a slice/);
    expect(refused({ TK: 256, SK: 1 })).toThrow(/more load units than threads/);
    expect(refused({ VEC4: 0, CHECKED: 0 })).toThrow(/scalar loads must be CHECKED/);
    expect(refused({ DIRECT: 1 })).toThrow(/DIRECT needs SK = 1, RM = RN = 4, TK = 4/);
  });
});
