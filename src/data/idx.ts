/**
 * The IDX format of the MNIST files: a magic number (two zero bytes, an element type, a dimension count), a big-endian
 * u32 per dimension, then the elements. Sizes are checked against the real length and the data is a zero-copy view,
 * so a lying header never makes us allocate. No Node imports: the demo parses fetched bytes the same way.
 */
import type { ImageDataset } from '../backend.js';
import { UserError } from '../errors.js';

/** Element type code of unsigned bytes, the only one MNIST uses. */
const UBYTE = 0x08;
export const IMAGES_MAGIC = 0x00000803;
export const LABELS_MAGIC = 0x00000801;
export const CLASSES = 10;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** [count, rows·cols] pixel bytes, a view into the given bytes. */
  pixels: Uint8Array;
}

export interface IdxLabels {
  count: number;
  /** [count] class indices 0..9, a view into the given bytes. */
  labels: Uint8Array;
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Parses an unsigned-byte IDX file of any dimension count: its dimensions, and its elements as a view. */
export function parseIdx(bytes: Uint8Array, file: string): { dims: number[]; data: Uint8Array } {
  if (bytes.length < 4)
    throw new UserError(`${file}: ${bytes.length} bytes is too short for an IDX file (the magic number alone is 4)`);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b)
    throw new UserError(`${file}: gzip-compressed: decompress it first (gunzip)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new UserError(
      `${file}: not an IDX file: magic ${hex(view(bytes).getUint32(0))} does not start with two zero bytes`,
    );
  }
  if (bytes[2] !== UBYTE) {
    throw new UserError(
      `${file}: IDX element type 0x${bytes[2].toString(16).padStart(2, '0')} is not supported, ` +
        'only unsigned bytes (0x08)',
    );
  }
  const rank = bytes[3];
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
    throw new UserError(
      `${file}: truncated: the header needs ${headerLength} bytes for ${rank} dimensions, file has ${bytes.length}`,
    );
  }
  const dims: number[] = [];
  let declared = 1; // can exceed 2^53 for a hostile header; it is only compared, never allocated
  for (let i = 0; i < rank; i++) {
    const dim = view(bytes).getUint32(4 + 4 * i);
    dims.push(dim);
    declared *= dim;
  }
  const available = bytes.length - headerLength;
  if (declared > available) {
    throw new UserError(`${file}: truncated: header declares ${declared} bytes of data, file has ${available}`);
  }
  if (declared < available) {
    throw new UserError(
      `${file}: has ${available - declared} trailing bytes after the ${declared} bytes of data its header declares`,
    );
  }
  return { dims, data: bytes.subarray(headerLength) };
}

/** Checks the magic number before parsing, so that e.g. a label file passed as images says so plainly. */
function expectMagic(bytes: Uint8Array, file: string, magic: number, what: string): void {
  if (bytes.length < 4 || (bytes[0] === 0x1f && bytes[1] === 0x8b)) return; // parseIdx explains these
  const found = view(bytes).getUint32(0);
  if (found === magic) return;
  let detail = `magic number ${hex(found)} is not ${hex(magic)}`;
  if ((found & ~0xff) === (magic & ~0xff)) {
    // Unsigned bytes but another dimension count: most likely the other file of an images/labels pair.
    detail = `has ${found & 0xff} dimensions (magic ${hex(found)}), ${what} files have ${magic & 0xff}`;
    if (found === LABELS_MAGIC) detail += ': this looks like a label file';
    if (found === IMAGES_MAGIC) detail += ': this looks like an image file';
  }
  throw new UserError(`${file}: not an IDX ${what} file: ${detail}`);
}

/** Parses an idx3 image file: [count, rows, cols] unsigned bytes. */
export function parseImages(bytes: Uint8Array, file: string): IdxImages {
  expectMagic(bytes, file, IMAGES_MAGIC, 'image');
  const { dims, data } = parseIdx(bytes, file);
  const [count, rows, cols] = dims;
  if (rows === 0 || cols === 0) throw new UserError(`${file}: images of ${rows}x${cols} pixels have no pixels`);
  return { count, rows, cols, pixels: data };
}

/** Parses an idx1 label file: [count] class indices, each 0..9. */
export function parseLabels(bytes: Uint8Array, file: string): IdxLabels {
  expectMagic(bytes, file, LABELS_MAGIC, 'label');
  const { dims, data } = parseIdx(bytes, file);
  const [count] = dims;
  const bad = data.findIndex((label) => label >= CLASSES);
  if (bad >= 0) throw new UserError(`${file}: label ${data[bad]} at index ${bad} is out of range 0..${CLASSES - 1}`);
  return { count, labels: data };
}

/** Pairs an image file with its label file. */
export function makeDataset(
  images: IdxImages,
  labels: IdxLabels,
  imagesFile: string,
  labelsFile: string,
): ImageDataset {
  if (images.count !== labels.count) {
    throw new UserError(
      `${imagesFile}: holds ${images.count} images but ${labelsFile} holds ${labels.count} labels: ` +
        'use the label file of the same set',
    );
  }
  if (images.count === 0) throw new UserError(`${imagesFile}: holds no images`);
  return { inputs: images.pixels, labels: labels.labels, count: images.count, features: images.rows * images.cols };
}
