/**
 * Checkpoints: a safetensors file holding the parameters under the model file's names (so it
 * also loads as a model, and in PyTorch), the optimiser state as "optimizer.<slot>.<parameter name>" (PyTorch's slot
 * names: momentum_buffer, exp_avg, exp_avg_sq, square_avg, grad_avg), early stopping's best parameters as
 * "best.<parameter name>", and in __metadata__ the format name and version, the model spec, the run's settings and
 * where it stands (epoch, step, shuffling generator, history) as JSON. No Node imports: checkpoint.ts writes them to
 * files.
 */
import { UserError } from '../errors.js';
import { makeOptimizer, OPTIMIZERS, optimizerSlots, PLAIN_SGD, type OptimizerConfig } from '../model/optimizer.js';
import { SCHEDULES, type ScheduleOptions } from '../model/schedule.js';
import type { ModelSpec } from '../model/spec.js';
import type { EpochRecord, TrainOptions, TrainState } from '../train/trainer.js';
import { CHECKPOINT_FORMAT, flatFromTensors, formatVersion, paramTensors, specFromMetadata, specMetadata } from './model-codec.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** Checkpoint layouts, numbered as model files' are (model-codec.ts): 2 adds the task and the table. */
const VERSIONS = ['1', '2'];

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
  'trainEvalLoss', 'trainAccuracy', 'trainRMSE', 'testAccuracy', 'testRMSE', 'testMAE', 'testR2', 'valLoss', 'valAccuracy', 'valRMSE', 'valMAE', 'valR2',
] as const satisfies readonly (keyof EpochRecord)[];

export function encodeCheckpoint({ spec, options, data, state }: Checkpoint): Uint8Array {
  const optimizer = options.optimizer ?? PLAIN_SGD;
  const tensors = [
    ...paramTensors(spec, state.params),
    ...optimizerSlots(optimizer).flatMap((slot, i) => paramTensors(spec, state.optimizer[i], `optimizer.${slot}.`)),
    ...(state.bestParams ? paramTensors(spec, state.bestParams, 'best.') : []),
  ];
  const position = {
    step: state.step, epoch: state.epoch, epochStep: state.epochStep, shuffleState: state.shuffleState,
    epochLossSum: state.epochLossSum, history: state.history,
  };
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
    throw new UserError((n) => `${file}: not a checkpoint (no ${CHECKPOINT_FORMAT} metadata): give ${n('savedCheckpoint')}`, 'savedCheckpoint');
  }
  if (!VERSIONS.includes(metadata.version)) {
    throw new UserError(`${file}: checkpoint version ${metadata.version}, this program reads versions ${VERSIONS.join(' and ')}`);
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
  const num = (object: Record<string, unknown>, key: string): number => {
    const value = object[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) bad(`${key} is not a number`);
    return value as number;
  };
  const optionalNum = (object: Record<string, unknown>, key: string) => (object[key] === undefined ? undefined : num(object, key));
  const shuffleState = position.shuffleState;
  if (!Array.isArray(shuffleState) || shuffleState.length !== 4 || !shuffleState.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
    bad('shuffleState is not 4 unsigned 32-bit words');
  }
  const history = position.history;
  if (!Array.isArray(history)) bad('history is not a list');
  const records = (history as unknown[]).map((record): EpochRecord => {
    if (typeof record !== 'object' || record === null) bad('a history entry is not an object');
    const r = record as Record<string, unknown>;
    const out: EpochRecord = { epoch: num(r, 'epoch'), steps: num(r, 'steps'), trainLoss: num(r, 'trainLoss'), testLoss: num(r, 'testLoss'), seconds: num(r, 'seconds') };
    for (const key of OPTIONAL_RECORD_KEYS) if (r[key] !== undefined) out[key] = num(r, key);
    return out;
  });
  const optimizer = options.optimizer ?? PLAIN_SGD;
  const state: TrainState = {
    params: flatFromTensors(spec, tensors, file),
    optimizer: optimizerSlots(optimizer).map((slot) => flatFromTensors(spec, tensors, file, `optimizer.${slot}.`)),
    step: num(position, 'step'),
    epoch: num(position, 'epoch'),
    epochStep: num(position, 'epochStep'),
    shuffleState: shuffleState as number[],
    epochLossSum: num(position, 'epochLossSum'),
    history: records,
  };
  if (tensors.has('best.0.weight')) state.bestParams = flatFromTensors(spec, tensors, file, 'best.');
  return {
    spec, options, state,
    data: {
      trainSamples: num(data, 'trainSamples'), trainLimit: optionalNum(data, 'trainLimit'), val: optionalNum(data, 'val'),
      testSplit: optionalNum(data, 'testSplit'), validationSplit: optionalNum(data, 'validationSplit'),
    },
  };
}

/** The saved TrainOptions, checked field by field (the trainer validates their ranges again). */
function readOptions(o: Record<string, unknown>, bad: (what: string) => never): TrainOptions {
  const number = (value: unknown, key: string): number => {
    if (typeof value !== 'number' || !Number.isFinite(value)) bad(`option ${key} is not a number`);
    return value as number;
  };
  const optional = (value: unknown, key: string) => (value === undefined ? undefined : number(value, key));
  const options: TrainOptions = {
    epochs: number(o.epochs, 'epochs'),
    batch: number(o.batch, 'batch'),
    learningRate: number(o.learningRate, 'learningRate'),
    seed: number(o.seed, 'seed'),
    logEvery: number(o.logEvery, 'logEvery'),
    dropout: optional(o.dropout, 'dropout'),
    maxSteps: optional(o.maxSteps, 'maxSteps'),
    checkpointEvery: optional(o.checkpointEvery, 'checkpointEvery'),
    earlyStop: optional(o.earlyStop, 'earlyStop'),
  };
  for (const key of ['shuffle', 'trainMetrics'] as const) {
    if (o[key] === undefined) continue;
    if (typeof o[key] !== 'boolean') bad(`option ${key} is not true or false`);
    options[key] = o[key] as boolean;
  }
  if (o.optimizer !== undefined) {
    const p = o.optimizer as Record<string, unknown>;
    if (typeof p !== 'object' || p === null || !(OPTIMIZERS as readonly unknown[]).includes(p.name)) bad('option optimizer is not an optimiser');
    const keys = ['momentum', 'dampening', 'weightDecay', 'beta1', 'beta2', 'eps'] as const;
    const settings: Partial<OptimizerConfig> = Object.fromEntries(keys.map((k) => [k, number(p[k], `optimizer.${k}`)]));
    // Checkpoints of other optimisers may lack RMSprop's settings: the defaults then, which those optimisers never read.
    if (p.alpha !== undefined) settings.alpha = number(p.alpha, 'optimizer.alpha');
    if (p.centered !== undefined) {
      if (typeof p.centered !== 'boolean') bad('option optimizer.centered is not true or false');
      settings.centered = p.centered as boolean;
    }
    options.optimizer = { ...makeOptimizer('sgd'), ...settings, name: p.name as OptimizerConfig['name'] };
  }
  if (o.schedule !== undefined) {
    const s = o.schedule as Record<string, unknown>;
    if (typeof s !== 'object' || s === null || !(SCHEDULES as readonly unknown[]).includes(s.name)) bad('option schedule is not a schedule');
    options.schedule = {
      name: s.name as ScheduleOptions['name'],
      stepSize: optional(s.stepSize, 'schedule.stepSize'),
      gamma: optional(s.gamma, 'schedule.gamma'),
      minLr: optional(s.minLr, 'schedule.minLr'),
    };
  }
  return options;
}
