/**
 * A problem the user can fix (a bad flag, a bad file, a model that does not fit the device).
 * The CLI prints its message as one line and exits with code 2; anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  override name = 'UserError';
}
