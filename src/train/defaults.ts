/**
 * The defaults of a run's settings that depend on its data, and the settings that apply only with others: one place
 * for the CLI and the library's MLP, so both train the same run from the same data.
 */
import { UserError, type Field } from '../errors.js';
import type { OptimizerName } from '../model/optimizer.js';
import type { ScheduleName } from '../model/schedule.js';

/** Hidden widths when none are given: MNIST's 128, and scikit-learn's MLPClassifier's 100 for a table. */
export const DEFAULT_HIDDEN = { images: 128, table: 100 };

/**
 * A table's defaults, in the spirit of scikit-learn's MLPClassifier and MLPRegressor: Adam at 0.001, a batch of
 * min(200, training rows), and enough epochs for about TABLE_STEPS steps (at least one epoch), each of
 * floor(rows / batch) steps. Images keep plain SGD at 0.1, batch 64, one epoch (DEFAULT_TRAIN_OPTIONS).
 */
export const TABLE_STEPS = 2000;
export const TABLE_BATCH = 200;
/** A table's default batch for `rows` training rows. */
export const tableBatch = (rows: number) => Math.min(TABLE_BATCH, rows);
/** A table's default epochs for `rows` training rows in batches of `batch`. */
export const tableEpochs = (rows: number, batch: number) => Math.max(1, Math.ceil(TABLE_STEPS / Math.max(1, Math.floor(rows / batch))));
/** The default optimiser: Adam for a table, plain SGD for images. */
export const defaultOptimizerName = (table: boolean): OptimizerName => (table ? 'adam' : 'sgd');
/** The step schedule's default factor per decay, and the cosine schedule's default final rate. */
export const DEFAULT_GAMMA = 0.1;
export const DEFAULT_MIN_LR = 0;

/** Settings that only make sense with some optimiser or schedule, and those. */
const ONLY_WITH: [Field, (n: (field: Field) => string) => string, (c: { optimizer: OptimizerName; schedule: ScheduleName }) => boolean][] = [
  ['momentum', (n) => `${n('optimizer')} momentum or nesterov`, (c) => c.optimizer === 'momentum' || c.optimizer === 'nesterov'],
  ['dampening', (n) => `${n('optimizer')} momentum`, (c) => c.optimizer === 'momentum'],
  ['beta1', (n) => `${n('optimizer')} adam or adamw`, (c) => c.optimizer === 'adam' || c.optimizer === 'adamw'],
  ['beta2', (n) => `${n('optimizer')} adam or adamw`, (c) => c.optimizer === 'adam' || c.optimizer === 'adamw'],
  ['eps', (n) => `${n('optimizer')} adam or adamw`, (c) => c.optimizer === 'adam' || c.optimizer === 'adamw'],
  ['stepSize', (n) => `${n('schedule')} step`, (c) => c.schedule === 'step'],
  ['gamma', (n) => `${n('schedule')} step`, (c) => c.schedule === 'step'],
  ['minLr', (n) => `${n('schedule')} cosine`, (c) => c.schedule === 'cosine'],
];

/** Refuses a setting given (`given(field)`) where the optimiser or schedule chosen does not use it. */
export function checkApplies(given: (field: Field) => boolean, chosen: { optimizer: OptimizerName; schedule: ScheduleName }): void {
  for (const [field, needs, ok] of ONLY_WITH) {
    if (given(field) && !ok(chosen)) throw new UserError((n) => `${n(field)} applies to ${needs(n)} only`, field);
  }
}
