/** The page's MNIST files arrive gzipped, or already unzipped by the browser where the server sent Content-Encoding. */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipUnlessDone } from '../demo/src/data.js';
import { defaultMnistDir, MNIST_FILES } from '../src/data/mnist.js';

describe('the page reads an MNIST file', () => {
  const labels = new Uint8Array(fs.readFileSync(path.join(defaultMnistDir(), MNIST_FILES[3])));

  it('unzips the .gz bytes a plain static server sends', async () => {
    const gzipped = new Uint8Array(zlib.gzipSync(labels));
    expect(Array.from(gzipped.subarray(0, 2))).toEqual([0x1f, 0x8b]);
    expect(await gunzipUnlessDone(gzipped)).toEqual(labels);
  });

  it('takes the bytes as they are where the browser unzipped them (Content-Encoding: gzip)', async () => {
    expect(Array.from(labels.subarray(0, 4))).toEqual([0, 0, 8, 1]); // IDX's magic: never gzip's
    expect(await gunzipUnlessDone(labels)).toBe(labels);
  });
});
