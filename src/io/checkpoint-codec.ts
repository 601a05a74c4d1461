/**
 * Checkpoints: safetensors files with the parameters under the model file's names (so they load as models, and in
 * PyTorch), the optimiser state as "optimizer.<PyTorch's slot name>.<parameter>", early stopping's best parameters as
 * "best.<parameter>", and in __metadata__ the spec, the run's settings and where it stands, as JSON.
 */
import { UserError } from '../errors.js';
import {
  makeOptimizer,
  type OptimizerConfig,
  type OptimizerName,
  optimizerSlots,
  PLAIN_SGD,
} from '../model/optimizer.js';
import type { ScheduleOptions } from '../model/schedule.js';
import type { ModelSpec } from '../model/spec.js';
import { checkSetting, expected } from '../train/resolve.js';
import { SETTING_NAMES } from '../train/setting-names.js';
import { SETTINGS } from '../train/settings.js';
import type { EpochRecord, TrainOptions, TrainState } from '../train/trainer.js';
import {
  CHECKPOINT_FORMAT,
  flatFromTensors,
  formatVersion,
  paramTensors,
  specFromMetadata,
  specMetadata,
} from './model-codec.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** The data a run trained on, so a resume can check it is given the same. */
export interface CheckpointData {
  /** Training samples after any limit and validation hold-out. */
  trainSamples: number;
  /** The training-set limit, if one was given. */
  trainLimit?: number;
  /** The validation samples held out, if any. */
  val?: number;
  /** The fraction of the training samples that the validation set held out, where one was given as a fraction. */
  validationSplit?: number;
  /** A table's fraction of rows held out as the test set, where there was no test file. */
  testSplit?: number;
}

export interface Checkpoint {
  spec: ModelSpec;
  options: TrainOptions;
  data: CheckpointData;
  state: TrainState;
}

/** The fields of an epoch's record that only some runs have (by task, with a validation set). */
const OPTIONAL_RECORD_KEYS = [
  'trainEvalLoss',
  'trainAccuracy',
  'trainRMSE',
  'testAccuracy',
  'testRMSE',
  'testMAE',
  'testR2',
  'valLoss',
  'valAccuracy',
  'valRMSE',
  'valMAE',
  'valR2',
] as const satisfies readonly (keyof EpochRecord)[];

export function encodeCheckpoint({ spec, options, data, state }: Checkpoint): Uint8Array {
  const optimizer = options.optimizer ?? PLAIN_SGD;
  const tensors = [
    ...paramTensors(spec, state.params),
    ...optimizerSlots(optimizer).flatMap((slot, i) => paramTensors(spec, state.optimizer[i], `optimizer.${slot}.`)),
    ...(state.bestParams ? paramTensors(spec, state.bestParams, 'best.') : []),
  ];
  // Where the run stands: everything of its state but the tensors.
  const { params: _params, optimizer: _slots, bestParams: _best, ...position } = state;
  return encodeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    version: formatVersion(spec),
    ...specMetadata(spec),
    options: JSON.stringify(options),
    data: JSON.stringify(data),
    position: JSON.stringify(position),
  });
}

