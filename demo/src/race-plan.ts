/**
 * A race, planned: one setting of the form varied over a few values, each value trained with a few seeds, all at once
 * with MLP.sweep on the form's other settings, and ranked on a validation split of the training rows (or k folds of
 * them). No DOM here:
 * race.ts runs it and shows it; the checks and the sweep's options are worked out here (tested in Node).
 */

import { validationRows } from '../../src/data/split.js';
import type { SweepOptions } from '../../src/index.js';
import type { SettingName } from '../../src/train/setting-names.js';
import { applies, FIT_SETTINGS, SETTINGS } from '../../src/train/settings.js';
import type { Chosen } from './options.js';
import type { Parsed, Settings } from './settings.js';
import { fitOptionsOf } from './training.js';

/**
 * What a race varies, over which values, with how many seeds, and what it ranks on: a share of the training rows held
 * out, or k folds of them (each value and seed trained k times, and the best value again on all the rows).
 */
export type RacePlan = {
  setting: SettingName;
  values: number[];
  seeds: number[];
} & ({ validationSplit: number; folds?: undefined } | { folds: number; validationSplit?: undefined });

/** A race's settings, one colour each on the charts (the palette has ten, and the runs before it take some). */
export const MAX_VALUES = 8;
export const MAX_SEEDS = 5;
export const DEFAULT_VALIDATION = 0.1;
export const MAX_FOLDS = 10;

/** Values worth racing for each setting a race may vary, beside the learning rate (which is the form's rate's). */
const VALUES: Partial<Record<SettingName, number[]>> = {
  batchSize: [16, 32, 64, 128],
  weightDecay: [0, 1e-4, 1e-3, 1e-2],
  dropout: [0, 0.1, 0.2, 0.5],
  labelSmoothing: [0, 0.05, 0.1, 0.2],
  momentum: [0.5, 0.9, 0.99],
  dampening: [0, 0.5, 0.9],
  beta1: [0.8, 0.9, 0.95],
  beta2: [0.99, 0.999, 0.9999],
  eps: [1e-8, 1e-6, 1e-4],
  alpha: [0.9, 0.99, 0.999],
  stepSize: [1, 2, 5],
  gamma: [0.1, 0.5, 0.9],
  minLr: [0, 1e-4, 1e-3],
};

/** The settings a race may vary with the chosen optimiser, schedule and loss, learning rate first. */
export function raceSettings(chosen: Chosen): { name: SettingName; label: string }[] {
  const names = ['learningRate', ...Object.keys(VALUES)] as SettingName[];
  return names
    .filter((name) => applies(name, chosen))
    .filter((name) => name !== 'labelSmoothing' || chosen.loss === 'softmax-cross-entropy')
    .map((name) => ({ name, label: SETTINGS[name].label }));
}

/** One significant figure: 0.3, 0.03, 0.0009. */
const rounded = (x: number) => Number(x.toPrecision(1));

/**
 * Sensible values to race: rates from three times the form's rate down to a tenth of it (SGD's 0.1 gives 0.3, 0.1,
 * 0.03, 0.01), and for the other settings values around their usual ones; batches no larger than the rows to train.
 */
export function defaultValues(name: SettingName, settings: Settings, trainRows: number): number[] {
  if (name === 'learningRate') return [3, 1, 0.3, 0.1].map((f) => rounded(settings.learningRate * f));
  const values = VALUES[name] ?? [];
  return name === 'batchSize' ? values.filter((b) => b <= trainRows * (1 - DEFAULT_VALIDATION)) : values;
}

/** The form's value of a setting the race may vary. */
export function formValue(settings: Settings, name: SettingName): number {
  if (name === 'learningRate') return settings.learningRate;
  if (name === 'batchSize') return settings.batch;
  if (name === 'dropout' || name === 'labelSmoothing') return settings[name];
  const [place, key] = SETTINGS[name].at;
  const from = (place === 'schedule' ? settings.schedule : settings.optimizer) as unknown as Record<string, number>;
  return from[key];
}

