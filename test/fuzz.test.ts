import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseImages, parseLabels } from '../src/data/idx.js';
import { readIdxBytes } from '../src/data/mnist.js';
import { UserError } from '../src/errors.js';
import { decodeModel, encodeModel } from '../src/io/model-codec.js';
import { initParams, paramTable } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { makeSpec } from '../src/model/spec.js';

/**
 * Seeded fuzzing of everything that reads untrusted bytes: each case must either parse or end in a UserError with a
 * one-line message. Any other exception (a RangeError from an allocation sized by a hostile header, a TypeError from
 * a missing field) fails the test, and so does a case that takes long (a hang, or a huge allocation).
 */
const CASES = 1500;

function idx(magic: number, dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function randomBytes(rng: Rng, length: number, below = 256): Uint8Array {
  return Uint8Array.from({ length }, () => rng.below(below));
}

/** One random damage: bit flips, a changed header word, truncation, extension, a spliced random run, or noise. */
function mutate(rng: Rng, good: Uint8Array): Uint8Array {
  const bytes = good.slice();
  switch (rng.below(6)) {
    case 0:
      for (let i = 0, n = 1 + rng.below(8); i < n && bytes.length; i++)
        bytes[rng.below(bytes.length)] ^= 1 << rng.below(8);
      return bytes;
    case 1: {
      // A header field set to an extreme: the classic way to ask a parser for gigabytes.
      const at = 4 * rng.below(Math.max(1, Math.min(6, bytes.length >> 2)));
      const extremes = [0, 1, 0xff, 0x7fffffff, 0xffffffff, rng.nextU32()];
      if (at + 4 <= bytes.length) new DataView(bytes.buffer).setUint32(at, extremes[rng.below(extremes.length)]);
      return bytes;
    }
    case 2:
      return bytes.subarray(0, rng.below(bytes.length + 1));
    case 3: {
      const out = new Uint8Array(bytes.length + 1 + rng.below(64));
      out.set(bytes);
      out.set(randomBytes(rng, out.length - bytes.length), bytes.length);
      return out;
    }
    case 4: {
      const at = rng.below(bytes.length + 1);
      const run = randomBytes(rng, Math.min(bytes.length - at, 1 + rng.below(32)));
      bytes.set(run, at);
      return bytes;
    }
    default:
      return randomBytes(rng, rng.below(200));
  }
}

/** Runs `parse`; returns true if it parsed, false if it refused properly; throws (failing the test) otherwise. */
function parsesOrRefuses(what: string, parse: () => unknown): boolean {
  const start = performance.now();
  try {
    parse();
    return true;
  } catch (error) {
    if (!(error instanceof UserError)) throw new Error(`${what}: not a UserError: ${(error as Error)?.stack ?? error}`);
    expect(error.message, what).not.toContain('\n');
    return false;
  } finally {
    expect(performance.now() - start, `${what}: took too long`).toBeLessThan(2000);
  }
}

describe('fuzzing untrusted inputs', () => {
  const rng = new Rng(20261123);
  const images = idx(0x803, [12, 5, 6], randomBytes(rng, 12 * 30));
  const labels = idx(0x801, [12], randomBytes(rng, 12, 10));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-'));
  afterAll(() => fs.rmSync(dir, { recursive: true }));

  it('IDX images and labels parse or refuse with a one-line UserError', () => {
    const outcomes = { parsed: 0, refused: 0 };
    for (let i = 0; i < CASES; i++) {
      const [good, parse] = i % 2 ? [images, parseImages] : [labels, parseLabels];
      const bytes = mutate(rng, good);
      const ok = parsesOrRefuses(`case ${i}`, () => parse(bytes, 'fuzz-idx'));
      outcomes[ok ? 'parsed' : 'refused']++;
    }
    // Both paths must be exercised: mutations of pixel bytes are still valid files.
    expect(outcomes.parsed).toBeGreaterThan(50);
    expect(outcomes.refused).toBeGreaterThan(500);
  });

  it('gzipped IDX files, damaged before or after compression, parse or refuse', () => {
    const file = path.join(dir, 'train-images-idx3-ubyte.gz');
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const compressed = gzipSync(i % 2 ? mutate(rng, images) : images);
      fs.writeFileSync(file, i % 2 ? compressed : mutate(rng, compressed));
      // A small output cap, so a mutated length can never make the test allocate much.
      if (!parsesOrRefuses(`gzip case ${i}`, () => parseImages(readIdxBytes(file, 1 << 16), file))) refused++;
    }
    expect(refused).toBeGreaterThan(100);
  });

  it('model files parse or refuse with a one-line UserError', () => {
    const spec = makeSpec([9, 5, 3]);
    const good = encodeModel(spec, initParams(paramTable(spec), 1));
    let refused = 0;
    for (let i = 0; i < CASES; i++) {
      if (!parsesOrRefuses(`model case ${i}`, () => decodeModel(mutate(rng, good), 'fuzz.safetensors'))) refused++;
    }
    expect(refused).toBeGreaterThan(500);
  });

  it('hostile headers are refused before any allocation they ask for', () => {
    // 4 billion images of 4 billion pixels in a 20-byte file.
    const huge = idx(0x803, [0xffffffff, 0xffffffff, 0xffffffff], new Uint8Array(4));
    expect(() => parseImages(huge, 'huge')).toThrow(/huge: /);
    // A safetensors header that claims 2^60 bytes of JSON.
    const claim = new Uint8Array(16);
    new DataView(claim.buffer).setBigUint64(0, 1n << 60n, true);
    expect(() => decodeModel(claim, 'claim.safetensors')).toThrow(UserError);
    // A tensor whose shape asks for 2^40 floats.
    const header = new TextEncoder().encode(
      JSON.stringify({
        __metadata__: { format: 'webgpu-mlp' },
        '0.weight': { dtype: 'F32', shape: [1 << 20, 1 << 20], data_offsets: [0, 8] },
      }),
    );
    const file = new Uint8Array(8 + header.length + 8);
    new DataView(file.buffer).setBigUint64(0, BigInt(header.length), true);
    file.set(header, 8);
    expect(() => decodeModel(file, 'shape.safetensors')).toThrow(/shape\.safetensors: .*0\.weight/);
  });
});
