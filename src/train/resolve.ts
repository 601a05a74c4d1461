/**
 * The one reading of training settings, for the API, the CLI and the page: values checked against the table, defaults
 * filled in from it and from a base run, and the result as the trainer's options. Errors name the setting.
 */
import { UserError } from '../errors.js';
import { makeOptimizer, type OptimizerConfig, type OptimizerName } from '../model/optimizer.js';
import type { ScheduleName, ScheduleOptions } from '../model/schedule.js';
import type { Loss, ModelSpec } from '../model/spec.js';
import type { TrainOptions } from './run.js';
import { SETTING_NAMES, type SettingName } from './setting-names.js';
import { applies, type Chosen, type Context, type Range, SETTINGS, type Value } from './settings.js';

/** The part of a model's spec that the settings give. */
type SpecSettings = Pick<ModelSpec, 'activation' | 'loss' | 'labelSmoothing'>;

/** Settings by name; a run's values lack those that it goes without. */
export type Values = Partial<Record<SettingName, Value>>;

/** What the defaults depend on besides the optimiser: the data. */
export type DataContext = Omit<Context, 'optimizer' | 'schedule'>;

const rangeText = ({ min, max, minOpen, maxOpen }: Range, integer: boolean): string => {
  if (integer) return max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in ${min}..${max}`;
  if (max === Infinity) return minOpen ? `a number above ${min}` : `a number >= ${min}`;
  return `a number in ${minOpen ? '(' : '['}${min}, ${max}${maxOpen ? ')' : ']'}`;
};

/** What a setting takes, in words: "an integer >= 1", "a number in [0, 1)", "true or false", "one of a, b". */
export function expected(name: SettingName): string {
  const s = SETTINGS[name];
  if (s.kind === 'boolean') return 'true or false';
  if (s.kind === 'choice') return `one of ${s.choices!.join(', ')}`;
  return rangeText(s.range!, s.kind === 'integer');
}

const inRange = (value: number, { min, max, minOpen, maxOpen }: Range) =>
  (minOpen ? value > min : value >= min) && (maxOpen ? value < max : value <= max);

/** A value (the API's, or text read by parseSetting) checked against its setting's type and range. */
export function checkSetting(name: SettingName, value: unknown): Value {
  const s = SETTINGS[name];
  const shown = typeof value === 'string' ? `"${value}"` : String(value);
  if (s.kind === 'choice') {
    if (!s.choices!.includes(value as string)) {
      throw new UserError((n) => `${n(name)} ${shown} is not ${expected(name)}`, name);
    }
    return value as Value;
  }
  const typed =
    s.kind === 'boolean'
      ? typeof value === 'boolean'
      : typeof value === 'number' && Number.isFinite(value) && (s.kind === 'number' || Number.isInteger(value));
  if (!typed) throw new UserError((n) => `${n(name)} ${shown} is not valid: use ${expected(name)}`, name);
  if (s.range && !inRange(value as number, s.range)) {
    throw new UserError((n) => `${n(name)} ${shown} is out of range: use ${expected(name)}`, name);
  }
  return value as Value;
}

/** A setting's value from text (a flag's, or a form field's). */
export function parseSetting(name: SettingName, text: string): Value {
  const kind = SETTINGS[name].kind;
  const trimmed = text.trim();
  if (kind === 'choice') return checkSetting(name, trimmed);
  if (kind === 'boolean') return checkSetting(name, trimmed === 'true' ? true : trimmed === 'false' ? false : text);
  const numeric = kind === 'integer' ? /^-?\d+$/.test(trimmed) : trimmed !== '' && Number.isFinite(Number(trimmed));
  return checkSetting(name, numeric ? Number(trimmed) : text);
}

/** The applies-to rule in words: "--optimizer adam or adamw" (`n` names the setting that chooses). */
function chooser(name: SettingName, n: (field: SettingName) => string): string {
  // Each setting applies by one chooser only.
  const [by, list] = Object.entries(SETTINGS[name].appliesTo!)[0] as [SettingName, readonly string[]];
  const items = [...list];
  const last = items.pop();
  return `${n(by)} ${items.length ? `${items.join(', ')} or ${last}` : last}`;
}

/**
 * A run's settings: the given values (checked), else the base run's (its optimiser's and schedule's only for the same
 * one), else the table's defaults. A setting given where the chosen optimiser or schedule does not use it is refused.
 */
export function resolveSettings(given: Values, data: DataContext, base: Values = {}): Values {
  for (const [name, value] of Object.entries(given)) if (value !== undefined) checkSetting(name as SettingName, value);
  const first: Context = { ...data, optimizer: 'sgd', schedule: 'constant' };
  const chosen: Chosen = {
    optimizer: (given.optimizer ?? base.optimizer ?? SETTINGS.optimizer.default(first)) as OptimizerName,
    schedule: (given.schedule ?? base.schedule ?? SETTINGS.schedule.default(first)) as ScheduleName,
    loss: (given.loss ?? base.loss ?? SETTINGS.loss.default(first)) as Loss,
  };
  const context: Context = { ...data, ...chosen };
  const values: Values = {};
  for (const name of SETTING_NAMES) {
    const s = SETTINGS[name];
    if (!applies(name, chosen)) {
      if (given[name] !== undefined) {
        throw new UserError((n) => `${n(name)} applies to ${chooser(name, n)} only`, name);
      }
      continue;
    }
    const baseApplies =
      s.group === 'optimizer'
        ? base.optimizer === chosen.optimizer
        : s.group === 'schedule'
          ? base.schedule === chosen.schedule
          : true;
    const value = given[name] ?? (baseApplies ? base[name] : undefined) ?? s.default(context);
    if (value !== undefined) values[name] = value;
  }
  return values;
}

type Kept = Record<string, unknown>;

/** A run's settings, as far as it has them: its spec's, its options' (as a checkpoint keeps them), the data's. */
export function settingsOf(
  spec: Partial<ModelSpec>,
  options?: Partial<TrainOptions>,
  validationSplit?: number,
): Values {
  const kept: Record<string, Kept> = {
    spec: spec as Kept,
    options: (options ?? {}) as Kept,
    data: { validationSplit },
    optimizer: (options ? (options.optimizer ?? makeOptimizer('sgd')) : {}) as unknown as Kept,
    schedule: (options ? (options.schedule ?? { name: 'constant' }) : {}) as unknown as Kept,
  };
  const chosen = {
    optimizer: kept.optimizer.name as OptimizerName,
    schedule: kept.schedule.name as ScheduleName,
    loss: spec.loss,
  };
  const values: Values = {};
  for (const name of SETTING_NAMES) {
    const [place, key] = SETTINGS[name].at;
    const value = kept[place][key] as Value | undefined;
    if (value !== undefined && (!options || applies(name, chosen))) values[name] = value;
  }
  return values;
}

/** Resolved values as the trainer's options and the model's activation and loss. */
export function trainOptionsFrom(values: Values): { model: SpecSettings; options: TrainOptions } {
  const kept: Record<string, Kept> = { spec: {}, options: {}, optimizer: {}, schedule: {}, data: {} };
  for (const name of SETTING_NAMES) {
    if (values[name] === undefined) continue;
    const [place, key] = SETTINGS[name].at;
    kept[place][key] = values[name];
  }
  const { name: optimizerName, ...optimizerSettings } = kept.optimizer;
  const options = {
    ...kept.options,
    optimizer: makeOptimizer(optimizerName as OptimizerName, optimizerSettings as Partial<OptimizerConfig>),
    schedule: kept.schedule as unknown as ScheduleOptions,
  } as unknown as TrainOptions;
  return { model: kept.spec as SpecSettings, options };
}

/** The settings that a resumed run gave other values than the saved run's: each must agree, or be left out. */
export function changedDefining(
  given: Values,
  mine: Values,
  saved: Values,
  only?: readonly SettingName[],
): SettingName[] {
  return SETTING_NAMES.filter(
    (name) =>
      given[name] !== undefined &&
      !SETTINGS[name].resumable &&
      (!only || only.includes(name)) &&
      mine[name] !== saved[name],
  );
}

/** A saved run's settings for its resumption, which stops where its own maxSteps says, not where the saved run did. */
export function withoutStop(saved: Values): Values {
  const { maxSteps: _stop, ...rest } = saved;
  return rest;
}
