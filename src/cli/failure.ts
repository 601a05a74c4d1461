import { type Field, NoAdapterError, UserError } from '../errors.js';
import type { SettingName } from '../train/setting-names.js';
import { flagOf } from '../train/settings.js';

/** The fields that are no flag of their own: where the data comes from, and the files that training writes. */
const NOT_FLAGS: Partial<Record<Field, string>> = {
  data: '--data DIR',
  savedModel: 'a model written by train --out',
  savedCheckpoint: 'a checkpoint of train --checkpoint',
};

/** The CLI names a setting as the user types it: its flag, the kebab-case of its name (src/train/settings.ts). */
export const cliName = (field: Field): string => NOT_FLAGS[field] ?? `--${flagOf(field as SettingName)}`;

/** A UserError's message in the CLI's words: its settings named by their flags, and the CLI's own way out added. */
export function cliMessage(error: UserError): string {
  const message = error.worded(cliName);
  return error instanceof NoAdapterError ? `${message}; or use --backend cpu` : message;
}

/** What the CLI prints for an error that ended a command: a UserError exits 2, a bug 1; --verbose adds the stack. */
export function describeFailure(error: unknown, verbose: boolean): { text: string; code: number } {
  const stack = (error as Error)?.stack ?? String(error);
  if (error instanceof UserError) {
    const said =
      error instanceof NoAdapterError && error.diagnostics
        ? `what the WebGPU implementation printed:\n${error.diagnostics}\n`
        : '';
    return { text: `error: ${oneLine(cliMessage(error))}\n${verbose ? `${said}${stack}\n` : ''}`, code: 2 };
  }
  const prefix = 'internal error (a bug: please report it)';
  if (verbose) return { text: `${prefix}: ${stack}\n`, code: 1 };
  const what = error instanceof Error ? `${error.name}: ${oneLine(error.message)}` : oneLine(String(error));
  return { text: `${prefix}: ${what}; run again with --verbose for the stack trace\n`, code: 1 };
}

/** Messages that come from WebGPU or Node may span lines; the contract is one. */
const oneLine = (message: string) => message.replace(/\s*\n\s*/g, ' ').trim();
