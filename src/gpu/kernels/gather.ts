/**
 * The kernels that build a batch from a data set on the GPU: gather.wgsl (byte images with byte labels, normalised
 * through a table; CPU reference gather) and gather_floats.wgsl (float32 inputs as they are, with 32-bit label
 * words; CPU reference gatherFloats).
 */
import { defineKernel, SOFTWARE_THREADS, strided, WORKGROUP, words } from './define.js';

/** Each model's block of the order, of x and of labels_out (elements), for a gather of `models` models. */
export interface GatherStrides {
  models: number;
  order: number;
  x: number;
  labels: number;
}

const ONE: GatherStrides = { models: 1, order: 0, x: 0, labels: 0 };

/**
 * The rows of a set that one gather dispatch's bound buffers hold: rows [first, first + count) of the set, from the
 * buffers' row 0. The dispatch writes only the batch rows whose sample lies there (see the WGSL headers).
 */
export interface ShardRows {
  first: number;
  count: number;
}

/** A set in one buffer: every row a u32 sample index can name. */
const WHOLE: ShardRows = { first: 0, count: 0xffffffff };

/**
 * Outputs x, labels_out; inputs pixels, labels (the shard's), order, lut; the step's start row from the step table.
 */
export const gather = defineKernel({
  name: 'gather',
  outputs: 2,
  inputs: 4,
  models: false,
  step: true,
  constants: { WORKGROUP },
  softwareConstants: SOFTWARE_THREADS,
  launch: (rows: number, features: number, useOrder: boolean, s: GatherStrides = ONE, shard: ShardRows = WHOLE) => ({
    dims: words(rows, features, useOrder ? 1 : 0, s.order, s.x, s.labels, shard.first, shard.count),
    groups: strided(rows * features, s.models),
    gridStride: true,
  }),
});

/** Outputs x, labels_out; inputs inputs, labels (the shard's), order; the step's start row from the step table. */
export const gatherFloats = defineKernel({
  name: 'gather_floats',
  outputs: 2,
  inputs: 3,
  models: false,
  step: true,
  constants: { WORKGROUP },
  softwareConstants: SOFTWARE_THREADS,
  launch: (
    rows: number,
    features: number,
    useOrder: boolean,
    labelWidth: number,
    s: GatherStrides = ONE,
    shard: ShardRows = WHOLE,
  ) => ({
    dims: words(rows, features, useOrder ? 1 : 0, labelWidth, s.order, s.x, s.labels, shard.first, shard.count),
    groups: strided(rows * Math.max(features, labelWidth), s.models),
    gridStride: true,
  }),
});

/**
 * gather's byte-to-input table: entry v is exactly what the CPU's gather stores for byte v (the same float64
 * expression, rounded to fp32 once), so both backends train on bit-identical inputs.
 */
export function normalisationTable(mean: number, std: number): Float32Array {
  const scale = 1 / (255 * std);
  const shift = mean / std;
  return Float32Array.from({ length: 256 }, (_, v) => v * scale - shift);
}
