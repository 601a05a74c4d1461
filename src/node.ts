/**
 * webgpu-mlp's Node extras, with all of the main entry: CSV files, IDX folders and MNIST, model files and checkpoints
 * written atomically, and the Dawn device.
 * @packageDocumentation
 */

import { type LoadOptions, MLP } from './api/model.js';
import { readFileBytes, writeFileAtomic } from './io/atomic.js';
import type { Task } from './model/spec.js';

export { type CsvFileOptions, readCsvFile } from './data/csv-file.js';
export {
  DEFAULT_MAX_BYTES,
  defaultMnistDir,
  loadMnist,
  MNIST_FILES,
  type Mnist,
  type MnistOptions,
  readIdxBytes,
} from './data/mnist.js';
export { createDawn, type DawnProbe, probeDawn } from './gpu/dawn-node.js';
export { type AdapterDescription, Gpu, type GpuOptions, type LiveBuffers, requestGpu } from './gpu/device.js';
export { nodeShaderLoader } from './gpu/shaders-node.js';
export * from './index.js';
export { type FileData, writeFileAtomic } from './io/atomic.js';

/** Writes `model.toBytes()` to `file` atomically (a crash leaves the old file or the new one, never a torn one). */
export function saveModel(file: string, model: MLP): void {
  writeFileAtomic(file, model.toBytes());
}

/** Opens the model in `file` (one that saveModel or the CLI's train --out wrote). */
export async function loadModel<T extends Task = Task>(
  file: string,
  options: Omit<LoadOptions<T>, 'source'> = {},
): Promise<MLP<T>> {
  return MLP.fromBytes<T>(readFileBytes(file, 'model file'), { ...options, source: file });
}

/** Writes a checkpoint's bytes (what fit's checkpoint.save is given) to `file` atomically. */
export function saveCheckpoint(file: string, bytes: Uint8Array): void {
  writeFileAtomic(file, bytes);
}

/** A checkpoint's bytes from `file`, for fit's `resume`. */
export function loadCheckpoint(file: string): Uint8Array {
  return readFileBytes(file, 'checkpoint');
}
