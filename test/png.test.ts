/** predict --image: a PNG decoded by pngjs, its ink found whichever way it is drawn, and prepared like MNIST's digits. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/mnist.js';
import { inkFromImage, readDigitPng } from '../src/data/png.js';
import { UserError } from '../src/errors.js';

/** An RGBA image of `side`² pixels: an MNIST digit scaled up `scale` times (nearest neighbour) at (x0, y0). */
function paint(
  digit: Uint8Array,
  side: number,
  scale: number,
  x0: number,
  y0: number,
  style: 'dark-on-light' | 'light-on-dark' | 'alpha',
): PNG {
  const png = new PNG({ width: side, height: side });
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const dx = Math.floor((x - x0) / scale);
      const dy = Math.floor((y - y0) / scale);
      const ink = dx >= 0 && dx < 28 && dy >= 0 && dy < 28 ? digit[dy * 28 + dx] : 0;
      const i = 4 * (y * side + x);
      const grey = style === 'dark-on-light' ? 255 - ink : style === 'light-on-dark' ? ink : 0;
      png.data[i] = png.data[i + 1] = png.data[i + 2] = grey;
      png.data[i + 3] = style === 'alpha' ? ink : 255;
    }
  }
  return png;
}

describe('PNG digits', () => {
  it('find the ink of dark-on-light, light-on-dark and transparent drawings alike', () => {
    const rgba = (pixels: number[][]) => Uint8Array.from(pixels.flat());
    // 3x3 images: a paper border and one inked centre pixel.
    const paper = [255, 255, 255, 255];
    const dark = rgba([paper, paper, paper, paper, [0, 0, 0, 255], paper, paper, paper, paper]);
    expect(Array.from(inkFromImage(dark, 3, 3))).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0]);
    const black = [0, 0, 0, 255];
    const light = rgba([black, black, black, black, [128, 128, 128, 255], black, black, black, black]);
    expect(inkFromImage(light, 3, 3)[4]).toBeCloseTo(128 / 255, 6);
    const clear = [0, 0, 0, 0];
    const alpha = rgba([clear, clear, clear, clear, [0, 0, 0, 204], clear, clear, clear, clear]);
    expect(inkFromImage(alpha, 3, 3)[4]).toBeCloseTo(0.8, 6);
    // Faint shading of the paper (a scan) is not ink.
    const shaded = rgba([paper, paper, paper, paper, [240, 240, 240, 255], paper, paper, paper, paper]);
    expect(inkFromImage(shaded, 3, 3)[4]).toBe(0);
  });

  it('come back as the MNIST digit they were drawn from, however drawn', () => {
    const { test } = loadMnist();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'png-'));
    for (const style of ['dark-on-light', 'light-on-dark', 'alpha'] as const) {
      for (let n = 0; n < 20; n++) {
        const digit = test.inputs.subarray(n * 784, (n + 1) * 784);
        const file = path.join(dir, `${style}-${n}.png`);
        fs.writeFileSync(file, PNG.sync.write(paint(digit, 150, 4, 11 + n, 7 + 2 * n, style)));
        const back = readDigitPng(file);
        // Ink below 10% counts as paper, so MNIST's faintest edge pixels (below 26) may go, and with them a row or
        // column of the bounding box, which would scale the digit a little differently. Measured over these 60:
        // mean difference at most 0.4 grey levels of 255, every clearly inked pixel (> 64) still inked.
        let sum = 0;
        let inked = 0;
        let both = 0;
        for (let i = 0; i < 784; i++) {
          sum += Math.abs(back[i] - digit[i]);
          if (digit[i] > 64) {
            inked++;
            if (back[i] > 0) both++;
          }
        }
        expect(sum / 784, `${style} ${n}`).toBeLessThan(2);
        expect(both, `${style} ${n}`).toBe(inked);
      }
    }
    fs.rmSync(dir, { recursive: true });
  });

  it('refuse files that are not PNG, and blank images, with one-line errors', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'png-'));
    const text = path.join(dir, 'note.png');
    fs.writeFileSync(text, 'not a png');
    expect(() => readDigitPng(text)).toThrow(UserError);
    expect(() => readDigitPng(text)).toThrow(/note\.png: not a PNG image/);
    const blank = path.join(dir, 'blank.png');
    fs.writeFileSync(blank, PNG.sync.write(paint(new Uint8Array(784), 40, 1, 0, 0, 'dark-on-light')));
    expect(() => readDigitPng(blank)).toThrow(/blank\.png: the image is blank/);
    expect(() => readDigitPng(path.join(dir, 'missing.png'))).toThrow(/cannot read the image \(ENOENT\)/);
    fs.rmSync(dir, { recursive: true });
  });
});
