/** A digit from a PNG file (pngjs decodes any colour type and depth) as an MNIST input, for predict. Node only. */
import { PNG } from 'pngjs';
import { UserError } from '../errors.js';
import { readFileBytes } from '../io/atomic.js';
import { preprocessDigit } from './digit.js';

/** Ink below this (0..1) is taken for paper: the noise and faint shading of scans and photos. */
const PAPER = 0.1;

/**
 * Ink coverage 0..1 of an RGBA image: the alpha where the border is mostly transparent (a canvas export), else each
 * pixel's grey distance from the border's median grey, so that dark on light and light on dark both work.
 */
export function inkFromImage(rgba: Uint8Array, width: number, height: number): Float32Array {
  const count = width * height;
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(x, (height - 1) * width + x);
  for (let y = 1; y + 1 < height; y++) border.push(y * width, y * width + width - 1);
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1];
  const ink = new Float32Array(count);
  if (median(border.map((i) => rgba[4 * i + 3])) < 128) {
    for (let i = 0; i < count; i++) ink[i] = rgba[4 * i + 3] / 255;
  } else {
    const grey = (i: number) => 0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2];
    const paper = median(border.map(grey));
    const range = paper >= 128 ? paper : 255 - paper; // the distance to full ink
    for (let i = 0; i < count; i++) ink[i] = range > 0 ? Math.min(1, Math.abs(grey(i) - paper) / range) : 0;
  }
  for (let i = 0; i < count; i++) if (ink[i] < PAPER) ink[i] = 0;
  return ink;
}

/** Reads a PNG of one digit and prepares it like MNIST's: [28·28] bytes, 0 background, 255 full ink. */
export function readDigitPng(file: string): Uint8Array {
  const bytes = readFileBytes(file, 'image');
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new UserError(`${file}: not a PNG image this program can read (${(error as Error).message.split('\n')[0]})`);
  }
  const digit = preprocessDigit(inkFromImage(png.data, png.width, png.height), png.width, png.height);
  if (!digit) throw new UserError(`${file}: the image is blank: no digit to read`);
  return digit;
}
