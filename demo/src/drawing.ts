/** The pad read by the page's model, and the test set's results shown as the confusion matrix and the mistakes. */
import { preprocessDigit } from '../../src/data/digit.js';
import type { ModelSpec } from '../../src/lower.js';
import { $, INPUT, number, type Page } from './page.js';
import { analyseTestSet, argmax, type TestAnalysis } from './predict.js';
import { drawDigit, renderConfusion, renderMistakes } from './views.js';

/** Reads the drawn digit with the page's model, where it has one for 28x28 images. */
export function predictDrawing(page: Page): void {
  const { pad, bars, activations } = page.widgets;
  const prediction = $('prediction');
  const note = $('prediction-note');
  const { ink, width, height } = pad.ink();
  const pixels = pad.isEmpty ? null : preprocessDigit(ink, width, height);
  drawDigit($<HTMLCanvasElement>('seen'), pixels ?? new Uint8Array(INPUT));
  const predictor = page.shown?.predictor;
  const usable = predictor && page.imageMode && predictor.spec.layers[0] === INPUT;
  if (!pixels || !usable) {
    bars.show(null);
    activations.show(null);
    prediction.textContent = '?';
    prediction.dataset.digit = '';
    note.textContent = usable
      ? 'Draw a digit on the dark square.'
      : 'Train a network, or load one, to read your digits.';
    return;
  }
  const probabilities = predictor.probabilities(pixels);
  const digit = argmax(probabilities);
  bars.show(probabilities);
  activations.show(predictor.hiddenOutputs(pixels));
  prediction.textContent = String(digit);
  prediction.dataset.digit = String(digit);
  note.textContent = `${(probabilities[digit] * 100).toFixed(1)}% sure${page.state === 'training' ? ', and still learning' : ''}.`;
}

/** Classifies MNIST's test set with `params`, and shows the confusion matrix and the mistakes. */
export async function showAnalysis(
  page: Page,
  spec: ModelSpec,
  params: Float32Array,
  pause: () => Promise<void>,
): Promise<TestAnalysis> {
  const test = page.mnist!.test;
  const analysis = await analyseTestSet(spec, params, test, pause);
  renderConfusion($('confusion'), analysis);
  const wrong = renderMistakes($('mistakes'), analysis, test);
  $('mistake-count').textContent = `(${number(wrong)} of ${number(analysis.count)})`;
  return analysis;
}
