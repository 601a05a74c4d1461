/**
 * Dropout's counter-based random numbers: MurmurHash3_x86_32 (public domain) of the words (step, layer, index) keyed
 * by the seed, stateless so that any step repeats (a resume, the GPU replaying the CPU). activation.wgsl computes it
 * bit for bit (u32 products wrap as Math.imul does); test/dropout.test.ts pins it to MurmurHash3's test vectors.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** x rotated left by k bits, as a u32. */
export function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** One 4-byte block of MurmurHash3_x86_32's body. */
function mixWord(h: number, word: number): number {
  const k = Math.imul(rotl(Math.imul(word >>> 0, C1), 15), C2);
  h = rotl((h ^ k) >>> 0, 13);
  return (Math.imul(h, 5) + 0xe6546b64) >>> 0;
}

/** MurmurHash3_x86_32's finaliser: every input bit reaches every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3_x86_32 of whole u32 words (their little-endian bytes), with a seed. */
export function murmur3Words(seed: number, words: ArrayLike<number>): number {
  let h = seed >>> 0;
  for (let i = 0; i < words.length; i++) h = mixWord(h, words[i]);
  return fmix32((h ^ (4 * words.length)) >>> 0);
}

/** The dropout draw of one element: a uniform u32. Equal to murmur3Words(seed, [step, layer, index]), unrolled. */
export function dropoutHash(seed: number, step: number, layer: number, index: number): number {
  return fmix32((mixWord(mixWord(mixWord(seed >>> 0, step), layer), index) ^ 12) >>> 0);
}

/**
 * The u32 below which an element is dropped: an element is kept when dropoutHash(...) >= threshold, which happens
 * with probability 1 - rate to within 2^-32. Computed once on the host; a GPU kernel compares against it as a u32.
 */
export function dropoutThreshold(rate: number): number {
  return Math.min(0xffffffff, Math.round(rate * 4294967296));
}