export function decodeCheckpoint(bytes: Uint8Array, file: string): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new UserError(
      (n) => `${file}: not a checkpoint (no ${CHECKPOINT_FORMAT} metadata): give ${n('savedCheckpoint')}`,
      'savedCheckpoint',
    );
  }
  const spec = specFromMetadata(metadata, file);
  const bad = (what: string): never => {
    throw new UserError(`${file}: bad checkpoint metadata: ${what}`);
  };
  const json = (key: string): Record<string, unknown> => {
    let value: unknown;
    try {
      value = JSON.parse(metadata[key] ?? '');
    } catch {
      bad(`"${key}" is not JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(`"${key}" is not a JSON object`);
    return value as Record<string, unknown>;
  };
  const options = readOptions(json('options'), bad);
  const data = json('data');
  const position = json('position');
  // The numbers `required` of an object, and those of `optional` that it has.
  const numbers = <T>(object: Record<string, unknown>, required: string[], optional: readonly string[] = []): T => {
    const out: Record<string, unknown> = {};
    for (const key of [...required, ...optional.filter((name) => object[name] !== undefined)]) {
      out[key] = object[key];
      if (typeof out[key] !== 'number' || !Number.isFinite(out[key])) bad(`${key} is not a number`);
    }
    return out as T;
  };
  const shuffleState = position.shuffleState;
  if (
    !Array.isArray(shuffleState) ||
    shuffleState.length !== 4 ||
    !shuffleState.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)
  ) {
    bad('shuffleState is not 4 unsigned 32-bit words');
  }
  const history = position.history;
  if (!Array.isArray(history)) bad('history is not a list');
  const records = (history as unknown[]).map((record): EpochRecord => {
    if (typeof record !== 'object' || record === null) bad('a history entry is not an object');
    const keys = ['epoch', 'steps', 'trainLoss', 'testLoss', 'seconds'];
    return numbers<EpochRecord>(record as Record<string, unknown>, keys, OPTIONAL_RECORD_KEYS);
  });
  const optimizer = options.optimizer ?? PLAIN_SGD;
  const state: TrainState = {
    ...numbers<TrainState>(position, ['step', 'epoch', 'epochStep', 'epochLossSum']),
    params: flatFromTensors(spec, tensors, file),
    optimizer: optimizerSlots(optimizer).map((slot) => flatFromTensors(spec, tensors, file, `optimizer.${slot}.`)),
    shuffleState: shuffleState as number[],
    history: records,
  };
  if (tensors.has('best.0.weight')) state.bestParams = flatFromTensors(spec, tensors, file, 'best.');
  return {
    spec,
    options,
    state,
    data: numbers<CheckpointData>(data, ['trainSamples'], ['trainLimit', 'val', 'testSplit', 'validationSplit']),
  };
}

/**
 * The saved TrainOptions, each setting checked as the settings table checks it. The epochs, batch, rate, seed and
 * chunk are in every checkpoint; an optimiser's settings it lacks (another optimiser's) take the defaults, never read.
 */
function readOptions(o: Record<string, unknown>, bad: (what: string) => never): TrainOptions {
  const kept = (record: unknown, place: string, prefix: string): Record<string, unknown> => {
    if (typeof record !== 'object' || record === null) bad(`option ${prefix.slice(0, -1)} is not a record`);
    const out: Record<string, unknown> = {};
    for (const name of SETTING_NAMES) {
      const s = SETTINGS[name];
      const value = (record as Record<string, unknown>)[s.at[1]];
      if (s.at[0] !== place || value === undefined) continue;
      try {
        out[s.at[1]] = checkSetting(name, value);
      } catch {
        bad(`option ${prefix}${s.at[1]} is not ${expected(name)}`);
      }
    }
    return out;
  };
  const options = kept(o, 'options', '') as unknown as TrainOptions;
  for (const key of ['epochs', 'batch', 'learningRate', 'seed', 'logEvery'] as const) {
    if (options[key] === undefined) bad(`option ${key} is not a number`);
  }
  if (o.checkpointEvery !== undefined) {
    const every = o.checkpointEvery;
    if (typeof every !== 'number' || !Number.isFinite(every)) bad('option checkpointEvery is not a number');
    options.checkpointEvery = every as number;
  }
  if (o.optimizer !== undefined) {
    const { name, ...settings } = kept(o.optimizer, 'optimizer', 'optimizer.');
    if (name === undefined) bad('option optimizer is not an optimiser');
    options.optimizer = { ...makeOptimizer(name as OptimizerName), ...settings } as OptimizerConfig;
  }
  if (o.schedule !== undefined) {
    const schedule = kept(o.schedule, 'schedule', 'schedule.');
    if (schedule.name === undefined) bad('option schedule is not a schedule');
    options.schedule = schedule as unknown as ScheduleOptions;
  }
  return options;
}
