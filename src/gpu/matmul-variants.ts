/**
 * The matmul family (shaders/matmul.wgsl): its variants, the one place a variant is picked by shape, and the
 * specialisation of the WGSL source per variant. Every variant has the same contract (the Dims block and the flags),
 * so any of them can run any matmul the CPU reference can; they differ only in speed.
 */

/** c = a · bᵀ (forward), aᵀ · b (weight gradient) or a · b (input gradient): which operands are transposed. */
export type MatmulForm = 'nt' | 'tn' | 'nn';

/** Work per workgroup. `large` and `medium` fill a big GPU on big outputs; `small` and `tiny` split k inside the
 * workgroup, so outputs of a few tiles (a layer at batch 64) still keep many threads busy on a long k; `micro` is 16
 * threads that load their own operands straight from storage (DIRECT in matmul.wgsl), a software adapter's tile. */
export type MatmulTile = 'large' | 'medium' | 'small' | 'tiny' | 'micro';

/** How a variant loads: `fast` (vec4, no bounds checks), `edge` (vec4, checked), `scalar` (per element, checked). */
export type MatmulMode = 'fast' | 'edge' | 'scalar';

export interface MatmulVariant {
  form: MatmulForm;
  tile: MatmulTile;
  mode: MatmulMode;
}

/**
 * tm, tn: rows and columns of c per workgroup; tk: the depth of a k tile; rm, rn: results per thread along m and n;
 * sk: k slices per workgroup (split-K inside the workgroup).
 */
export type TileShape = Record<'tm' | 'tn' | 'tk' | 'rm' | 'rn' | 'sk', number>;

/**
 * Every tile but `micro` keeps 256 threads (the portable maximum); all stay under 16 KiB of workgroup memory (the
 * default limit).
 */
export const MATMUL_TILES: Record<MatmulTile, TileShape> = {
  large: { tm: 128, tn: 128, tk: 8, rm: 8, rn: 8, sk: 1 },
  medium: { tm: 64, tn: 64, tk: 16, rm: 4, rn: 4, sk: 1 },
  small: { tm: 32, tn: 32, tk: 32, rm: 4, rn: 4, sk: 4 },
  tiny: { tm: 16, tn: 16, tk: 64, rm: 4, rn: 4, sk: 16 },
  micro: { tm: 16, tn: 16, tk: 4, rm: 4, rn: 4, sk: 1 },
};

export const MATMUL_TILE_NAMES = Object.keys(MATMUL_TILES) as MatmulTile[];
/** The tiles a GPU picks from, largest first: `micro` only where a choice names it (a software adapter's). */
const GPU_TILES = MATMUL_TILE_NAMES.filter((tile) => tile !== 'micro');
export const MATMUL_MODES: MatmulMode[] = ['fast', 'edge', 'scalar'];

/** The smallest tile edge: a matmul asks for at most ceil(size / this) workgroups along one dimension. */
export const MIN_TILE_EDGE = 16;

/**
 * The workgroups a dispatch should have before a larger tile is worth it: about one per streaming multiprocessor of a
 * big GPU (132 on an H100). Fewer, larger tiles leave most of the chip idle; the next smaller tile then wins.
 */
export const MIN_WORKGROUPS = 128;

/**
 * The choice for a software adapter (SwiftShader): every matmul on the micro tile, 16 threads that each load their
 * 4 × 4 block's operands straight from storage. A few CPU cores run the workgroups there, and staging through
 * workgroup memory with barriers costs more than the loads it saves: on SwiftShader (2 cores) a step of 784-128-10 at
 * batch 64 ran 2.2-2.7x faster on the micro tile than on the medium and large tiles a GPU takes, and of
 * 784-1024-1024-10 at batch 1024 1.75x (bench/NOTES.md).
 */
export const SOFTWARE_CHOICE: MatmulChoice = { tile: 'micro' };

/** Operand layouts per form, as matmul.wgsl's A_KM and B_KN. */
const LAYOUT: Record<MatmulForm, { aKM: boolean; bKN: boolean }> = {
  nt: { aKM: false, bKN: false },
  tn: { aKM: true, bKN: true },
  nn: { aKM: false, bKN: true },
};

export interface MatmulShape {
  m: number;
  n: number;
  k: number;
  /** Element offsets of a and b (vec4 loads need multiples of 4). */
  aOff: number;
  bOff: number;
}

export const workgroupsFor = (tile: MatmulTile, m: number, n: number): number =>
  Math.ceil(m / MATMUL_TILES[tile].tm) * Math.ceil(n / MATMUL_TILES[tile].tn);

/**
 * The fastest mode that is correct for this shape and tile: `fast` needs whole tiles, and both operands loadable as
 * whole vec4 (offsets and the dimension each is contiguous along, all multiples of 4); `edge` only the latter.
 */
