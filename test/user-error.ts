import { expect } from 'vitest';
import { type Field, UserError } from '../src/errors.js';

/**
 * Asserts that `run` throws, or returns a promise that rejects with, a UserError whose message matches `message` and
 * whose field is `field` (undefined: a problem that is no one setting's).
 */
export async function expectUserError(
  run: () => unknown,
  message: RegExp,
  field: Field | undefined,
): Promise<UserError> {
  let error: unknown;
  try {
    await run();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(UserError);
  const userError = error as UserError;
  expect(userError.message).toMatch(message);
  expect(userError.field).toBe(field);
  return userError;
}
