import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';

export interface FlagSpec {
  name: string;
  /** Placeholder for the value in --help; absent for a boolean switch. */
  value?: string;
  help: string;
  default?: string;
  /** Names the flag once had: given, they are refused with its name now. */
  formerly?: string[];
}

/** Flags as parsed: a value's text, or true for a switch. */
export type Flags = Record<string, string | boolean | undefined>;

/** Every command's switch for stack traces; src/cli/main.ts reads it from argv itself, so it works on any error. */
export const VERBOSE_FLAG: FlagSpec = { name: 'verbose', help: 'on an error, print its stack trace too' };

/** The cap on the data a WebGPU model keeps on the GPU (MLP's gpuDataBytes). */
export const GPU_DATA_FLAG: FlagSpec = {
  name: 'gpu-data-bytes',
  value: 'N',
  help: 'with WebGPU, keep at most N bytes of the data on the GPU: larger tables are streamed through it',
  default: 'no limit',
};

/** GPU_DATA_FLAG's value: bytes, at least 16, or undefined where it is not given. */
export const gpuDataBytesOf = (flags: Flags): number | undefined =>
  typeof flags['gpu-data-bytes'] === 'string' ? intFlag('gpu-data-bytes', flags['gpu-data-bytes'], 16) : undefined;

/** Parses argv against the flags; unknown flags, missing values and stray arguments become one-line UserErrors. */
export function parseFlags(argv: string[], flags: FlagSpec[], command: string): Flags {
  for (const arg of argv) {
    const renamed = flags.find((f) => f.formerly?.some((old) => arg === `--${old}` || arg.startsWith(`--${old}=`)));
    if (renamed) {
      const given = arg.split('=')[0];
      throw new UserError(`unknown option '${given}': did you mean --${renamed.name}? See ${command} --help`);
    }
  }
  const options = Object.fromEntries(
    flags.map((f) => [f.name, { type: f.value ? ('string' as const) : ('boolean' as const) }]),
  );
  // node:util reads "--lr -1" as two options; a negative number after a flag that takes a value is that value, and
  // its range check then says what is wrong with it.
  const valued = new Set(flags.filter((f) => f.value).map((f) => `--${f.name}`));
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (valued.has(argv[i]) && /^-\.?\d/.test(argv[i + 1] ?? '')) args.push(`${argv[i]}=${argv[++i]}`);
    else args.push(argv[i]);
  }
  try {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (positionals.length > 0) {
      throw new UserError(`unexpected argument "${positionals[0]}": see ${command} --help`);
    }
    return values;
  } catch (error) {
    if (error instanceof UserError) throw error;
    // node:util's messages are one line already, but mention the way out, and the flag a typo was likely meant as.
    const message = (error as Error).message.split('\n')[0].replace(/\. To specify.*$/, '');
    const unknown = /^Unknown option '--([^']+)'/.exec(message)?.[1];
    const meant = unknown && nearestFlag(unknown, flags);
    if (meant) throw new UserError(`unknown option '--${unknown}': did you mean --${meant}? See ${command} --help`);
    throw new UserError(`${message}: see ${command} --help`);
  }
}

/** The flag `given` most likely misspells: one edit or fewer away (two for a long name), or the only one it starts. */
function nearestFlag(given: string, flags: FlagSpec[]): string | undefined {
  const distance = (a: string, b: string) => {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      for (let j = 1; j <= b.length; j++) {
        row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      previous = row;
    }
    return previous[b.length];
  };
  const scored = flags.map((f) => ({ name: f.name, d: distance(given, f.name) })).sort((a, b) => a.d - b.d);
  if (scored.length > 0 && scored[0].d <= (given.length > 6 ? 2 : 1)) return scored[0].name;
  const starting = flags.filter((f) => f.name.startsWith(given));
  return starting.length === 1 ? starting[0].name : undefined;
}

export function helpText(usage: string, summary: string, flags: FlagSpec[]): string {
  const width = Math.max(...flags.map((f) => `--${f.name}${f.value ? ` ${f.value}` : ''}`.length));
  const lines = flags.map((f) => {
    const left = `--${f.name}${f.value ? ` ${f.value}` : ''}`.padEnd(width);
    return `  ${left}  ${f.help}${f.default !== undefined ? ` (default ${f.default})` : ''}`;
  });
  return `Usage: ${usage}\n\n${summary}\n\nOptions:\n${lines.join('\n')}\n`;
}

/** An integer flag value in [min, max]. */
export function intFlag(name: string, text: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^\s*-?\d+\s*$/.test(text) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in ${min}..${max}`;
    throw new UserError(`--${name} "${text}" is not valid: use ${range}`);
  }
  return value;
}

export function choiceFlag<T extends string>(
  name: string,
  text: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (text === undefined) return fallback;
  if (!(choices as readonly string[]).includes(text)) {
    throw new UserError(`--${name} "${text}" is not one of ${choices.join(', ')}`);
  }
  return text as T;
}

/** A finite number flag value, `example` the one the message suggests; the caller checks its range. */
export function numberFlag(name: string, text: string, example: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new UserError(`--${name} "${text}" is not valid: use a number such as ${example}`);
  }
  return value;
}
