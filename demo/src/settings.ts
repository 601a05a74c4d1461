/**
 * The training settings of the form, checked with messages for people (the library's own checks, worded with the
 * page's labels, catch the rest), and the same settings as the page's address and as the equivalent CLI command.
 * The address names each setting as the CLI's flag does
 * (?hidden=64&batch-size=32&learning-rate=0.05&optimizer=adam&activation=tanh),
 * only where it differs from the page's default, and may limit the data (?train=2000&test=500).
 */

import { UserError } from '../../src/errors.js';
import {
  defaultLearningRate,
  makeOptimizer,
  type OptimizerConfig,
  type OptimizerName,
} from '../../src/model/optimizer.js';
import { resolveSchedule, type ScheduleName, type ScheduleOptions } from '../../src/model/schedule.js';
import { type Activation, type Loss, parseWidths, type Task } from '../../src/model/spec.js';
import { DEFAULT_HIDDEN, TABLE_EPOCHS, tableBatch } from '../../src/train/defaults.js';
import { CHOICE_SETTINGS, type Chosen, pageLabel, VALUE_SETTINGS, type ValueSetting } from './options.js';

export type BackendChoice = 'webgpu' | 'wasm' | 'cpu';

export interface Settings {
  /** Hidden layer widths; the input and output widths come from the data. */
  hidden: number[];
  batch: number;
  learningRate: number;
  epochs: number;
  seed: number;
  backend: BackendChoice;
  activation: Activation;
  loss: Loss;
  dropout: number;
  /** softmax-cross-entropy's label smoothing (0 with mse, which has none). */
  labelSmoothing: number;
  optimizer: OptimizerConfig;
  schedule: ScheduleOptions;
}

/** Where the run's data comes from, which sets the CLI's defaults (a table has its own) and the command's data flags. */
export type DataContext =
  | { kind: 'mnist'; trainCount: number; fullTrain: number; testCount: number; fullTest: number }
  | { kind: 'table'; file: string; trainRows: number; target: string; lastColumn: string; task: Task };

/** The page trains MNIST for 3 epochs (the CLI's 1 is over before the charts say much); otherwise the CLI's defaults. */
export const PAGE_EPOCHS = 3;

/** Widths beyond this make a model too slow to be fun in a page (and too big for some GPUs' bindings). */
const MAX_WIDTH = 4096;
/** Long runs suit a small table (the CLI's default is 200 epochs), not MNIST in a page. */
const MAX_EPOCHS = { mnist: 100, table: 10000 };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** The form's text by field: the basic fields, and every setting of options.ts by its id. */
export interface SettingsText {
  hidden: string;
  batch: string;
  learningRate: string;
  epochs: string;
  seed: string;
  backend: string;
  [id: string]: string;
}

/** "128" or "256, 128" or "" (no hidden layer: a linear classifier). */
export function parseHidden(text: string): Parsed<number[]> {
  const parsed = parseWidths(text, MAX_WIDTH);
  if ('bad' in parsed) {
    const error = `Hidden layers: "${parsed.bad}" is not a width from 1 to ${MAX_WIDTH}.`;
    return { ok: false, error: `${error} Write widths separated by commas, like 256, 128.` };
  }
  return { ok: true, value: parsed.widths };
}

function parseInteger(label: string, text: string, min: number, max: number): Parsed<number> {
  const value = Number(text.trim());
  if (!/^\s*\d+\s*$/.test(text) || value < min || value > max) {
    return { ok: false, error: `${label}: "${text.trim()}" is not a whole number from ${min} to ${max}.` };
  }
  return { ok: true, value };
}

function parseRate(text: string): Parsed<number> {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || value > 10) {
    return {
      ok: false,
      error: `Learning rate: "${text.trim()}" is not a number above 0 and at most 10 (0.1 is a good start).`,
    };
  }
  return { ok: true, value };
}

/** A value setting's text: empty means the CLI's default; a required one without a default is an error. */
function parseValue(setting: ValueSetting, text: string | undefined, chosen: Chosen): Parsed<number | boolean> {
  const trimmed = (text ?? '').trim();
  const fallback = setting.fallback(chosen);
  if (trimmed === '') {
    if (fallback === undefined)
      return { ok: false, error: `${setting.label}: needed with the ${chosen.schedule} schedule.` };
    return { ok: true, value: fallback };
  }
  if (setting.boolean) {
    if (trimmed !== 'true' && trimmed !== 'false')
      return { ok: false, error: `${setting.label}: "${trimmed}" is neither true nor false.` };
    return { ok: true, value: trimmed === 'true' };
  }
  if (setting.integer) return parseInteger(setting.label, trimmed, 1, 1e6);
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return { ok: false, error: `${setting.label}: "${trimmed}" is not a number.` };
  return { ok: true, value };
}

