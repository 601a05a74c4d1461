import { describe, expect, it } from 'vitest';
import { BOX, boundingBox, CENTRE, centreOfMass, FIELD, inkFromRgba, preprocessDigit } from '../src/data/digit.js';
import { loadMnist } from '../src/data/mnist.js';

/** A blank canvas of ink coverage with filled rectangles [x, y, w, h] at full ink. */
function canvas(width: number, height: number, rects: [number, number, number, number][]): Float32Array {
  const ink = new Float32Array(width * height);
  for (const [x0, y0, w, h] of rects) {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) ink[y * width + x] = 1;
  }
  return ink;
}

/** Bounding box of the nonzero pixels of a 28x28 result, as [width, height]. */
function inkedSize(pixels: Uint8Array): [number, number] {
  const box = boundingBox(pixels, FIELD, FIELD)!;
  return [box.x1 - box.x0, box.y1 - box.y0];
}

/** An MNIST digit blown up `scale` times with nearest-neighbour sampling, as if drawn on a big pad. */
function upscale(pixels: Uint8Array, scale: number): Float32Array {
  const side = FIELD * scale;
  const ink = new Float32Array(side * side);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++)
      ink[y * side + x] = pixels[Math.floor(y / scale) * FIELD + Math.floor(x / scale)] / 255;
  }
  return ink;
}

describe('preprocessDigit: a drawing made into an MNIST digit', () => {
  it('returns null for an empty pad', () => {
    expect(preprocessDigit(new Float32Array(100 * 100), 100, 100)).toBeNull();
  });

  it('scales the bounding box so its longer side is 20 pixels, keeping the aspect ratio', () => {
    // A 40x40 square in a corner: 20x20 of full ink. A 10x40 bar: 5x20.
    const square = preprocessDigit(canvas(200, 150, [[3, 5, 40, 40]]), 200, 150)!;
    expect(inkedSize(square)).toEqual([BOX, BOX]);
    expect(square.reduce((a, b) => a + b, 0)).toBe(BOX * BOX * 255);
    const bar = preprocessDigit(canvas(300, 300, [[200, 10, 10, 40]]), 300, 300)!;
    expect(inkedSize(bar)).toEqual([5, BOX]);
    expect(Math.max(...bar)).toBe(255);
  });

  it('anti-aliases: a stroke thinner than an output pixel becomes grey, with its ink preserved', () => {
    // A 1-pixel line 100 pixels tall scales by 1/5: one column of 20 pixels at 1/5 of full ink.
    const line = preprocessDigit(canvas(120, 120, [[50, 10, 1, 100]]), 120, 120)!;
    expect(inkedSize(line)).toEqual([1, BOX]);
    expect(new Set(line.filter((v) => v > 0))).toEqual(new Set([51])); // 255 / 5
  });

  it('centres by the centre of mass, not the bounding box', () => {
    // An L: a heavy bar on the left and a light foot. The box centre is not the mass centre.
    const ink = canvas(200, 200, [
      [20, 20, 30, 100],
      [50, 110, 50, 10],
    ]);
    const pixels = preprocessDigit(ink, 200, 200)!;
    const com = centreOfMass(pixels, FIELD, FIELD);
    expect(Math.abs(com.x - CENTRE)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(com.y - CENTRE)).toBeLessThanOrEqual(0.5);
    const box = boundingBox(pixels, FIELD, FIELD)!;
    expect((box.x0 + box.x1) / 2).not.toBeCloseTo(CENTRE, 0);
  });

  it('gives MNIST digits back unchanged when they are drawn ten times larger', () => {
    // MNIST's digits were made by this very procedure, so undoing a pure enlargement must reproduce them.
    const { test } = loadMnist();
    for (let n = 0; n < 100; n++) {
      const digit = test.inputs.subarray(n * 784, (n + 1) * 784);
      const result = preprocessDigit(upscale(digit, 10), 280, 280)!;
      let worst = 0;
      for (let i = 0; i < 784; i++) worst = Math.max(worst, Math.abs(result[i] - digit[i]));
      expect(worst, `test digit ${n}: largest pixel difference`).toBeLessThanOrEqual(1);
    }
  });

  it('reads ink from a canvas alpha channel', () => {
    const rgba = new Uint8ClampedArray([255, 255, 255, 0, 255, 255, 255, 255, 0, 0, 0, 51]);
    expect(inkFromRgba(rgba, 3, 1)).toEqual(Float32Array.from([0, 1, 0.2]));
  });
});
