import { Rng } from './rng.js';
import type { ModelSpec } from './spec.js';

/** One tensor in the flat parameter vector. */
export interface ParamEntry {
  /** PyTorch's name in an nn.Sequential of nn.Linear and activation modules: "0.weight", "0.bias", "2.weight", ... */
  name: string;
  /** [out, in] for a weight (nn.Linear's layout), [out] for a bias. */
  shape: number[];
  /** Offset into the flat parameter (and gradient) vector, in floats. */
  offset: number;
  size: number;
}

export interface LayerParams {
  inSize: number;
  outSize: number;
  weight: ParamEntry;
  bias: ParamEntry;
}

/**
 * The parameter table: every parameter of the model lives in one flat Float32Array (and one GPU buffer), layer by
 * layer, weight then bias. The same table drives allocation, initialisation, the optimiser, save/load and the
 * gradient checks.
 */
export interface ParamTable {
  layers: LayerParams[];
  entries: ParamEntry[];
  /** Total number of floats. */
  total: number;
}

export function paramTable(spec: ModelSpec): ParamTable {
  const layers: LayerParams[] = [];
  const entries: ParamEntry[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]): ParamEntry => {
    const size = shape.reduce((a, b) => a * b, 1);
    const entry = { name, shape, offset, size };
    offset += size;
    entries.push(entry);
    return entry;
  };
  for (let l = 0; l + 1 < spec.layers.length; l++) {
    const inSize = spec.layers[l];
    const outSize = spec.layers[l + 1];
    // Linear modules sit at even indices of the Sequential, activations between them.
    const weight = add(`${2 * l}.weight`, [outSize, inSize]);
    const bias = add(`${2 * l}.bias`, [outSize]);
    layers.push({ inSize, outSize, weight, bias });
  }
  return { layers, entries, total: offset };
}

/**
 * PyTorch's nn.Linear default initialisation: kaiming_uniform_(a=sqrt(5)) for the weight, which is
 * U(-1/sqrt(in), 1/sqrt(in)), and the same bound for the bias.
 */
export function initParams(table: ParamTable, seed: number): Float32Array {
  const params = new Float32Array(table.total);
  const rng = new Rng(seed);
  for (const layer of table.layers) {
    const bound = 1 / Math.sqrt(layer.inSize);
    for (const entry of [layer.weight, layer.bias]) {
      for (let i = 0; i < entry.size; i++) params[entry.offset + i] = rng.uniform(-bound, bound);
    }
  }
  return params;
}

/** A view of one tensor inside a flat vector. */
export function view(vector: Float32Array, entry: ParamEntry): Float32Array {
  return vector.subarray(entry.offset, entry.offset + entry.size);
}
