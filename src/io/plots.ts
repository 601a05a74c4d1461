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
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const path = s.points.map(([a, b]) => `${px(a).toFixed(1)},${py(b).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${s.colour}" stroke-width="2"/>`);
    for (const [a, b] of s.points)
      parts.push(`<circle cx="${px(a).toFixed(1)}" cy="${py(b).toFixed(1)}" r="3" fill="${s.colour}"/>`);
    const ly = y + top + 14 + 16 * i;
    parts.push(
      `<line x1="${x + left + w - 70}" x2="${x + left + w - 52}" y1="${ly - 4}" y2="${ly - 4}" ` +
        `stroke="${s.colour}" stroke-width="2"/>`,
    );
    parts.push(text(x + left + w - 46, ly, escapeXml(s.name), 'text-anchor="start"'));
  });
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
