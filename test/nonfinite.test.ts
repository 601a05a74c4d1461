/**
 * A NaN or an infinity in a matmul's operands reaches exactly the outputs that a plain triple loop says it reaches,
 * on the CPU and on the GPU, in each form (nt, tn, nn): 0 · Inf and 0 · NaN are NaN, so a zero operand never hides a
 * non-finite one; Inf + (−Inf) is NaN; and every output whose sum has only finite terms stays finite. Half of A is
 * zero, as ReLU leaves a layer's gradients, so a kernel that skipped zero terms would fail.
 * On a GPU, or with WEBGPU_MLP_ALL_MATMULS=1, each form runs in each mode on a split-K tile (tiny) and on one without
 * (medium). On a software adapter, where each variant compiles for seconds, each form runs once per tile and each mode
 * once per tile, in the variants test/gpu-matmul.test.ts compiles there too.
 */
import { describe, expect, it } from 'vitest';
import { matmulNN, matmulNT, matmulTN } from '../src/cpu/matmul.js';
import { launch } from '../src/gpu/kernels.js';
import type { MatmulForm, MatmulMode, MatmulTile } from '../src/gpu/matmul-variants.js';
import { Rng } from '../src/model/rng.js';
import { useTestGpu } from './gpu-fixture.js';
import { everyMatmul, matmulTol, openTestGpu } from './gpu-setup.js';
import { expectClose } from './helpers.js';

/** c = A · B in logical form: A is (m, k), B is (k, n), both row-major, whatever a form stores. */
interface Operands {
  m: number;
  n: number;
  k: number;
  A: Float32Array;
  B: Float32Array;
}

/** Random operands with non-finite values placed where each case above occurs. Needs m >= 5, n >= 7, k >= 4. */
function operands(m: number, n: number, k: number): Operands {
  const rng = new Rng(m * 1000 + n * 10 + k);
  const A = Float32Array.from({ length: m * k }, () => (rng.below(2) ? 0 : rng.uniform(-1, 1)));
  const B = Float32Array.from({ length: k * n }, () => (rng.below(5) ? rng.uniform(-1, 1) : 0));
  const setA = (i: number, p: number, v: number) => (A[i * k + p] = v);
  const setB = (p: number, j: number, v: number) => (B[p * n + j] = v);
  // +Inf in B(0, 0) against A(0..2, 0) = 0, > 0, < 0: NaN, +Inf, −Inf in column 0 (unless other terms say more).
  setB(0, 0, Infinity);
  setA(0, 0, 0);
  setA(1, 0, 0.5);
  setA(2, 0, -0.5);
  // +Inf twice in column 3, against A(1, 0) > 0 and A(1, 2) < 0: Inf + (−Inf) at c[1, 3].
  setB(0, 3, Infinity);
  setB(2, 3, Infinity);
  setA(1, 2, -0.25);
  // −Inf in B(2, 1) against the zero A(0, 2).
  setA(0, 2, 0);
  setB(2, 1, -Infinity);
  // NaN in A: row 3 of c is NaN throughout.
  setA(3, 1, NaN);
  // +Inf in A(4, 3) against B(3, 4..6) = 0, > 0, < 0.
  setA(4, 3, Infinity);
  setB(3, 4, 0);
  setB(3, 5, 0.5);
  setB(3, 6, -0.5);
  // NaN in B: the last column of c is NaN throughout, zero terms or not.
  setB(k - 1, n - 1, NaN);
  return { m, n, k, A, B };
}

/** The plain loop c[i, j] = Σ_p A(i, p) · B(p, j), in float64 from +0, rounded once; skipZeros leaves out A(i, p) = 0. */
function plainLoop({ m, n, k, A, B }: Operands, skipZeros = false): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        if (skipZeros && A[i * k + p] === 0) continue;
        sum += A[i * k + p] * B[p * n + j];
      }
      c[i * n + j] = sum;
    }
  }
  return c;
}

const transpose = (x: Float32Array, rows: number, cols: number): Float32Array =>
  Float32Array.from({ length: x.length }, (_, t) => x[(t % rows) * cols + Math.floor(t / rows)]);

/** The operands as a form stores them: nt a (m, k), b (n, k); tn a (k, m), b (k, n); nn a (m, k), b (k, n). */
function stored(form: MatmulForm, { m, n, k, A, B }: Operands): { a: Float32Array; b: Float32Array } {
  if (form === 'nt') return { a: A, b: transpose(B, k, n) };
  if (form === 'tn') return { a: transpose(A, m, k), b: B };
  return { a: A, b: B };
}