function choice<T extends string>(id: string, text: string | undefined): T {
  const setting = CHOICE_SETTINGS.find((s) => s.id === id)!;
  const value = (text ?? '').trim() || setting.fallback;
  if (!setting.choices.includes(value))
    throw new FieldError(`${setting.label}: "${value}" is not one of ${setting.choices.join(', ')}.`);
  return value as T;
}

class FieldError extends Error {}

/** Checks the form's text; every problem is one sentence naming the field. */
export function parseSettings(
  text: SettingsText,
  trainCount: number,
  data: DataContext['kind'] = 'mnist',
): Parsed<Settings> {
  const must = <T>(parsed: Parsed<T>): T => {
    if (!parsed.ok) throw new FieldError(parsed.error);
    return parsed.value;
  };
  try {
    const backend = text.backend;
    if (backend !== 'webgpu' && backend !== 'wasm' && backend !== 'cpu') {
      throw new FieldError(`Backend: unknown "${backend}".`);
    }
    const chosen: Chosen = {
      optimizer: choice<OptimizerName>('optimizer', text.optimizer),
      schedule: choice<ScheduleName>('schedule', text.schedule),
      loss: choice<Loss>('loss', text.loss),
    };
    const values: Record<string, Record<string, number | boolean>> = { optimizer: {}, schedule: {}, model: {} };
    for (const setting of VALUE_SETTINGS) {
      if (setting.applies(chosen))
        values[setting.group][setting.key] = must(parseValue(setting, text[setting.id], chosen));
    }
    const dropout = values.model.dropout as number;
    if (!(dropout >= 0 && dropout < 1))
      throw new FieldError(`Dropout: ${dropout} is not a share from 0 up to (not including) 1.`);
    const learningRate = must(parseRate(text.learningRate));
    const epochs = must(parseInteger('Epochs', text.epochs, 1, MAX_EPOCHS[data]));
    const schedule: ScheduleOptions = { name: chosen.schedule, ...values.schedule };
    const optimizer = worded(() => makeOptimizer(chosen.optimizer, values.optimizer as Partial<OptimizerConfig>));
    worded(() => resolveSchedule(schedule, learningRate, epochs, 1));
    return {
      ok: true,
      value: {
        hidden: must(parseHidden(text.hidden)),
        batch: must(parseInteger('Batch size', text.batch, 1, Math.min(trainCount, 65536))),
        learningRate,
        epochs,
        seed: must(parseInteger('Seed', text.seed, 0, 0xffffffff)),
        backend,
        activation: choice<Activation>('activation', text.activation),
        loss: chosen.loss!,
        dropout,
        labelSmoothing: (values.model.labelSmoothing as number | undefined) ?? 0,
        optimizer,
        schedule,
      },
    };
  } catch (error) {
    if (error instanceof FieldError) return { ok: false, error: error.message };
    throw error;
  }
}

/** The library's own check, its message worded with the page's labels. */
function worded<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof UserError) throw new FieldError(`${capitalise(error.worded(pageLabel))}.`);
    throw error;
  }
}

