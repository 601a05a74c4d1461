/**
 * Model files and checkpoints by their contents, for tests that look below MLP: the bytes layer over an atomic write.
 */
import { readFileBytes, writeFileAtomic } from '../src/io/atomic.js';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint-codec.js';
import { decodeModel, encodeModel } from '../src/io/model-codec.js';
import type { ModelSpec } from '../src/model/spec.js';

export function readModel(file: string): { spec: ModelSpec; params: Float32Array } {
  return decodeModel(readFileBytes(file, 'model file'), file);
}

export function writeModel(file: string, spec: ModelSpec, params: Float32Array): void {
  writeFileAtomic(file, encodeModel(spec, params));
}

export function saveCheckpoint(file: string, checkpoint: Checkpoint): void {
  writeFileAtomic(file, encodeCheckpoint(checkpoint));
}

export function loadCheckpoint(file: string): Checkpoint {
  return decodeCheckpoint(readFileBytes(file, 'checkpoint'), file);
}