/** The form's settings with one of them set to `value`: a setting of the race, for its link and its label. */
export function withValue(settings: Settings, name: SettingName, value: number): Settings {
  if (name === 'learningRate') return { ...settings, learningRate: value };
  if (name === 'batchSize') return { ...settings, batch: value };
  if (name === 'dropout' || name === 'labelSmoothing') return { ...settings, [name]: value };
  const [place, key] = SETTINGS[name].at;
  if (place === 'schedule') return { ...settings, schedule: { ...settings.schedule, [key]: value } };
  return { ...settings, optimizer: { ...settings.optimizer, [key]: value } };
}

/** "0.1, 0.03, 0.01": two to MAX_VALUES distinct numbers (the library checks each against its setting's range). */
export function parseValues(label: string, text: string): Parsed<number[]> {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const bad = parts.find((part) => !Number.isFinite(Number(part)));
  if (bad !== undefined) return { ok: false, error: `Race values: "${bad}" is not a number of ${label}.` };
  const values = [...new Set(parts.map(Number))];
  if (values.length < 2 || values.length > MAX_VALUES) {
    return {
      ok: false,
      error: `Race values: give 2 to ${MAX_VALUES} different values of ${label}, separated by commas.`,
    };
  }
  return { ok: true, value: values };
}

/** The race's text, checked: each problem one sentence naming the field. Seeds count up from the form's seed. */
export function parseRace(
  text: { setting: string; values: string; seeds: string; validation: string },
  chosen: Chosen,
  seed: number,
): Parsed<RacePlan> {
  const offered = raceSettings(chosen).find((s) => s.name === text.setting);
  if (!offered) return { ok: false, error: `Race: "${text.setting}" is not a setting to vary with these choices.` };
  const values = parseValues(offered.label.toLowerCase(), text.values);
  if (!values.ok) return values;
  const seeds = Number(text.seeds.trim());
  if (!/^\s*\d+\s*$/.test(text.seeds) || seeds < 1 || seeds > MAX_SEEDS) {
    return {
      ok: false,
      error: `Seeds per value: "${text.seeds.trim()}" is not a whole number from 1 to ${MAX_SEEDS}.`,
    };
  }
  const given = text.validation.trim();
  const split = Number(given);
  const folds = Number.isInteger(split) && split >= 2 && split <= MAX_FOLDS;
  if (given === '' || !(folds || (split > 0 && split <= 0.5))) {
    return {
      ok: false,
      error:
        `Validation: "${given}" is neither a share of the rows above 0 and at most 0.5 (0.1 holds out a tenth) ` +
        `nor a number of folds from 2 to ${MAX_FOLDS}.`,
    };
  }
  const plan = {
    setting: offered.name,
    values: values.value,
    seeds: Array.from({ length: seeds }, (_, i) => seed + i),
  };
  return { ok: true, value: folds ? { ...plan, folds: split } : { ...plan, validationSplit: split } };
}

/**
 * MLP.sweep's training options for a race on `trainRows` rows: the form's settings as the base (its seed left to the
 * race's seeds), the grid of the varied setting, and the validation split or folds it ranks on. A batch larger than
 * the rows left to train on (a table's default batch is all its training rows) becomes all of them.
 */
export function sweepOptionsOf(
  settings: Settings,
  plan: RacePlan,
  chunkSteps: number,
  trainRows: number,
): SweepOptions {
  // fit's settings, the seed left to the race's seeds (fitOptionsOf has nothing else, but types all of fit's options).
  const fit = fitOptionsOf(settings) as Record<string, unknown>;
  const named = FIT_SETTINGS.filter((name) => name !== 'seed' && fit[name] !== undefined);
  const base = Object.fromEntries(named.map((name) => [name, fit[name]])) as SweepOptions;
  const held =
    plan.folds === undefined ? validationRows(plan.validationSplit, trainRows) : Math.ceil(trainRows / plan.folds);
  return {
    ...base,
    batchSize: Math.min(settings.batch, trainRows - held),
    chunkSteps,
    grid: { [plan.setting]: plan.values },
    seeds: plan.seeds,
    ...(plan.folds === undefined ? { validationSplit: plan.validationSplit } : { folds: plan.folds }),
  };
}

/**
 * The race's setting, seed and fold (indices) of the sweep's model `index`: a sweep plans its models setting by
 * setting, seed by seed, fold by fold.
 */
export const modelOf = (index: number, seeds: number, folds = 1) => ({
  setting: Math.floor(index / (seeds * folds)),
  seed: Math.floor(index / folds) % seeds,
  fold: index % folds,
});
