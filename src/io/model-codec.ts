import { UserError } from '../errors.js';
import { paramTable, view } from '../model/params.js';
import { type ModelSpec, makeSpec } from '../model/spec.js';
import { decodeSafetensors, encodeSafetensors, modelFileFix, type Tensor } from './safetensors.js';

/** The format names in __metadata__: a model file and a checkpoint. */
export const MODEL_FORMAT = 'webgpu-mlp';
export const CHECKPOINT_FORMAT = 'webgpu-mlp-checkpoint';
/** The model file layout this program writes and reads (checkpoints carry their own version: checkpoint.ts). */
const MODEL_VERSION = '1';

/** The spec as __metadata__ strings: layer sizes, activation, loss, input normalisation. */
export function specMetadata(spec: ModelSpec): Record<string, string> {
  return {
    layers: spec.layers.join(','),
    activation: spec.activation,
    loss: spec.loss,
    input_mean: String(spec.inputMean),
    input_std: String(spec.inputStd),
  };
}

/** The parameters as tensors named as PyTorch names an nn.Sequential of nn.Linear and activation modules. */
export function paramTensors(spec: ModelSpec, params: Float32Array, prefix = ''): Tensor[] {
  return paramTable(spec).entries.map((e) => ({ name: prefix + e.name, shape: e.shape, data: view(params, e) }));
}

/** Tensors named as PyTorch names an nn.Sequential of nn.Linear layers, plus the spec in __metadata__. */
export function encodeModel(spec: ModelSpec, params: Float32Array): Uint8Array {
  return encodeSafetensors(paramTensors(spec, params), { format: MODEL_FORMAT, version: MODEL_VERSION, ...specMetadata(spec) });
}

export function specFromMetadata(metadata: Record<string, string>, file: string): ModelSpec {
  try {
    if (typeof metadata.layers !== 'string') throw new UserError('no layer sizes');
    return makeSpec(metadata.layers.split(',').map(Number), {
      activation: metadata.activation as ModelSpec['activation'],
      loss: metadata.loss as ModelSpec['loss'],
      inputMean: Number(metadata.input_mean),
      inputStd: Number(metadata.input_std),
    });
  } catch (error) {
    throw new UserError((n) => `${file}: bad model metadata: ${(error as Error).message}; ${modelFileFix(n)}`, 'savedModel');
  }
}

/** Gathers the tensors `prefix` + each parameter's name into one flat vector laid out by the spec's table. */
export function flatFromTensors(spec: ModelSpec, tensors: Map<string, Tensor>, file: string, prefix = ''): Float32Array {
  const table = paramTable(spec);
  const flat = new Float32Array(table.total);
  for (const entry of table.entries) {
    const name = prefix + entry.name;
    const tensor = tensors.get(name);
    if (!tensor) throw new UserError((n) => `${file}: tensor "${name}" is missing for layers ${spec.layers.join(',')}; ${modelFileFix(n)}`, 'savedModel');
    if (tensor.shape.join(',') !== entry.shape.join(',')) {
      throw new UserError((n) => `${file}: tensor "${name}" has shape [${tensor.shape}], layers ${spec.layers.join(',')} need [${entry.shape}]; ${modelFileFix(n)}`, 'savedModel');
    }
    flat.set(tensor.data, entry.offset);
  }
  return flat;
}

/** Reads a model file, or the model inside a checkpoint (its optimiser state is ignored). */
export function decodeModel(bytes: Uint8Array, file: string): { spec: ModelSpec; params: Float32Array } {
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  if (metadata.format !== MODEL_FORMAT && metadata.format !== CHECKPOINT_FORMAT) {
    throw new UserError((n) => `${file}: safetensors file without webgpu-mlp metadata: give ${n('savedModel')}`, 'savedModel');
  }
  if (metadata.format === MODEL_FORMAT && metadata.version !== MODEL_VERSION) {
    throw new UserError(`${file}: model file version ${metadata.version ?? '(none)'}, this program reads version ${MODEL_VERSION}: ` +
      'read it with the webgpu-mlp that wrote it, or train the model again');
  }
  const spec = specFromMetadata(metadata, file);
  return { spec, params: flatFromTensors(spec, tensors, file) };
}
