/**
 * Every training setting the page offers beside the basic ones (layers, batch, rate, epochs, seed), described once:
 * its form id (the CLI flag without its dashes, which is also its key in the page's address), label, one-line hint,
 * the CLI's default and when it applies. The lists of choices are the library's own (OPTIMIZERS, ACTIVATIONS, LOSSES,
 * SCHEDULES), and the optimisers' defaults come from makeOptimizer, so an optimiser the library adds appears here
 * with its defaults and no edit; an optimiser setting is offered only where the optimiser's config has that key.
 */
import type { Field } from '../../src/errors.js';
import { makeOptimizer, OPTIMIZERS, type OptimizerConfig, type OptimizerName } from '../../src/model/optimizer.js';
import { SCHEDULES, type ScheduleName } from '../../src/model/schedule.js';
import { ACTIVATIONS, LOSSES } from '../../src/model/spec.js';

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
  { id: 'loss', label: 'Loss', hint: 'mse is against one-hot labels', choices: LOSSES, fallback: 'softmax-cross-entropy' },
  { id: 'schedule', label: 'Schedule', hint: 'how the learning rate changes', choices: SCHEDULES, fallback: 'constant' },
];

/** What decides whether a setting applies: the chosen optimiser and schedule. */
export interface Chosen {
  optimizer: OptimizerName;
  schedule: ScheduleName;
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

/** The optimiser's default config; where it lacks the key, the setting is none of its. */
const optimizerDefault = (name: OptimizerName, key: string): number | boolean | undefined =>
  (makeOptimizer(name) as unknown as Record<string, number | boolean | undefined>)[key];

function optimizerSetting(
  id: string, key: keyof OptimizerConfig | string, label: string, hint: string, users: readonly string[], field?: Field, boolean?: true,
): ValueSetting {
  return {
    id, key, label, hint, group: 'optimizer', field, boolean,
    applies: ({ optimizer }) => users.includes(optimizer) && optimizerDefault(optimizer, key) !== undefined,
    fallback: ({ optimizer }) => optimizerDefault(optimizer, key),
  };
}

export const VALUE_SETTINGS: readonly ValueSetting[] = [
  optimizerSetting('momentum', 'momentum', 'Momentum', 'share of the last step kept in the next', ['momentum', 'nesterov', 'rmsprop'], 'momentum'),
  optimizerSetting('dampening', 'dampening', 'Dampening', "how much of the new gradient the momentum buffer doesn't take", ['momentum'], 'dampening'),
  optimizerSetting('beta1', 'beta1', 'Beta 1', "decay of Adam's running mean of the gradient", ['adam', 'adamw'], 'beta1'),
  optimizerSetting('beta2', 'beta2', 'Beta 2', "decay of Adam's running mean of the squared gradient", ['adam', 'adamw'], 'beta2'),
  optimizerSetting('alpha', 'alpha', 'Alpha', "decay of RMSprop's running mean of the squared gradient", ['rmsprop']),
  optimizerSetting('eps', 'eps', 'Epsilon', 'added to the square root, against division by zero', ['adam', 'adamw', 'rmsprop'], 'eps'),
  optimizerSetting('centered', 'centered', 'Centred', 'divide by the variance of the gradient, not its mean square', ['rmsprop'], undefined, true),
  optimizerSetting('weight-decay', 'weightDecay', 'Weight decay', 'L2 penalty on every weight; decoupled for adamw', OPTIMIZERS, 'weightDecay'),
  { id: 'dropout', key: 'dropout', label: 'Dropout', hint: "share of hidden outputs zeroed while training", group: 'model', field: 'dropout', applies: () => true, fallback: () => 0 },
  { id: 'step-size', key: 'stepSize', label: 'Step size', hint: 'epochs between decays (required)', group: 'schedule', field: 'stepSize', integer: true, applies: ({ schedule }) => schedule === 'step', fallback: () => undefined },
  { id: 'gamma', key: 'gamma', label: 'Gamma', hint: 'rate multiplied by this at each decay', group: 'schedule', field: 'gamma', applies: ({ schedule }) => schedule === 'step', fallback: () => 0.1 },
  { id: 'min-lr', key: 'minLr', label: 'Minimum rate', hint: 'where the cosine ends, at the last step', group: 'schedule', field: 'minLr', applies: ({ schedule }) => schedule === 'cosine', fallback: () => 0 },
];

/** The basic fields, by the library's names of them, for wording its errors in the page's labels. */
const BASIC_LABELS: Partial<Record<Field, string>> = {
  layers: 'Hidden layers', hidden: 'Hidden layers', batch: 'Batch size', learningRate: 'Learning rate', epochs: 'Epochs',
  seed: 'Seed', target: 'Target column', task: 'Task', testSplit: 'the test split',
};

/** How the page names a setting in the library's messages. */
export function pageLabel(field: Field): string {
  return BASIC_LABELS[field] ?? [...CHOICE_SETTINGS, ...VALUE_SETTINGS].find((s) => (s as { field?: Field }).field === field || s.id === field)?.label ?? field;
}