const cpu: Record<MatmulForm, typeof matmulNT> = { nt: matmulNT, tn: matmulTN, nn: matmulNN };

type Kind = 'NaN' | '+Inf' | '-Inf' | 'finite';
const kindOf = (v: number): Kind =>
  Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : 'finite';
const kinds = (c: ArrayLike<number>): Kind[] => Array.from(c, kindOf);

/** (m, n, k) for each GPU variant: ragged for scalar, ragged but vec4-aligned for edge, whole tiles for fast. */
const RAGGED: [number, number, number] = [7, 9, 11];
const ALIGNED: [number, number, number] = [20, 12, 68];
const WHOLE_TINY_TILES: [number, number, number] = [16, 16, 64];
const WHOLE_MEDIUM_TILES: [number, number, number] = [64, 64, 16];
const SHAPES = [RAGGED, ALIGNED, WHOLE_TINY_TILES, WHOLE_MEDIUM_TILES];
const shapeFor = (tile: MatmulTile, mode: MatmulMode): [number, number, number] =>
  mode === 'scalar' ? RAGGED : mode === 'edge' ? ALIGNED : tile === 'tiny' ? WHOLE_TINY_TILES : WHOLE_MEDIUM_TILES;
const FORMS: MatmulForm[] = ['nt', 'tn', 'nn'];
const MODES: MatmulMode[] = ['fast', 'edge', 'scalar'];

/** Every form in every mode on both tiles; on a software adapter, form i in mode i on tiny and mode i + 1 on medium. */
const probe = await openTestGpu();
type Variant = [MatmulForm, MatmulTile, MatmulMode];
const CASES: Variant[] = everyMatmul(probe)
  ? FORMS.flatMap((form) =>
      (['tiny', 'medium'] as const).flatMap((tile) => MODES.map((mode): Variant => [form, tile, mode])),
    )
  : FORMS.flatMap((form, i): Variant[] => [
      [form, 'tiny', MODES[i]],
      [form, 'medium', MODES[(i + 1) % 3]],
    ]);
probe.destroy();

describe('the fixture', () => {
  it.each(SHAPES)('%i x %i x %i gives NaN, +Inf, -Inf and finite outputs, and NaN a zero skip loses', (m, n, k) => {
    const x = operands(m, n, k);
    const want = kinds(plainLoop(x));
    for (const kind of ['NaN', '+Inf', '-Inf', 'finite'] as const) expect(want, kind).toContain(kind);
    const skipped = kinds(plainLoop(x, true));
    expect(want.filter((kind, i) => kind === 'NaN' && skipped[i] !== 'NaN').length).toBeGreaterThan(0);
  });
});

describe('non-finite values in the CPU matmuls', () => {
  it.each(FORMS)('%s: the plain loop at every output, NaN, infinities and the sign of zero included', (form) => {
    for (const [m, n, k] of SHAPES) {
      const x = operands(m, n, k);
      const { a, b } = stored(form, x);
      const c = new Float32Array(m * n).fill(12345.5);
      cpu[form](c, a, b, m, n, k);
      expect(c, `${form} ${m}x${n}x${k}`).toEqual(plainLoop(x));
    }
  });
});

describe('non-finite values in the GPU matmuls', () => {
  const opened = useTestGpu({ kernels: true });

  it.each(CASES)('%s %s %s: NaN and infinities where the plain loop has them', async (form, tile, mode) => {
    const [m, n, k] = shapeFor(tile, mode);
    const x = operands(m, n, k);
    const want = plainLoop(x);
    const { a, b } = stored(form, x);
    // A finite sentinel rather than the runner's NaN poison, so an output nobody writes cannot pass as NaN.
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC;
    const out = opened.kernels.res.buffer('output', m * n * 4, usage, new Float32Array(m * n).fill(12345.5));
    const aBuf = opened.kernels.input(a);
    await opened.kernels.run(
      'matmul',
      [out],
      [aBuf, opened.kernels.input(b), aBuf],
      launch.matmul(form, { m, n, k, tile, mode }),
    );
    const got = await opened.kernels.readF32(out, m * n);
    const label = `${form} ${tile} ${mode} ${m}x${n}x${k}`;
    expect(kinds(got), label).toEqual(kinds(want));
    const finiteOnly = (c: Float32Array) => c.map((v, i) => (kindOf(want[i]) === 'finite' ? v : 0));
    expectClose(finiteOnly(got), finiteOnly(want), matmulTol(k), `${label}, finite outputs`);
  });
});
