/**
 * The unfused bias kernels, bias_add.wgsl and column_sum.wgsl (CPU references biasAdd, columnSum): training runs
 * both in matmul epilogues (BIAS, BIAS_GRAD) instead.
 */
import { defineKernel, strided, words, WORKGROUP } from './define.js';

/** Output y (in place); input the bias, from element biasOff. */
export const biasAdd = defineKernel({
  name: 'bias_add',
  outputs: 1,
  inputs: 1,
  step: false,
  constants: { WORKGROUP },
  launch: (rows: number, n: number, biasOff: number = 0) => ({ dims: words(rows, n, biasOff), groups: strided(rows * n) }),
});

/** Output the column sums; input x. One thread per column. */
export const columnSum = defineKernel({
  name: 'column_sum',
  outputs: 1,
  inputs: 1,
  step: false,
  constants: { WORKGROUP },
  launch: (rows: number, n: number) => ({
    dims: words(rows, n),
    groups: [Math.ceil(n / WORKGROUP), 1, 1] as [number, number, number],
  }),
});
