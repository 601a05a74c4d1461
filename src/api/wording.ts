/** How the MLP API names settings in its errors: by its own option names, never the CLI's flags. */
import { UserError, type Field } from '../errors.js';

/** Each setting by the option that sets it in MLP.create or fit. */
const API_NAMES: Record<Field, string> = {
  layers: 'hidden', task: 'task', activation: 'activation', loss: 'loss',
  epochs: 'epochs', batch: 'batchSize', learningRate: 'learningRate', seed: 'seed', logEvery: 'chunkSteps', maxSteps: 'maxSteps',
  checkpointEvery: 'checkpoint.every', dropout: 'dropout', validation: 'validationSplit',
  optimizer: 'optimizer', momentum: 'momentum', dampening: 'dampening', weightDecay: 'weightDecay',
  beta1: 'beta1', beta2: 'beta2', eps: 'eps',
  schedule: 'schedule', stepSize: 'stepSize', gamma: 'gamma', minLr: 'minLr',
  data: 'the data', target: 'targets', testSplit: 'testData', hidden: 'hidden', earlyStop: 'earlyStopping',
  savedModel: 'the bytes of model.toBytes()', savedCheckpoint: 'a checkpoint that fit saved',
};

/** A setting's name in the API's words. */
export const apiName = (field: Field): string => API_NAMES[field];

/** A UserError's message reworded with the API's option names (the same error object, so its class and fields stay). */
export function inApiWords(error: unknown): unknown {
  if (error instanceof UserError) error.message = error.worded(apiName);
  return error;
}

/** Runs `work`, rewording any UserError it throws or rejects with in the API's words. */
export async function worded<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw inApiWords(error);
  }
}

/** Refuses option names the API does not have (a typo in JavaScript, which no type checks), listing those it has. */
export function checkOptionNames(what: string, given: object, known: readonly string[]): void {
  for (const name of Object.keys(given)) {
    if (!known.includes(name)) {
      throw new UserError(`${what} has no option "${name}": its options are ${known.join(', ')}`);
    }
  }
}