export function modeFor(form: MatmulForm, tile: MatmulTile, { m, n, k, aOff, bOff }: MatmulShape): MatmulMode {
  const { aKM, bKN } = LAYOUT[form];
  if (aOff % 4 !== 0 || bOff % 4 !== 0 || (aKM ? m : k) % 4 !== 0 || (bKN ? n : k) % 4 !== 0) return 'scalar';
  const { tm, tn, tk } = MATMUL_TILES[tile];
  return m % tm === 0 && n % tn === 0 && k % tk === 0 ? 'fast' : 'edge';
}

/** How to choose: a forced tile or mode (a software adapter, the benchmark, the tests), else by shape. */
export interface MatmulChoice {
  tile?: MatmulTile;
  mode?: MatmulMode;
}

/**
 * Picks the variant for a shape: the largest GPU tile that still gives MIN_WORKGROUPS workgroups (else the smallest
 * one), and the fastest mode that shape allows. This is the only place variants are chosen; a forced tile or mode
 * overrides the choice, and a mode that would be wrong for the shape is refused.
 */
export function pickMatmul(form: MatmulForm, shape: MatmulShape, choice: MatmulChoice = {}): MatmulVariant {
  const fits = GPU_TILES.find((t) => workgroupsFor(t, shape.m, shape.n) >= MIN_WORKGROUPS);
  const tile = choice.tile ?? fits ?? GPU_TILES[GPU_TILES.length - 1];
  const best = modeFor(form, tile, shape);
  const mode = choice.mode ?? best;
  // Any mode after the best one is slower, never wrong.
  if (MATMUL_MODES.indexOf(mode) < MATMUL_MODES.indexOf(best)) {
    const { m, n, k, aOff, bOff } = shape;
    throw new Error(`matmul ${form} ${tile} cannot run ${m}x${n}x${k} (offsets ${aOff}, ${bOff}) in mode ${mode}`);
  }
  return { form, tile, mode };
}

export const variantKey = ({ form, tile, mode }: MatmulVariant): string => `matmul.${form}.${tile}.${mode}`;

/** matmul.wgsl's pipeline-overridable constants of a variant: the tile's sizes and the flags, booleans as 0 or 1. */
export type VariantConstants = Record<
  'TM' | 'TN' | 'TK' | 'RM' | 'RN' | 'SK' | 'A_KM' | 'B_KN' | 'VEC4' | 'CHECKED' | 'DIRECT',
  number
>;

/** The values of matmul.wgsl's pipeline-overridable constants for one variant, checked. */
export function variantConstants({ form, tile, mode }: MatmulVariant): VariantConstants {
  const { tm, tn, tk, rm, rn, sk } = MATMUL_TILES[tile];
  const { aKM, bKN } = LAYOUT[form];
  const constants = {
    TM: tm,
    TN: tn,
    TK: tk,
    RM: rm,
    RN: rn,
    SK: sk,
    A_KM: +aKM,
    B_KN: +bKN,
    VEC4: +(mode !== 'scalar'),
    CHECKED: +(mode !== 'fast'),
    // The micro tile is a software adapter's: its threads load their own operands, no workgroup memory.
    DIRECT: +(tile === 'micro'),
  };
  checkVariant(constants, variantKey({ form, tile, mode }));
  return constants;
}

/**
 * What matmul.wgsl assumes of its constants, checked before its pipeline is made (WGSL's const_assert cannot read
 * overrides): 4 or 8 results per thread each way, whole vec4 steps through a tile, at most one load unit per thread,
 * the bias-gradient threads (one per row of the tile) all in slice 0, bounds checks wherever loads are scalar, and
 * one 4 x 4 block per thread, 4 k at a time, in one slice where threads load their own operands.
 */
export function checkVariant(c: VariantConstants, name: string): void {
  const slice = (c.TM / c.RM) * (c.TN / c.RN);
  const threads = slice * c.SK;
  const loadUnits = (edge: number, alongK: number) => (alongK ? (edge * c.TK) / 4 : (edge * c.TK) / 16);
  const rules: [boolean, string][] = [
    [[4, 8].includes(c.RM) && [4, 8].includes(c.RN), 'RM and RN must be 4 or 8'],
    [c.TM % c.RM === 0 && c.TN % c.RN === 0, 'TM and TN must be multiples of RM and RN'],
    [c.TK % c.SK === 0 && c.TK % 4 === 0, 'TK must be a multiple of SK and of 4'],
    [
      loadUnits(c.TM, c.A_KM) <= threads && loadUnits(c.TN, c.B_KN) <= threads,
      'a tile needs more load units than threads',
    ],
    [c.TM <= slice, 'TM must not exceed the threads of a slice (the bias gradient runs in slice 0)'],
    [c.VEC4 !== 0 || c.CHECKED !== 0, 'scalar loads must be CHECKED'],
    [!c.DIRECT || (c.SK === 1 && c.RM === 4 && c.RN === 4 && c.TK === 4), 'DIRECT needs SK = 1, RM = RN = 4, TK = 4'],
  ];
  const broken = rules.filter(([holds]) => !holds).map(([, rule]) => rule);
  if (broken.length > 0) {
    throw new Error(`matmul variant ${name} breaks what matmul.wgsl assumes: ${broken.join('; ')}`);
  }
}
