/**
 * Every training setting the page offers beside the basic ones (layers, batch, rate, epochs, seed), described once:
 * its form id (the CLI flag without its dashes, which is also its key in the page's address), label, one-line hint,
 * the CLI's default and when it applies. The lists of choices are the library's own (OPTIMIZERS, ACTIVATIONS, LOSSES,
 * SCHEDULES), and the optimisers' defaults come from makeOptimizer, so an optimiser the library adds appears here
 * with its defaults and no edit; an optimiser setting is offered only where the optimiser's config has that key.
 */
import type { Field } from '../../src/errors.js';
import { OPTIMIZERS, type OptimizerName } from '../../src/model/optimizer.js';
import { SCHEDULES, type ScheduleName } from '../../src/model/schedule.js';
import { ACTIVATIONS, LOSSES, type Loss } from '../../src/model/spec.js';
import { SETTING_NAMES, type SettingName } from '../../src/train/setting-names.js';
import { applies, flagOf, SETTINGS } from '../../src/train/settings.js';

export interface ChoiceSetting {
  id: 'optimizer' | 'activation' | 'loss' | 'schedule';
  label: string;
  hint: string;
  choices: readonly string[];
  /** The CLI's default (for a table, the optimiser's default is adam). */
  fallback: string;
}

export const CHOICE_SETTINGS: readonly ChoiceSetting[] = [
  { id: 'optimizer', label: 'Optimiser', hint: "PyTorch's update rules", choices: OPTIMIZERS, fallback: 'sgd' },
  { id: 'activation', label: 'Activation', hint: 'between the hidden layers', choices: ACTIVATIONS, fallback: 'relu' },
  {
    id: 'loss',
    label: 'Loss',
    hint: 'mse is against one-hot labels',
    choices: LOSSES,
    fallback: 'softmax-cross-entropy',
  },
  {
    id: 'schedule',
    label: 'Schedule',
    hint: 'how the learning rate changes',
    choices: SCHEDULES,
    fallback: 'constant',
  },
];

/** What decides whether a setting applies: the chosen optimiser and schedule. */
export interface Chosen {
  optimizer: OptimizerName;
  schedule: ScheduleName;
  loss?: Loss;
}

/** A numeric (or, for `boolean`, on/off) setting; `key` is its name in OptimizerConfig or ScheduleOptions. */
export interface ValueSetting {
  id: string;
  label: string;
  hint: string;
  group: 'optimizer' | 'schedule' | 'model';
  key: string;
  /** The library's field, which its errors name. */
  field?: Field;
  integer?: boolean;
  boolean?: boolean;
  applies: (chosen: Chosen) => boolean;
  /** The CLI's default in the chosen context; undefined where the CLI has none (it is then required). */
  fallback: (chosen: Chosen) => number | boolean | undefined;
}

/** The table's settings that the page offers beside the basic fields: the optimiser's, the schedule's, the model's. */
const OFFERED = SETTING_NAMES.filter((name) => {
  const s = SETTINGS[name];
  const offered = s.group === 'optimizer' || s.group === 'schedule' || s.group === 'model';
  return offered && s.kind !== 'choice' && name !== 'learningRate';
});

type Fallback = number | boolean | undefined;

export const VALUE_SETTINGS: readonly ValueSetting[] = OFFERED.map((name): ValueSetting => {
  const s = SETTINGS[name];
  const [place, key] = s.at;
  return {
    id: flagOf(name),
    key,
    label: s.label,
    hint: s.help,
    field: name,
    group: place === 'options' || place === 'spec' ? 'model' : (place as ValueSetting['group']),
    ...(s.kind === 'integer' ? { integer: true } : {}),
    ...(s.kind === 'boolean' ? { boolean: true } : {}),
    applies: (chosen) => applies(name, chosen),
    fallback: (chosen) => s.default({ table: false, trainRows: 1, regression: false, ...chosen }) as Fallback,
  };
});

/** The basic fields, by the library's names of them, for wording its errors in the page's labels. */
const BASIC_LABELS: Partial<Record<Field, string>> = {
  layers: 'Hidden layers',
  hidden: 'Hidden layers',
  target: 'Target column',
  task: 'Task',
  testSplit: 'the test split',
};

/** How the page names a setting in the library's messages. */
export function pageLabel(field: Field): string {
  return BASIC_LABELS[field] ?? SETTINGS[field as SettingName]?.label ?? field;
}
