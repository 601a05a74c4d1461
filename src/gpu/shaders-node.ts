import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ShaderLoader } from './shaders.js';

/**
 * Reads shaders/<name>.wgsl from the project root: two levels up from src/gpu when run from source (tsx, vitest),
 * three from dist/src/gpu when run from the build.
 */
export const nodeShaderLoader: ShaderLoader = (name) => {
  const candidates = ['../../shaders/', '../../../shaders/'].map(
    (dir) => new URL(`${dir}${name}.wgsl`, import.meta.url),
  );
  const found = candidates.find((url) => existsSync(fileURLToPath(url)));
  if (!found) {
    throw new Error(`shader ${name}.wgsl not found (looked in ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
  }
  return readFileSync(found, 'utf8');
};
