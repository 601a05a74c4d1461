/**
 * matmul.wgsl, the matrix-product family: its epilogue flags, its Dims and its grid. The variants (tiles, load modes)
 * and the one place a variant is picked by shape are src/gpu/matmul-variants.ts. CPU references: matmulNT, matmulTN,
 * matmulNN.
 */
import { MATMUL_TILES, type MatmulChoice, type MatmulForm, MIN_TILE_EDGE, pickMatmul } from '../matmul-variants.js';
import { defineKernel, words } from './define.js';

/** Epilogue flags (Dims.flags), combined with |; matmul.wgsl takes their values from here. */
export const BIAS = 1;
export const RELU = 2;
export const MASK = 4;
export const BIAS_GRAD = 8;
export const UPDATE = 16;

/** The most workgroups a matmul asks for along one dimension, for a side of `size`. */
export const matmulGroupsAlong = (size: number): number => Math.ceil(size / MIN_TILE_EDGE);

/** A matmul's sizes, epilogue and offsets, and what may force or inform the pick of its variant (MatmulChoice). */
export interface MatmulArgs extends MatmulChoice {
  m: number;
  n: number;
  k: number;
  flags?: number;
  /** Element offsets of c, a, b and of the epilogue operand (bias, bias gradient or mask). */
  cOff?: number;
  aOff?: number;
  bOff?: number;
  eOff?: number;
  /** Models in the grid (its z; default 1), and each operand's model block in elements (multiples of 4; 0: shared). */
  models?: number;
  cStride?: number;
  aStride?: number;
  bStride?: number;
  eStride?: number;
}

/** Output c; inputs a, b and the epilogue operand e; the model table (each model's active flag, and its rate for
 * UPDATE). Every form takes one argument block; the variant is picked by shape (pickMatmul). */
export const matmul = defineKernel({
  name: 'matmul',
  outputs: 1,
  inputs: 3,
  models: true,
  step: true,
  constants: { BIAS, RELU, MASK, BIAS_GRAD, UPDATE },
  launch: (form: MatmulForm, args: MatmulArgs) => {
    const { m, n, k, flags = 0, cOff = 0, aOff = 0, bOff = 0, eOff = 0, models = 1 } = args;
    const { cStride = 0, aStride = 0, bStride = 0, eStride = 0 } = args;
    if ([cStride, aStride, bStride, eStride].some((stride) => stride % 4 !== 0)) {
      throw new Error("a matmul operand's model stride must be a multiple of 4 (vec4 loads)");
    }
    const variant = pickMatmul(form, { m, n, k, aOff, bOff }, args);
    const { tm, tn } = MATMUL_TILES[variant.tile];
    return {
      dims: words(m, n, k, flags, cOff, aOff, bOff, eOff, cStride, aStride, bStride, eStride),
      groups: [Math.ceil(n / tn), Math.ceil(m / tm), models] as [number, number, number],
      variant,
    };
  },
});
