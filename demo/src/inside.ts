/**
 * Looking inside the network: the first layer's weights as one 28x28 image per hidden unit (what each unit looks
 * for in a digit), and the hidden layers' outputs for the digit being drawn. Both use one signed colour scale:
 * blue below zero, white at zero, red above, symmetric around zero so that the strongest weight of the layer is
 * the deepest colour. Each view is one canvas, so a redraw is one putImageData.
 */
import { paramTable, view } from '../../src/model/params.js';
import type { ModelSpec } from '../../src/model/spec.js';

const NEGATIVE = [37, 99, 235];
const POSITIVE = [220, 38, 38];

/** Writes the colour of `value / scale` (clamped to -1..1) into rgba at byte `offset`. */
function signedColour(rgba: Uint8ClampedArray, offset: number, value: number, scale: number): void {
  const t = Math.max(-1, Math.min(1, scale > 0 ? value / scale : 0));
  const end = t < 0 ? NEGATIVE : POSITIVE;
  const a = Math.abs(t);
  for (let c = 0; c < 3; c++) rgba[offset + c] = 255 + (end[c] - 255) * a;
  rgba[offset + 3] = 255;
}

function largestMagnitude(values: ArrayLike<number>): number {
  let largest = 0;
  for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(values[i]));
  return largest;
}

/** FNV-1a of bytes, as eight hex digits: a short fingerprint of what a canvas shows, for the end-to-end test. */
function fingerprint(bytes: Uint8ClampedArray): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** Image side and tiles per row: MNIST's 28x28 images, tiles with a pixel between them. */
const SIDE = 28;
const GAP = 1;
/** Units drawn at most: more would be too small to see anything in. */
const MAX_UNITS = 256;

export class WeightImages {
  constructor(private readonly canvas: HTMLCanvasElement) {}

  /** Whether the first layer's inputs are an image this view can draw. */
  static fits(spec: ModelSpec): boolean {
    return spec.layers[0] === SIDE * SIDE && spec.layers.length > 2;
  }

  /** Draws the first layer's weight rows [hidden, 784] as tiles; `epoch` labels the drawing for the test. */
  show(spec: ModelSpec, params: Float32Array, epoch: number | null): void {
    const { weight, outSize } = paramTable(spec).layers[0];
    const weights = view(params, weight);
    const units = Math.min(outSize, MAX_UNITS);
    const columns = Math.min(units, 16);
    const rows = Math.ceil(units / columns);
    const width = columns * (SIDE + GAP) - GAP;
    const height = rows * (SIDE + GAP) - GAP;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.canvas.style.width = `${2 * width}px`; // twice the pixels: a 28x28 image is too small to read at 1:1
    }
    const ctx = this.canvas.getContext('2d')!;
    const image = ctx.createImageData(width, height);
    const scale = largestMagnitude(weights.subarray(0, units * SIDE * SIDE));
    for (let u = 0; u < units; u++) {
      const x0 = (u % columns) * (SIDE + GAP);
      const y0 = Math.floor(u / columns) * (SIDE + GAP);
      for (let p = 0; p < SIDE * SIDE; p++) {
        const offset = 4 * ((y0 + Math.floor(p / SIDE)) * width + x0 + (p % SIDE));
        signedColour(image.data, offset, weights[u * SIDE * SIDE + p], scale);
      }
    }
    ctx.putImageData(image, 0, 0);
    const { dataset } = this.canvas;
    dataset.units = String(units);
    dataset.fingerprint = fingerprint(image.data);
    dataset.updates = String(Number(dataset.updates ?? 0) + 1);
    if (epoch !== null) dataset.epochs = [dataset.epochs, `${epoch}:${dataset.fingerprint}`].filter(Boolean).join(',');
    this.canvas.title = `${units} hidden units of ${outSize}; colour scale ±${scale.toFixed(3)}`;
  }

  clear(): void {
    this.canvas.width = 0;
    for (const key of ['units', 'fingerprint', 'updates', 'epochs']) delete this.canvas.dataset[key];
  }
}

/** Cells of the activation view: 8 pixels each (drawn larger by CSS), 32 per row. */
const CELL = 8;
const PER_ROW = 32;

/** The hidden layers' outputs for one input: a row of coloured cells per layer, one cell per unit. */
export class ActivationView {
  constructor(private readonly canvas: HTMLCanvasElement) {}

  show(outputs: Float32Array[] | null): void {
    if (!outputs || outputs.length === 0) {
      this.canvas.width = 0;
      delete this.canvas.dataset.layers;
      return;
    }
    const rowsOf = (layer: Float32Array) => Math.ceil(layer.length / PER_ROW);
    const width = Math.min(PER_ROW, Math.max(...outputs.map((o) => o.length))) * CELL;
    const height = outputs.reduce((sum, o) => sum + rowsOf(o) * CELL + CELL, -CELL);
    this.canvas.width = width;
    this.canvas.height = height;
    this.canvas.style.width = `${2 * width}px`;
    const ctx = this.canvas.getContext('2d')!;
    const image = ctx.createImageData(width, height);
    let top = 0;
    for (const layer of outputs) {
      const scale = largestMagnitude(layer);
      for (let u = 0; u < layer.length; u++) {
        const x0 = (u % PER_ROW) * CELL;
        const y0 = top + Math.floor(u / PER_ROW) * CELL;
        for (let dy = 1; dy < CELL; dy++)
          for (let dx = 1; dx < CELL; dx++)
            signedColour(image.data, 4 * ((y0 + dy) * width + x0 + dx), layer[u], scale);
      }
      top += rowsOf(layer) * CELL + CELL;
    }
    ctx.putImageData(image, 0, 0);
    this.canvas.dataset.layers = outputs.map((o) => o.length).join(',');
    this.canvas.title = outputs
      .map((o, l) => `layer ${l + 1}: ${o.length} units, largest ${largestMagnitude(o).toFixed(2)}`)
      .join('; ');
  }
}
