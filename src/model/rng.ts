/**
 * Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32, so that every run with the same seed
 * initialises and shuffles identically on every platform.
 */
import { fmix32, rotl } from './counter-hash.js';

export class Rng {
  private s = new Uint32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32, whose mix is MurmurHash3's finaliser: spreads a small seed over the whole 128-bit state.
      x = (x + 0x9e3779b9) >>> 0;
      this.s[i] = fmix32(x);
    }
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** A uniform float in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** A uniform integer in [0, n), without modulo bias. */
  below(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    let x: number;
    do x = this.nextU32();
    while (x >= limit);
    return x % n;
  }

  /** Fisher-Yates shuffle in place. */
  shuffle(values: Uint32Array): Uint32Array {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const v = values[i];
      values[i] = values[j];
      values[j] = v;
    }
    return values;
  }

  /** Plain values for checkpoints: a generator rebuilt from them continues the same sequence. */
  get state(): number[] {
    return Array.from(this.s);
  }

  set state(words: number[]) {
    this.s.set(words);
  }
}
