import fs from 'node:fs';
import { UserError } from '../errors.js';
import type { ModelSpec } from '../model/spec.js';
import { writeFileAtomic } from './atomic.js';
import { decodeModel, encodeModel } from './model-codec.js';

export { decodeModel, encodeModel };

export function saveModel(file: string, spec: ModelSpec, params: Float32Array): void {
  writeFileAtomic(file, encodeModel(spec, params));
}

export function loadModel(file: string): { spec: ModelSpec; params: Float32Array } {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new UserError(`${file}: cannot read the model file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return decodeModel(bytes, file);
}
