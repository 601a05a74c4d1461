/** The page's small renderings: a 28x28 digit, the ten probability bars, the confusion matrix, the mistakes grid. */
import type { ImageDataset } from '../../src/index.js';
import { argmax, type TestAnalysis } from './predict.js';

/** Draws pixel bytes [side·side] onto a canvas of side x side pixels, light ink on dark as MNIST is stored. */
export function drawDigit(canvas: HTMLCanvasElement, pixels: Uint8Array, side = 28): void {
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const v = pixels[i];
    // Background #111827 (the pad's colour) blended towards white by the ink.
    image.data[4 * i] = 17 + ((255 - 17) * v) / 255;
    image.data[4 * i + 1] = 24 + ((255 - 24) * v) / 255;
    image.data[4 * i + 2] = 39 + ((255 - 39) * v) / 255;
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** Ten rows of digit, bar and percentage; the most likely digit highlighted. */
export class ProbabilityBars {
  private readonly rows: { row: HTMLElement; fill: HTMLElement; value: HTMLElement }[] = [];

  constructor(
    private readonly container: HTMLElement,
    classes = 10,
  ) {
    container.replaceChildren();
    for (let digit = 0; digit < classes; digit++) {
      const row = el('div', 'prob');
      row.dataset.digit = String(digit);
      const track = el('div', 'prob-track');
      const fill = el('div', 'prob-fill');
      track.append(fill);
      const value = el('span', 'prob-value', '–');
      row.append(el('span', 'prob-digit', String(digit)), track, value);
      container.append(row);
      this.rows.push({ row, fill, value });
    }
  }

  show(probabilities: ArrayLike<number> | null): void {
    const best = probabilities ? argmax(probabilities) : -1;
    this.rows.forEach(({ row, fill, value }, digit) => {
      const p = probabilities ? probabilities[digit] : 0;
      fill.style.width = `${(p * 100).toFixed(1)}%`;
      value.textContent = probabilities ? `${(p * 100).toFixed(p >= 0.995 || p < 0.0005 ? 0 : 1)}%` : '–';
      row.classList.toggle('best', digit === best);
      row.dataset.p = probabilities ? p.toFixed(6) : '';
    });
    this.container.dataset.ready = probabilities ? 'true' : 'false';
  }
}

/** A table of counts, true digit by row and predicted digit by column; cell shade by the share of its row. */
export function renderConfusion(container: HTMLElement, analysis: TestAnalysis): void {
  const { confusion, classes, correct, count } = analysis;
  const table = el('table', 'confusion');
  const head = el('tr');
  head.append(el('th', 'corner', 'true ↓ predicted →'));
  for (let p = 0; p < classes; p++) head.append(el('th', '', String(p)));
  head.append(el('th', 'recall', 'right'));
  table.append(head);
  for (let t = 0; t < classes; t++) {
    const row = el('tr');
    row.append(el('th', '', String(t)));
    let total = 0;
    for (let p = 0; p < classes; p++) total += confusion[t * classes + p];
    for (let p = 0; p < classes; p++) {
      const n = confusion[t * classes + p];
      const share = total ? n / total : 0;
      // Light text on the darker shades only.
      const kind = t === p ? (share >= 0.5 ? 'hit' : 'hit pale') : n ? 'miss' : 'zero';
      const cell = el('td', kind, n ? String(n) : '');
      // Hits in green by share of the row; misses in orange, scaled up so that a few percent already shows.
      cell.style.setProperty('--share', String(t === p ? share : Math.min(1, share * 8)));
      cell.title = `${n} of ${total} test images of a ${t} were read as ${p}`;
      row.append(cell);
    }
    row.append(el('td', 'recall', total ? `${((confusion[t * classes + t] / total) * 100).toFixed(1)}%` : '–'));
    table.append(row);
  }
  container.replaceChildren(table);
  container.dataset.correct = String(correct);
  container.dataset.total = String(count);
}

/** Up to `limit` misclassified test images, labelled "true → predicted"; returns how many there are in all. */
export function renderMistakes(container: HTMLElement, analysis: TestAnalysis, test: ImageDataset, limit = 40): number {
  const wrong: number[] = [];
  for (let i = 0; i < analysis.count; i++) if (analysis.predicted[i] !== test.labels[i]) wrong.push(i);
  // The most confident mistakes first: the instructive ones (and often mislabelled digits).
  wrong.sort((a, b) => analysis.confidence[b] - analysis.confidence[a]);
  const shown = wrong.slice(0, limit);
  const items = shown.map((index) => {
    const figure = el('figure', 'mistake');
    const canvas = el('canvas');
    drawDigit(canvas, test.inputs.subarray(index * test.features, (index + 1) * test.features));
    const truth = test.labels[index];
    const guess = analysis.predicted[index];
    const caption = el('figcaption');
    caption.append(el('span', 'truth', String(truth)), ' → ', el('span', 'guess', String(guess)));
    figure.title = `Test image #${index}: a ${truth}, read as ${guess} with ${(analysis.confidence[index] * 100).toFixed(0)}% confidence`;
    figure.append(canvas, caption);
    return figure;
  });
  container.replaceChildren(...items);
  container.dataset.count = String(wrong.length);
  return wrong.length;
}