export const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The defaults of the page, or of the CLI (`cli`: MNIST's 1 epoch), for data and an optimiser: the CLI's own for a table. */
export function defaultSettings(data: DataContext, optimizer?: OptimizerName, cli = false): Settings {
  const table = data.kind === 'table';
  const name = optimizer ?? (table ? 'adam' : 'sgd');
  const batch = table ? tableBatch(data.trainRows) : 64;
  return {
    hidden: [table ? DEFAULT_HIDDEN.table : DEFAULT_HIDDEN.images],
    batch,
    learningRate: defaultLearningRate(name),
    epochs: table ? TABLE_EPOCHS : cli ? 1 : PAGE_EPOCHS,
    seed: 1,
    backend: 'webgpu',
    activation: 'relu',
    loss: table && data.task === 'regression' ? 'mse' : 'softmax-cross-entropy',
    dropout: 0,
    labelSmoothing: 0,
    optimizer: makeOptimizer(name),
    schedule: { name: 'constant' },
  };
}

/** Settings as the form's text, every setting that applies to them included. */
export function settingsText(s: Settings): SettingsText {
  const text: SettingsText = {
    hidden: s.hidden.join(', '),
    batch: String(s.batch),
    learningRate: String(s.learningRate),
    epochs: String(s.epochs),
    seed: String(s.seed),
    backend: s.backend,
    optimizer: s.optimizer.name,
    activation: s.activation,
    loss: s.loss,
    schedule: s.schedule.name,
  };
  const chosen: Chosen = { optimizer: s.optimizer.name, schedule: s.schedule.name, loss: s.loss };
  const from: Record<ValueSetting['group'], Record<string, unknown>> = {
    optimizer: s.optimizer as unknown as Record<string, unknown>,
    schedule: s.schedule as unknown as Record<string, unknown>,
    model: { dropout: s.dropout, labelSmoothing: s.labelSmoothing },
  };
  for (const setting of VALUE_SETTINGS) {
    const value = from[setting.group][setting.key];
    if (setting.applies(chosen) && value !== undefined) text[setting.id] = String(value);
  }
  return text;
}

/** The address's (and the CLI's) name of a form field: the flag without its dashes. */
const keyOf = (field: string) =>
  field === 'learningRate' ? 'learning-rate' : field === 'batch' ? 'batch-size' : field;

/**
 * The settings that differ from the defaults for `data`, by flag name, in the form's order. The chosen optimiser's
 * settings and rate are compared with that optimiser's defaults, the optimiser itself with the data's default one.
 */
function differences(s: Settings, data: DataContext, cli: boolean): [string, string][] {
  const mine = settingsText(s);
  const theirs = settingsText(defaultSettings(data, s.optimizer.name, cli));
  theirs.optimizer = defaultSettings(data).optimizer.name;
  return Object.entries(mine)
    .filter(([field, value]) => theirs[field] !== value)
    .map(([field, value]) => [keyOf(field), value]);
}

/** The settings as the page's address query: only what differs from the page's defaults, plus the data limits. */
export function settingsQuery(s: Settings, data: DataContext): string {
  const query = new URLSearchParams(
    differences(s, data, false).map(([key, value]) => [key, value.replace(/, /g, ',')]),
  );
  if (data.kind === 'mnist') {
    if (data.trainCount < data.fullTrain) query.set('train', String(data.trainCount));
    if (data.testCount < data.fullTest) query.set('test', String(data.testCount));
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** Form text from the address, for the fields it names. */
export function settingsFromUrl(params: URLSearchParams): Partial<SettingsText> {
  const out: Partial<SettingsText> = {};
  const fields = [
    'hidden',
    'batch',
    'learningRate',
    'epochs',
    'seed',
    'backend',
    ...CHOICE_SETTINGS.map((s) => s.id),
    ...VALUE_SETTINGS.map((s) => s.id),
  ];
  for (const field of fields) {
    const value = params.get(keyOf(field));
    if (value !== null) out[field] = field === 'hidden' ? value.split(',').join(', ') : value;
  }
  return out;
}

/** ?train=N&test=N: positive whole numbers, else ignored. */
export function limitsFromUrl(params: URLSearchParams): { train?: number; test?: number } {
  const read = (key: string) => {
    const value = Number(params.get(key));
    return Number.isInteger(value) && value > 0 ? value : undefined;
  };
  return { train: read('train'), test: read('test') };
}

/** The CLI command that trains the same run: the flags that differ from the CLI's defaults, the backend always. */
export function cliCommand(s: Settings, data: DataContext): string {
  const flags = differences({ ...s, backend: 'webgpu' }, data, true).map(
    ([key, value]) => `--${key} ${key === 'hidden' ? value.replace(/, /g, ',') : value}`,
  );
  if (data.kind === 'table') {
    flags.unshift(`--data ${/^[\w.\-/]+$/.test(data.file) ? data.file : `'${data.file.replace(/'/g, "'\\''")}'`}`);
    if (data.target !== data.lastColumn) flags.splice(1, 0, `--target ${data.target}`);
    if (data.task !== 'classification') flags.splice(1, 0, `--task ${data.task}`);
  } else if (data.trainCount < data.fullTrain) {
    flags.push(`--train-limit ${data.trainCount}`);
  }
  flags.push(`--backend ${s.backend}`);
  return `npm run train -- ${flags.join(' ')}`;
}
