/** SVG plots, as text: train's curves per epoch and eval's confusion matrix. No Node imports. */
import type { EpochRecord } from '../train/trainer.js';

const FONT = 'font-family="system-ui, sans-serif" font-size="12"';
const COLOURS = { train: '#1f77b4', test: '#d62728', val: '#2ca02c' };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A text element at (x, y), its content as markup (escaped already). */
const text = (x: number, y: number, content: string | number, attributes = 'text-anchor="middle"') =>
  `<text x="${x}" y="${y}" ${attributes}>${content}</text>`;

/** A white page of `width` by `height` with `title` centred at its top. */
const page = (width: number, height: number, title: string) => [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" ${FONT}>`,
  `<rect width="${width}" height="${height}" fill="white"/>`,
  text(width / 2, 18, escapeXml(title), 'text-anchor="middle" font-size="14"'),
];

/** A label turned to run up the page, centred at (x, y). */
const upward = (x: number, y: number, content: string) =>
  `<text transform="translate(${x},${y}) rotate(-90)" text-anchor="middle">${escapeXml(content)}</text>`;

/** Round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten, about `count` of them. */
export function ticks(low: number, high: number, count = 5): number[] {
  if (!(high > low)) return [low];
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  for (let v = Math.ceil(low / step - 1e-9) * step; v <= high + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

interface Series {
  name: string;
  colour: string;
  points: [number, number][];
  /** A thin line without dots, for many curves on one chart. */
  thin?: boolean;
  /** Left out of the legend (a curve of a group named once). */
  unnamed?: boolean;
  /** Its row in the legend, where not the order of the series. */
  legendRow?: number;
}

/** A panel's title, y axis label, series, y range and tick format. */
type Panel = [title: string, yLabel: string, series: Series[], yRange: [number, number], format: (v: number) => string];

/** One panel of line series over shared axes, at (x, y) with the given size. */
function panel(x: number, y: number, width: number, height: number, spec: Panel): string {
  const [title, yLabel, series, [y0, y1], format] = spec;
  const left = 56,
    right = 12,
    top = 28,
    bottom = 40;
  const w = width - left - right;
  const h = height - top - bottom;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const x0 = Math.min(...xs, 1);
  const x1 = Math.max(...xs, x0 + 1);
  const px = (v: number) => x + left + ((v - x0) / (x1 - x0)) * w;
  const py = (v: number) => y + top + h - ((v - y0) / (y1 - y0)) * h;
  const parts: string[] = [];
  parts.push(text(x + left + w / 2, y + 18, escapeXml(title), 'text-anchor="middle" font-weight="bold"'));
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${x + left}" x2="${x + left + w}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/>`);
    parts.push(text(x + left - 6, py(t) + 4, format(t), 'text-anchor="end"'));
  }
  const xTicks = ticks(x0, x1, Math.min(10, Math.max(1, Math.round(x1 - x0)))).filter((t) => Number.isInteger(t));
  for (const t of xTicks) parts.push(text(px(t), y + top + h + 16, t));
  parts.push(text(x + left + w / 2, y + height - 6, 'epoch'), upward(x + 14, y + top + h / 2, yLabel));
  parts.push(`<rect x="${x + left}" y="${y + top}" width="${w}" height="${h}" fill="none" stroke="#888"/>`);
  let named = 0;
  // The legend's left edge: its names fit inside the panel (about 7 px a character).
  const longest = Math.max(0, ...series.filter((s) => !s.unnamed).map((s) => s.name.length));
  const legend = x + left + w - Math.max(70, 24 + 7 * longest);
  for (const s of series) {
    if (s.points.length === 0) continue;
    const path = s.points.map(([a, b]) => `${px(a).toFixed(1)},${py(b).toFixed(1)}`).join(' ');
    const stroke = s.thin ? 'stroke-width="1" stroke-opacity="0.6"' : 'stroke-width="2"';
    parts.push(`<polyline points="${path}" fill="none" stroke="${s.colour}" ${stroke}/>`);
    for (const [a, b] of s.thin ? [] : s.points)
      parts.push(`<circle cx="${px(a).toFixed(1)}" cy="${py(b).toFixed(1)}" r="3" fill="${s.colour}"/>`);
    if (s.unnamed) continue;
    const ly = y + top + 14 + 16 * (s.legendRow ?? named++);
    parts.push(
      `<line x1="${legend}" x2="${legend + 18}" y1="${ly - 4}" y2="${ly - 4}" ` +
        `stroke="${s.colour}" stroke-width="2"/>`,
    );
    parts.push(text(legend + 24, ly, escapeXml(s.name), 'text-anchor="start"'));
  }
  return parts.join('\n');
}

/** Loss and accuracy (or RMSE and R²) per epoch of the sets measured; a partial epoch sits at its fraction. */
export function curvesSvg(history: EpochRecord[], title: string): string {
  const fullSteps = Math.max(...history.map((r) => r.steps));
  const at = (r: EpochRecord) => r.epoch - 1 + r.steps / fullSteps;
  type Key = { [K in keyof EpochRecord]-?: EpochRecord[K] extends number | undefined ? K : never }[keyof EpochRecord];
  const pick = (key: Key): [number, number][] =>
    history.filter((r) => r[key] !== undefined).map((r) => [at(r), r[key]!]);
  // The train, test and validation curves of one figure, those the run recorded.
  const series = (train: Key | null, test: Key, val: Key): Series[] =>
    [
      ...(train ? [{ name: 'train', colour: COLOURS.train, points: pick(train) }] : []),
      { name: 'test', colour: COLOURS.test, points: pick(test) },
      { name: 'val', colour: COLOURS.val, points: pick(val) },
    ].filter((s) => s.points.length > 0);
  const values = (list: Series[]) => list.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const loss = series('trainLoss', 'testLoss', 'valLoss');
  const lossTop = Math.max(...values(loss), 1e-3) * 1.05;
  const regression = history.some((r) => r.testR2 !== undefined);
  const panels: Panel[] = [['loss', 'mean loss', loss, [0, lossTop], (v) => v.toFixed(2)]];
  if (regression) {
    const rmse = series('trainRMSE', 'testRMSE', 'valRMSE');
    const r2 = series(null, 'testR2', 'valR2');
    const rmseTop = Math.max(...values(rmse), 1e-6) * 1.05;
    // R² runs to 1 and can fall below 0 (worse than predicting the mean); the panel shows from 0, or the lowest.
    const r2Low = Math.min(0, Math.floor(Math.min(...values(r2), 1) * 10) / 10);
    panels.push(['RMSE', "RMSE (the targets' units)", rmse, [0, rmseTop], (v) => Number(v.toPrecision(3)).toString()]);
    panels.push(['R²', 'R²', r2, [r2Low, 1], (v) => v.toFixed(1)]);
  } else {
    const accuracy = series('trainAccuracy', 'testAccuracy', 'valAccuracy');
    const accLow = Math.max(0, Math.floor((Math.min(...values(accuracy), 1) - 0.005) * 100) / 100);
    panels.push(['accuracy', 'accuracy (%)', accuracy, [accLow, 1], (v) => (100 * v).toFixed(0)]);
  }
  const each = 450;
  const width = each * panels.length;
  const height = 380;
  return [
    ...page(width, height, title),
    ...panels.map((p, i) => panel(i * each, 24, each, height - 24, p)),
    '</svg>',
    '',
  ].join('\n');
}

/** A colour per group of curves (matplotlib's tab10), repeating after ten. */
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];

/** One model's curves of a chart of many: its group (coloured alike, named once in the legend) and its epochs. */
export interface ModelCurves {
  group: number;
  name: string;
  history: (Partial<Pick<EpochRecord, 'valLoss' | 'valAccuracy' | 'valR2'>> & { epoch: number })[];
}

/**
 * Many models' held-out loss and score (accuracy, or a regression's R²) per epoch on one chart, a colour per group;
 * the legend names the first ten groups (their names cut to 28 characters). The first group's curves are drawn last,
 * on top of the others.
 */
export function modelsCurvesSvg(models: ModelCurves[], regression: boolean, title: string): string {
  const named = new Set<number>();
  const series = (key: 'valLoss' | 'valAccuracy' | 'valR2'): Series[] =>
    models
      .map((m) => {
        const unnamed = named.has(m.group) || m.group >= 10;
        named.add(m.group);
        const points = m.history
          .filter((r) => Number.isFinite(r[key]))
          .map((r): [number, number] => [r.epoch, r[key]!]);
        const name = m.name.length > 28 ? `${m.name.slice(0, 27)}…` : m.name;
        return { name, colour: PALETTE[m.group % PALETTE.length], points, thin: true, unnamed, legendRow: m.group };
      })
      .reverse();
  const values = (list: Series[]) => list.flatMap((s) => s.points.map((p) => p[1]));
  const loss = series('valLoss');
  // The legend is the loss panel's: the score's curves run up to its top right corner.
  const score = series(regression ? 'valR2' : 'valAccuracy');
  const lossTop = Math.max(...values(loss), 1e-3) * 1.05;
  const low = Math.min(...values(score), 1);
  const panels: Panel[] = [
    ['held-out loss', 'mean loss', loss, [0, lossTop], (v) => v.toFixed(2)],
    regression
      ? ['held-out R²', 'R²', score, [Math.min(0, Math.floor(low * 10) / 10), 1], (v) => v.toFixed(1)]
      : [
          'held-out accuracy',
          'accuracy (%)',
          score,
          [Math.max(0, Math.floor(low * 20) / 20), 1],
          (v) => (100 * v).toFixed(0),
        ],
  ];
  const [each, height] = [520, 400];
  return [
    ...page(each * 2, height, title),
    ...panels.map((p, i) => panel(i * each, 24, each, height - 24, p)),
    '</svg>',
    '',
  ].join('\n');
}

/** The confusion matrix (rows true, columns predicted), shaded by share of the row, with per-class accuracy. */
export function confusionSvg(confusion: ArrayLike<number>, classes: number, title: string, names?: string[]): string {
  const classNames = Array.from({ length: classes }, (_, c) => names?.[c] ?? String(c));
  const label = (c: number) => escapeXml(classNames[c]);
  const longest = Math.max(1, ...classNames.map((name) => name.length));
  const cell = 44;
  // Room for the row names at the left, and for the column names, which are shortened to fit a cell.
  const left = Math.max(70, 30 + 7 * Math.min(longest, 24)),
    top = 70,
    extra = 80;
  const short = (c: number) =>
    classNames[c].length > 6 ? `<title>${label(c)}</title>${escapeXml(classNames[c].slice(0, 5))}…` : label(c);
  const width = left + classes * cell + extra;
  const height = top + classes * cell + 20;
  const parts: string[] = [
    ...page(width, height, title),
    text(left + (classes * cell) / 2, top - 30, 'predicted'),
    upward(20, top + (classes * cell) / 2, 'true class'),
    text(left + classes * cell + extra / 2, top - 12, 'accuracy'),
  ];
  for (let c = 0; c < classes; c++) {
    parts.push(text(left + c * cell + cell / 2, top - 10, short(c)));
    parts.push(text(left - 10, top + c * cell + cell / 2 + 4, label(c), 'text-anchor="end"'));
  }
  for (let t = 0; t < classes; t++) {
    let total = 0;
    for (let p = 0; p < classes; p++) total += confusion[t * classes + p];
    for (let p = 0; p < classes; p++) {
      const count = confusion[t * classes + p];
      const share = total > 0 ? count / total : 0;
      // Diagonal cells shade blue, mistakes red; a small share is still visible (square root).
      const strength = Math.sqrt(share);
      const [r, g, b] = t === p ? [31, 119, 180] : [214, 39, 40];
      const mix = (v: number) => Math.round(255 - (255 - v) * strength);
      const x = left + p * cell;
      const y = top + t * cell;
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" ` +
          `fill="rgb(${mix(r)},${mix(g)},${mix(b)})" stroke="#eee"/>`,
      );
      if (count > 0) {
        const ink = strength > 0.6 ? 'white' : 'black';
        parts.push(text(x + cell / 2, y + cell / 2 + 4, count, `text-anchor="middle" fill="${ink}" font-size="11"`));
      }
    }
    const accuracy = total > 0 ? confusion[t * classes + t] / total : NaN;
    const shown = Number.isNaN(accuracy) ? '-' : `${(100 * accuracy).toFixed(1)}%`;
    parts.push(text(left + classes * cell + extra / 2, top + t * cell + cell / 2 + 4, shown));
  }
  parts.push('</svg>', '');
  return parts.join('\n');
}
