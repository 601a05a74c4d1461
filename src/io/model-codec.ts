import { UserError } from '../errors.js';
import { paramTable, view } from '../model/params.js';
import { type ModelSpec, makeSpec } from '../model/spec.js';
import type { TableDescription } from '../model/table.js';
import { parseSetting } from '../train/resolve.js';
import { MODEL_SETTINGS, SETTINGS, type Value } from '../train/settings.js';
import { decodeSafetensors, encodeSafetensors, modelFileFix, type Tensor } from './safetensors.js';

/** The format names in __metadata__: a model file and a checkpoint. */
export const MODEL_FORMAT = 'webgpu-mlp';
export const CHECKPOINT_FORMAT = 'webgpu-mlp-checkpoint';
/**
 * The layouts of model files and checkpoints this program reads: 1, an image classifier; 2 adds the task and a
 * table's description. A file is written in the oldest layout that holds it, which older programs then read.
 */
const VERSIONS = ['1', '2'];
export const formatVersion = (spec: ModelSpec): string => (spec.data || spec.task !== 'classification' ? '2' : '1');

/** The table description's fields, each in __metadata__ as a JSON list under its keyOf. */
const DATA_FIELDS: readonly (keyof TableDescription)[] = [
  'features',
  'featureMean',
  'featureStd',
  'targets',
  'classes',
  'classType',
  'targetMean',
  'targetStd',
];

/** A metadata key: a setting's or a description field's name in snake_case. */
const keyOf = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The settings the metadata gives, read and checked as their flags are; the activation and loss are in every file. */
function settingsFromMetadata(metadata: Record<string, string>): Partial<ModelSpec> {
  const spec: Record<string, Value> = {};
  for (const name of MODEL_SETTINGS) {
    const text = metadata[keyOf(name)];
    if (text !== undefined) spec[SETTINGS[name].at[1]] = parseSetting(name, text);
    else if (name === 'activation' || name === 'loss') throw new UserError(`no ${keyOf(name)}`);
  }
  return spec as Partial<ModelSpec>;
}

/** The spec as __metadata__ strings: layer sizes, activation, loss, input normalisation; the task and table, if any. */
export function specMetadata(spec: ModelSpec): Record<string, string> {
  const metadata: Record<string, string> = { layers: spec.layers.join(',') };
  // The settings the spec keeps (src/train/settings.ts), each where the spec has it.
  for (const name of MODEL_SETTINGS) {
    const value = (spec as unknown as Record<string, Value | undefined>)[SETTINGS[name].at[1]];
    if (value !== undefined) metadata[keyOf(name)] = String(value);
  }
  metadata.input_mean = String(spec.inputMean);
  metadata.input_std = String(spec.inputStd);
  if (formatVersion(spec) === '1') return metadata;
  metadata.task = spec.task;
  for (const field of DATA_FIELDS) {
    const value = spec.data?.[field];
    if (value !== undefined) metadata[keyOf(field)] = JSON.stringify(value);
  }
  return metadata;
}

/** The table description from __metadata__, if the file has one (validateSpec then checks it against the layers). */
function dataFromMetadata(metadata: Record<string, string>): TableDescription | undefined {
  if (metadata.features === undefined) return undefined;
  const data: Record<string, unknown> = {};
  for (const field of DATA_FIELDS) {
    const key = keyOf(field);
    const text = metadata[key];
    if (text === undefined) continue;
    try {
      data[field] = JSON.parse(text);
    } catch {
      throw new UserError(`${key} is not JSON`);
    }
  }
  return data as unknown as TableDescription;
}

/** The parameters as tensors named as PyTorch names an nn.Sequential of nn.Linear and activation modules. */
export function paramTensors(spec: ModelSpec, params: Float32Array, prefix = ''): Tensor[] {
  return paramTable(spec).entries.map((e) => ({ name: prefix + e.name, shape: e.shape, data: view(params, e) }));
}

/** Tensors named as PyTorch names an nn.Sequential of nn.Linear layers, plus the spec in __metadata__. */
export function encodeModel(spec: ModelSpec, params: Float32Array): Uint8Array {
  return encodeSafetensors(paramTensors(spec, params), {
    format: MODEL_FORMAT,
    version: formatVersion(spec),
    ...specMetadata(spec),
  });
}

/** The spec in a model file's or a checkpoint's metadata, of a layout this program reads. */
export function specFromMetadata(metadata: Record<string, string>, file: string): ModelSpec {
  if (!VERSIONS.includes(metadata.version)) {
    throw new UserError(
      `${file}: ${metadata.format === MODEL_FORMAT ? 'model file' : 'checkpoint'} version ` +
        `${metadata.version ?? '(none)'}, this program reads versions ${VERSIONS.join(' and ')}: ` +
        'read it with the webgpu-mlp that wrote it, or train the model again',
    );
  }
  try {
    if (typeof metadata.layers !== 'string') throw new UserError('no layer sizes');
    const data = dataFromMetadata(metadata);
    const task = (metadata.task ?? 'classification') as ModelSpec['task'];
    return makeSpec(metadata.layers.split(',').map(Number), {
      task,
      ...(data ? { data } : {}),
      ...settingsFromMetadata(metadata),
      inputMean: Number(metadata.input_mean),
      inputStd: Number(metadata.input_std),
    });
  } catch (error) {
    throw new UserError(
      (n) => `${file}: bad model metadata: ${(error as Error).message}; ${modelFileFix(n)}`,
      'savedModel',
    );
  }
}

/** Gathers the tensors `prefix` + each parameter's name into one flat vector laid out by the spec's table. */
export function flatFromTensors(
  spec: ModelSpec,
  tensors: Map<string, Tensor>,
  file: string,
  prefix = '',
): Float32Array {
  const table = paramTable(spec);
  const flat = new Float32Array(table.total);
  for (const entry of table.entries) {
    const name = prefix + entry.name;
    const tensor = tensors.get(name);
    if (!tensor)
      throw new UserError(
        (n) => `${file}: tensor "${name}" is missing for layers ${spec.layers.join(',')}; ${modelFileFix(n)}`,
        'savedModel',
      );
    if (tensor.shape.join(',') !== entry.shape.join(',')) {
      throw new UserError(
        (n) =>
          `${file}: tensor "${name}" has shape [${tensor.shape}], ` +
          `layers ${spec.layers.join(',')} need [${entry.shape}]; ${modelFileFix(n)}`,
        'savedModel',
      );
    }
    flat.set(tensor.data, entry.offset);
  }
  return flat;
}

/** Reads a model file, or the model inside a checkpoint (its optimiser state is ignored). */
export function decodeModel(bytes: Uint8Array, file: string): { spec: ModelSpec; params: Float32Array } {
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  if (metadata.format !== MODEL_FORMAT && metadata.format !== CHECKPOINT_FORMAT) {
    throw new UserError(
      (n) => `${file}: safetensors file without webgpu-mlp metadata: give ${n('savedModel')}`,
      'savedModel',
    );
  }
  const spec = specFromMetadata(metadata, file);
  return { spec, params: flatFromTensors(spec, tensors, file) };
}
