/**
 * A drawn digit made into an MNIST input as MNIST's were made (LeCun et al. 1998): its bounding box scaled into
 * 20x20 with anti-aliasing, then placed in 28x28 with its centre of mass at the centre. Pure functions over arrays,
 * shared by the demo's drawing pad and the CLI's predict of a PNG.
 */

/** MNIST's field and the box the digit is scaled into. */
export const FIELD = 28;
export const BOX = 20;

/**
 * Turns a drawn digit into the 28x28 bytes an MNIST model takes, as MNIST's own digits were made: scaled into a 20x20
 * box with grey edges, then centred by mass. `ink` is [height, width] row-major coverage, 0 = paper, 1 = full ink
 * (inkFromRgba reads it off a canvas). Returns [28·28] bytes, 0 = background, 255 = full ink; null when nothing is
 * drawn. For example: `preprocessDigit(inkFromRgba(context.getImageData(0, 0, w, h).data, w, h), w, h)`.
 */
export function preprocessDigit(ink: ArrayLike<number>, width: number, height: number): Uint8Array | null {
  const box = boundingBox(ink, width, height);
  if (!box) return null;
  const scaled = scaleIntoBox(ink, width, box);
  return centreByMass(scaled.values, scaled.width, scaled.height);
}

export interface Box {
  x0: number;
  y0: number;
  /** Exclusive ends. */
  x1: number;
  y1: number;
}

/** The smallest box holding every inked pixel; null if none is. */
export function boundingBox(ink: ArrayLike<number>, width: number, height: number): Box | null {
  let x0 = width,
    y0 = height,
    x1 = 0,
    y1 = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > 0) {
        if (x < x0) x0 = x;
        if (x >= x1) x1 = x + 1;
        if (y < y0) y0 = y;
        if (y >= y1) y1 = y + 1;
      }
    }
  }
  return x1 > x0 ? { x0, y0, x1, y1 } : null;
}

/**
 * Area-averages the box into at most BOX x BOX pixels, the longer side exactly BOX: each output pixel is the mean ink
 * over its footprint, partly covered pixels counting by their covered fraction (MNIST's grey edges).
 */
export function scaleIntoBox(
  ink: ArrayLike<number>,
  stride: number,
  box: Box,
): { values: Float32Array; width: number; height: number } {
  const boxW = box.x1 - box.x0;
  const boxH = box.y1 - box.y0;
  const step = Math.max(boxW, boxH) / BOX; // source pixels per output pixel
  const width = Math.max(1, Math.round(boxW / step));
  const height = Math.max(1, Math.round(boxH / step));
  const cols = footprints(box.x0, box.x1, width, step);
  const rows = footprints(box.y0, box.y1, height, step);
  const values = new Float32Array(width * height);
  const area = step * step;
  for (let oy = 0; oy < height; oy++) {
    const row = rows[oy];
    for (let ox = 0; ox < width; ox++) {
      const col = cols[ox];
      let sum = 0;
      for (let i = 0; i < row.index.length; i++) {
        const base = row.index[i] * stride;
        let line = 0;
        for (let j = 0; j < col.index.length; j++) line += ink[base + col.index[j]] * col.weight[j];
        sum += line * row.weight[i];
      }
      values[oy * width + ox] = Math.min(1, sum / area);
    }
  }
  return { values, width, height };
}

/** Per output pixel along an axis, the source pixels its footprint overlaps and by how much (clipped, centred). */
function footprints(start: number, end: number, count: number, step: number): { index: number[]; weight: number[] }[] {
  const origin = start - (count * step - (end - start)) / 2;
  const result: { index: number[]; weight: number[] }[] = [];
  for (let o = 0; o < count; o++) {
    const lo = Math.max(start, origin + o * step);
    const hi = Math.min(end, origin + (o + 1) * step);
    const index: number[] = [];
    const weight: number[] = [];
    for (let s = Math.floor(lo); s < hi; s++) {
      const covered = Math.min(hi, s + 1) - Math.max(lo, s);
      if (covered > 0) {
        index.push(s);
        weight.push(covered);
      }
    }
    result.push({ index, weight });
  }
  return result;
}

/** The centre of mass of [height, width] values, in pixel coordinates (pixel x spans [x, x+1)). */
export function centreOfMass(values: ArrayLike<number>, width: number, height: number): { x: number; y: number } {
  let mass = 0,
    mx = 0,
    my = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = values[y * width + x];
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  return mass > 0 ? { x: mx / mass, y: my / mass } : { x: width / 2, y: height / 2 };
}

/**
 * Where MNIST puts the centre of mass: inside pixel 14 on both axes, as centreOfMass() measures all but a handful of
 * the 60,000 training digits (mean x 14.51, y 14.50).
 */
export const CENTRE = FIELD / 2 + 0.5;

/** Pastes the values into a 28x28 field, shifted by whole pixels so that their centre of mass lands in pixel 14. */
export function centreByMass(values: Float32Array, width: number, height: number): Uint8Array {
  const com = centreOfMass(values, width, height);
  const dx = Math.round(CENTRE - com.x);
  const dy = Math.round(CENTRE - com.y);
  const out = new Uint8Array(FIELD * FIELD);
  for (let y = 0; y < height; y++) {
    const fy = y + dy;
    if (fy < 0 || fy >= FIELD) continue;
    for (let x = 0; x < width; x++) {
      const fx = x + dx;
      if (fx < 0 || fx >= FIELD) continue;
      out[fy * FIELD + fx] = Math.round(values[y * width + x] * 255);
    }
  }
  return out;
}

/**
 * A canvas's ink coverage for preprocessDigit: its RGBA pixels' alpha on the 0..1 scale (strokes drawn on a
 * transparent canvas; ImageData's `data`).
 */
export function inkFromRgba(rgba: Uint8ClampedArray, width: number, height: number): Float32Array {
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i + 3] / 255;
  return ink;
}
