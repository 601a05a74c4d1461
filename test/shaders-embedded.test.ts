/**
 * The WGSL built into the main entry (src/gpu/shaders-embedded.ts, generated from shaders/ by
 * scripts/embed-shaders.mjs) against the files themselves: every kernel the code compiles, byte for byte.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KERNELS, type KernelName } from '../src/gpu/kernels.js';
import { embeddedShaderLoader } from '../src/gpu/shaders-embedded.js';
import { nodeShaderLoader } from '../src/gpu/shaders-node.js';

const kernels = Object.keys(KERNELS) as KernelName[];
const files = readdirSync(new URL('../shaders/', import.meta.url))
  .filter((f) => f.endsWith('.wgsl'))
  .map((f) => f.slice(0, -5));

describe('embedded shaders', () => {
  it.each(kernels)('%s is the text of its shaders/ file (stale? npm run embed)', (name) => {
    expect(embeddedShaderLoader(name)).toBe(nodeShaderLoader(name));
  });

  it('embeds every file of shaders/, each one a kernel', () => {
    expect([...files].sort()).toEqual([...kernels].sort());
    for (const name of files) expect(embeddedShaderLoader(name)).toBe(nodeShaderLoader(name));
  });

  it('refuses a name it does not have, saying so', () => {
    expect(() => embeddedShaderLoader('no_such_kernel')).toThrow(/no_such_kernel\.wgsl is not among the \d+ embedded/);
    expect(() => embeddedShaderLoader('toString')).toThrow(/not among/);
  });
});
