import { UserError } from '../errors.js';
import { paramTable, view } from '../model/params.js';
import { type ModelSpec, makeSpec } from '../model/spec.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** Tensors named as PyTorch names an nn.Sequential of nn.Linear layers, plus the spec in __metadata__. */
export function encodeModel(spec: ModelSpec, params: Float32Array): Uint8Array {
  const table = paramTable(spec);
  const tensors = table.entries.map((e) => ({ name: e.name, shape: e.shape, data: view(params, e) }));
  return encodeSafetensors(tensors, {
    format: 'webgpu-mlp',
    version: '1',
    layers: spec.layers.join(','),
    activation: spec.activation,
    loss: spec.loss,
    input_mean: String(spec.inputMean),
    input_std: String(spec.inputStd),
  });
}

export function decodeModel(bytes: Uint8Array, file: string): { spec: ModelSpec; params: Float32Array } {
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  if (metadata.format !== 'webgpu-mlp') {
    throw new UserError(`${file}: safetensors file without webgpu-mlp metadata: save models with train --out`);
  }
  let spec: ModelSpec;
  try {
    spec = makeSpec(metadata.layers.split(',').map(Number), {
      activation: metadata.activation as ModelSpec['activation'],
      loss: metadata.loss as ModelSpec['loss'],
      inputMean: Number(metadata.input_mean),
      inputStd: Number(metadata.input_std),
    });
  } catch (error) {
    throw new UserError(`${file}: bad model metadata: ${(error as Error).message}`);
  }
  const table = paramTable(spec);
  const params = new Float32Array(table.total);
  for (const entry of table.entries) {
    const tensor = tensors.get(entry.name);
    if (!tensor) throw new UserError(`${file}: tensor "${entry.name}" is missing for layers ${spec.layers.join(',')}`);
    if (tensor.shape.join(',') !== entry.shape.join(',')) {
      throw new UserError(`${file}: tensor "${entry.name}" has shape [${tensor.shape}], layers ${spec.layers.join(',')} need [${entry.shape}]`);
    }
    params.set(tensor.data, entry.offset);
  }
  return { spec, params };
}
