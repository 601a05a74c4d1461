import { NoAdapterError, UserError } from '../errors.js';

/**
 * What the CLI prints for an error that ended a command, and its exit code. A UserError is one line naming the
 * problem and the fix (exit 2); anything else is a bug (exit 1), one line too, with the way to its stack. --verbose
 * adds the stack to either.
 */
export function describeFailure(error: unknown, verbose: boolean): { text: string; code: number } {
  const stack = (error as Error)?.stack ?? String(error);
  if (error instanceof UserError) {
    const said = error instanceof NoAdapterError && error.diagnostics ? `what the WebGPU implementation printed:\n${error.diagnostics}\n` : '';
    return { text: `error: ${oneLine(error.message)}\n${verbose ? `${said}${stack}\n` : ''}`, code: 2 };
  }
  const prefix = 'internal error (a bug: please report it)';
  if (verbose) return { text: `${prefix}: ${stack}\n`, code: 1 };
  const what = error instanceof Error ? `${error.name}: ${oneLine(error.message)}` : oneLine(String(error));
  return { text: `${prefix}: ${what}; run again with --verbose for the stack trace\n`, code: 1 };
}

/** Messages that come from WebGPU or Node may span lines; the contract is one. */
const oneLine = (message: string) => message.replace(/\s*\n\s*/g, ' ').trim();
