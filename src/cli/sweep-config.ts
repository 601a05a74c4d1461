/**
 * The sweep command's flags: train's, where a training setting's flag may list several values (every combination is
 * tried), with --seeds and --folds for the repeats; read into MLP.sweep's base settings, model settings and grid.
 */
import { UserError } from '../errors.js';
import { parseSetting, resolveSettings, type Values } from '../train/resolve.js';
import { SETTING_NAMES, type SettingName } from '../train/setting-names.js';
import { flagOf, MODEL_SETTINGS, SETTINGS, type Value } from '../train/settings.js';
import { SWEEP_SETTINGS } from '../train/sweep.js';
import { type FlagSpec, type Flags, intFlag } from './args.js';
import { TRAIN_FLAGS } from './train-config.js';

/** Train's flags that a sweep has no use for: the seed is --seeds, and a sweep starts and saves no single run. */
const NOT_SWEEP = ['seed', 'init', 'resume', 'checkpoint', 'checkpoint-every', 'out', 'report', 'plot', 'verbose'];

export const SWEEP_FLAGS: FlagSpec[] = [
  ...TRAIN_FLAGS.filter((f) => !NOT_SWEEP.includes(f.name) && f.name !== 'help'),
  {
    name: 'seeds',
    value: 'LIST',
    help: 'seeds each setting trains with: a list, a range, or both (1-3,7)',
    default: '1',
  },
  {
    name: 'folds',
    value: 'K',
    help: 'k-fold cross-validation: each model trains on all folds but one and is scored on that one',
    default: '5, where --validation-split is not given',
  },
  {
    name: 'out',
    value: 'FILE',
    help: "write the best setting's model (safetensors, atomically; with folds, trained again on all training rows)",
  },
  {
    name: 'ensemble',
    value: 'K',
    help: 'with --out DIR: write the K best models as DIR/1.safetensors..K.safetensors (predict, eval --model DIR)',
  },
  { name: 'report', value: 'FILE', help: "write a JSON report: the table, and every model's settings and history" },
  { name: 'plot', value: 'FILE', help: "draw every model's held-out loss and score per epoch (SVG)" },
  ...TRAIN_FLAGS.filter((f) => f.name === 'verbose' || f.name === 'help'),
];

/** What the setting flags give a sweep: fit's settings shared by every model, the model's, and the grid. */
export interface SweepSettings {
  /** Typed loosely, as MLP.sweep's options and MLP.create's take them (their values were checked here). */
  base: Record<string, Value>;
  model: Record<string, Value>;
  grid: Partial<Record<SettingName, Value[]>>;
}

/** The setting flags read: one value each, or a list for a setting that a sweep may vary. */
export function sweepSettings(flags: Flags, images: boolean): SweepSettings {
  const settings: SweepSettings = { base: {}, model: {}, grid: {} };
  for (const name of SETTING_NAMES) {
    const flag = flagOf(name);
    const text = flags[flag];
    if (typeof text !== 'string') continue;
    const texts = text.split(',');
    if (texts.length > 1 && !SWEEP_SETTINGS.includes(name)) {
      throw new UserError(
        `--${flag} ${text}: a sweep cannot vary --${flag}, give it one value (e.g. --${flag} ${texts[0]})`,
      );
    }
    const values = texts.map((t) => parseSetting(name, t));
    const twice = values.find((v, i) => values.indexOf(v) !== i);
    if (twice !== undefined) throw new UserError(`--${flag} ${text} lists ${twice} twice: give each value once`);
    if (values.length > 1) settings.grid[name] = values;
    else if ((MODEL_SETTINGS as readonly SettingName[]).includes(name)) settings.model[name] = values[0];
    else settings.base[name] = values[0];
  }
  if (images) Object.assign(settings.base, imageDefaults(settings));
  return settings;
}

/**
 * The defaults that MNIST's images take where a table's differ (plain SGD, one epoch, a batch of 64), as train uses
 * them: MLP.sweep's own are a table's. The optimiser's and schedule's own settings follow whichever is chosen.
 */
function imageDefaults({ base, grid }: SweepSettings): Values {
  const data = { trainRows: 1000, regression: false };
  const [images, table] = [
    resolveSettings({}, { ...data, table: false }),
    resolveSettings({}, { ...data, table: true }),
  ];
  const defaults: Values = {};
  for (const name of SETTING_NAMES) {
    const dependent = ['optimizer', 'schedule'].includes(SETTINGS[name].group) && name !== 'optimizer';
    if (dependent || base[name] !== undefined || grid[name] || images[name] === table[name]) continue;
    if (images[name] !== undefined) defaults[name] = images[name];
  }
  return defaults;
}

/** --seeds: integers >= 0 and ranges of them ("1-3,7"), each seed once. */
export function parseSeeds(text: string | undefined): number[] {
  if (text === undefined) return [1];
  const wrong = () =>
    new UserError(`--seeds "${text}" is not valid: use integers >= 0, a range or a list (e.g. --seeds 1-3 or 1,2,7)`);
  const seeds: number[] = [];
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!match) throw wrong();
    const [first, last] = [Number(match[1]), Number(match[2] ?? match[1])];
    // A range of thousands of seeds is a typo, not a sweep.
    if (last < first || last - first >= 1000) throw wrong();
    for (let seed = first; seed <= last; seed++) seeds.push(seed);
  }
  const twice = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (twice !== undefined) throw new UserError(`--seeds ${text} gives seed ${twice} twice: give each seed once`);
  return seeds;
}

/** --folds K, or none where --validation-split holds the rows out instead (the API's default is then 5). */
export function parseFolds(flags: Flags): number | undefined {
  const text = flags.folds as string | undefined;
  if (text === undefined) return undefined;
  if (flags['validation-split'] !== undefined) {
    throw new UserError('--folds and --validation-split both choose the held-out rows: use one');
  }
  return intFlag('folds', text, 2);
}

/** --ensemble K, which writes a folder of models: it needs --out. */
export function parseEnsemble(flags: Flags): number | undefined {
  const text = flags.ensemble as string | undefined;
  if (text === undefined) return undefined;
  const size = intFlag('ensemble', text, 1);
  if (flags.out === undefined) throw new UserError('--ensemble K writes K models: give --out DIR, the folder for them');
  return size;
}
