/**
 * Dropout's counter-based hash and masks: MurmurHash3's published vectors (so a WGSL port can be checked against the
 * same numbers), determinism, the keep rate, independence between neighbouring elements, layers and steps, and the
 * inverted scaling.
 */
import { describe, expect, it } from 'vitest';
import { dropout, dropoutBackward } from '../src/cpu/dropout.js';
import { dropoutHash, dropoutThreshold, murmur3Words } from '../src/model/counter-hash.js';
import { Rng } from '../src/model/rng.js';
import { randomArray } from './helpers.js';

describe('the counter hash', () => {
  it("is MurmurHash3_x86_32: the reference implementation's test vectors", () => {
    // From the SMHasher verification lists (keys as little-endian 32-bit words).
    expect(murmur3Words(0, [])).toBe(0);
    expect(murmur3Words(1, [])).toBe(0x514e28b7);
    expect(murmur3Words(0xffffffff, [])).toBe(0x81f16f39);
    expect(murmur3Words(0, [0])).toBe(0x2362f9de);
    expect(murmur3Words(0, [0x87654321])).toBe(0xf55b516b);
    expect(murmur3Words(0x5082edee, [0x87654321])).toBe(0x2362f9de);
    expect(murmur3Words(0x9747b28c, [0x61616161])).toBe(0x5a97808a); // "aaaa"
  });

  it('dropoutHash(seed, step, layer, index) is murmur3 of the three words, and these exact values', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 200; i++) {
      const [seed, step, layer, index] = [rng.nextU32(), rng.nextU32(), rng.below(8), rng.nextU32()];
      expect(dropoutHash(seed, step, layer, index)).toBe(murmur3Words(seed, [step, layer, index]));
    }
    // Pinned for the WGSL port: any change to the hash changes these.
    expect([dropoutHash(1, 0, 1, 0), dropoutHash(1, 0, 1, 1), dropoutHash(0x27d4eb2e, 937, 2, 8191)]).toEqual([
      0x6ba9df91, 0xea4c4c5d, 0x89057fcf,
    ]);
  });

  it('threshold: keep when the hash is at least rate · 2^32', () => {
    expect(dropoutThreshold(0)).toBe(0);
    expect(dropoutThreshold(0.5)).toBe(0x80000000);
    expect(dropoutThreshold(0.999999999999)).toBe(0xffffffff);
  });
});

describe('dropout masks', () => {
  const count = 64 * 128; // one MNIST batch of a 128-wide hidden layer
  const mask = (seed: number, step: number, layer: number, rate: number) => {
    const y = new Float32Array(count);
    dropout(y, new Float32Array(count).fill(1), seed, step, layer, rate, count);
    return y;
  };

  it('repeat for the same (seed, step, layer) and differ for another of any of them', () => {
    const a = mask(7, 3, 1, 0.5);
    expect(mask(7, 3, 1, 0.5)).toEqual(a);
    for (const other of [mask(8, 3, 1, 0.5), mask(7, 4, 1, 0.5), mask(7, 3, 2, 0.5)]) {
      let same = 0;
      for (let i = 0; i < count; i++) if ((other[i] === 0) === (a[i] === 0)) same++;
      // Independent masks agree on half the elements: 4096 ± 45 (one standard deviation); allow 5.
      expect(Math.abs(same - count / 2)).toBeLessThan((5 * Math.sqrt(count)) / 2);
    }
  });

  it.each([0.1, 0.2, 0.5, 0.8])('keep 1 − %f of the elements, scaled by 1 / (1 − p)', (rate) => {
    let kept = 0;
    let total = 0;
    const values = new Set<number>();
    for (let step = 0; step < 20; step++) {
      for (const v of mask(11, step, 1, rate)) {
        values.add(v);
        if (v !== 0) kept++;
        total++;
      }
    }
    expect([...values].sort()).toEqual([0, Math.fround(1 / (1 - rate))]);
    // Binomial: standard deviation sqrt(n·p·(1 − p)) ≈ 180 of 164k; allow 5 of them.
    const sd = Math.sqrt(total * rate * (1 - rate));
    expect(Math.abs(kept - total * (1 - rate))).toBeLessThan(5 * sd);
  });

  it('neighbouring elements are not correlated', () => {
    const y = mask(3, 0, 1, 0.5);
    let agree = 0;
    for (let i = 1; i < count; i++) if ((y[i] === 0) === (y[i - 1] === 0)) agree++;
    expect(Math.abs(agree - (count - 1) / 2)).toBeLessThan((5 * Math.sqrt(count)) / 2);
  });

  it('rate 0 keeps everything unchanged; backward applies the same mask and scale to the gradient', () => {
    const rng = new Rng(9);
    const x = randomArray(rng, 500);
    const y = new Float32Array(500);
    dropout(y, x, 1, 2, 1, 0, 500);
    expect(y).toEqual(x);
    dropout(y, x, 1, 2, 1, 0.3, 500);
    const g = randomArray(rng, 500);
    const dx = new Float32Array(500);
    dropoutBackward(dx, g, 1, 2, 1, 0.3, 500);
    for (let i = 0; i < 500; i++) {
      expect(dx[i] === 0).toBe(y[i] === 0);
      if (y[i] !== 0) expect(dx[i]).toBe(Math.fround(g[i] / 0.7));
    }
  });
});
