/** What sweep says at the end: its ranked table, the best setting, and its JSON report and chart. */
import type { Sweep } from '../api/sweep.js';
import { modelsCurvesSvg } from '../io/plots.js';
import type { Values } from '../train/resolve.js';
import type { SettingName } from '../train/setting-names.js';
import { flagOf, type Value } from '../train/settings.js';
import type { SweepRow } from '../train/sweep.js';
import { percent } from './progress.js';

/** A setting's values as flags: "--learning-rate 0.03 --weight-decay 0"; `names` in their order. */
export function settingFlags(setting: Values, names: readonly SettingName[]): string {
  return names
    .filter((name) => setting[name] !== undefined)
    .map((name) => `--${flagOf(name)} ${setting[name]}`)
    .join(' ');
}

/** A mean score and its spread in the task's terms: accuracy in percent, or R²; a diverged setting's NaN as such. */
export function scoreText(mean: number, std: number, regression: boolean): string {
  if (Number.isNaN(mean)) return 'diverged';
  return regression ? `${mean.toFixed(4)} ± ${std.toFixed(4)}` : `${percent(mean)} ± ${percent(std)}`;
}

/** Rows of cells as text columns: the left ones (the settings) aligned left, the figures right. */
function columns(rows: string[][], left: number): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows
    .map((row) =>
      row
        .map((cell, c) => (c < left ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The ranked table: one row per setting, the settings that vary, the held-out score, loss, and what the models did. */
export function sweepTableText(table: SweepRow[], varied: readonly SettingName[], regression: boolean): string {
  const header = [
    'rank',
    ...varied.map(flagOf),
    regression ? 'held-out R²' : 'held-out accuracy',
    'held-out loss',
    'models',
    'diverged',
    'epochs',
    'seconds',
  ];
  const rows = table.map((row, i) => [
    String(i + 1),
    ...varied.map((name) => String(row.setting[name] as Value)),
    scoreText(row.mean, row.std, regression),
    Number.isNaN(row.loss) ? '-' : row.loss.toFixed(4),
    String(row.models),
    String(row.diverged),
    row.epochs.toFixed(1),
    row.seconds.toFixed(2),
  ]);
  // The rank's column reads best on the left with the settings.
  return `${columns([header, ...rows], 1 + varied.length)}\n`;
}

/** The JSON report: how the sweep ran, its table, the best setting (with its test figures), and every model. */
export function sweepReport(
  sweep: Sweep<unknown>,
  run: Record<string, unknown>,
  test: Record<string, number> | undefined,
): Record<string, unknown> {
  const { best } = sweep;
  return {
    ...run,
    settings: sweep.settings,
    table: sweep.table,
    best: { setting: best.setting, settings: best.settings, mean: best.mean, std: best.std, ...(test ? { test } : {}) },
    models: sweep.models,
    seconds: sweep.seconds,
  };
}

/** A setting's values of the settings that vary: "0.03, 0.0001". */
const valuesText = (setting: Values, varied: readonly SettingName[]) =>
  varied.map((name) => setting[name]).join(', ') || 'the settings given';

/** Every model's held-out loss and score per epoch, coloured by setting (by rank), on one chart. */
export function sweepPlot(sweep: Sweep<unknown>, varied: readonly SettingName[], regression: boolean, title: string) {
  const rank = new Map(sweep.table.map((row, i) => [row.index, i]));
  const curves = sweep.models
    .map((m) => ({
      group: rank.get(m.setting)!,
      name: `${rank.get(m.setting)! + 1}: ${valuesText(sweep.settings[m.setting], varied)}`,
      history: m.history,
    }))
    .sort((a, b) => a.group - b.group);
  return modelsCurvesSvg(curves, regression, title);
}
