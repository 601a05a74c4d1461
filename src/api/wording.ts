/** How the MLP API names settings in its errors: by its own option names, never the CLI's flags. */
import { type Field, UserError } from '../errors.js';

/** The fields that are no option of their own name: a training setting's option is its name (src/train/settings.ts). */
const NOT_OPTIONS: Partial<Record<Field, string>> = {
  layers: 'hidden',
  data: 'the data',
  target: 'targets',
  testSplit: 'testData',
  checkpointEvery: 'checkpoint.every',
  savedModel: 'the bytes of model.toBytes()',
  savedCheckpoint: 'a checkpoint that fit saved',
};

/** A setting's name in the API's words. */
export const apiName = (field: Field): string => NOT_OPTIONS[field] ?? field;

/** Runs `work`, rewording any UserError it throws in the API's words (the same object: its class and fields stay). */
export async function worded<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UserError) error.message = error.worded(apiName);
    throw error;
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
