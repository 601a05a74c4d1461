/** Saving the page's model as the CLI's model file, and loading one (an MNIST model) to read digits with. */
import { MLP } from '../../src/index.js';
import { showArchitecture, useMnist } from './data-mode.js';
import { showAnalysis } from './drawing.js';
import { WeightImages } from './inside.js';
import { $, CLASSES, INPUT, number, type Page, percent, type ShownModel } from './page.js';
import { Predictor } from './predict.js';
import { nextTask } from './run-control.js';

/** The page's model of a finished or loaded MLP. */
export function shownModel(model: MLP, name: string): ShownModel {
  const spec = model.spec;
  return {
    predictor: spec.data ? null : new Predictor(spec, model.weights()),
    bytes: async () => model.toBytes(),
    name: `${name}-${spec.layers.join('-')}`,
  };
}

export async function save(page: Page): Promise<void> {
  if (!page.shown) return;
  const bytes = await page.shown.bytes();
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: `${page.shown.name}.safetensors` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function load(page: Page, file: File): Promise<void> {
  const status = $('model-status');
  let model: MLP | null = null;
  try {
    model = await MLP.fromBytes(new Uint8Array(await file.arrayBuffer()), { backend: 'cpu', source: file.name });
    const { layers } = model;
    if (model.spec.data || layers[0] !== INPUT || layers[layers.length - 1] !== CLASSES) {
      throw new Error(
        `${file.name}: the model takes ${layers[0]} inputs and gives ${layers[layers.length - 1]} outputs; ` +
          `an MNIST model takes ${INPUT} pixels and gives ${CLASSES} digits`,
      );
    }
    if (page.current) {
      page.current.control.stop();
      await page.current.done;
    }
    useMnist(page);
    page.clearResults();
    page.widgets.form.hidden.value = layers.slice(1, -1).join(', ');
    showArchitecture(page);
    page.keepModel(model);
    const shown = shownModel(model, 'mnist');
    const { spec, params } = shown.predictor!;
    page.setModel(shown, `Loaded ${file.name} (${layers.join('-')}). Checking it on the test set…`);
    if (WeightImages.fits(spec)) page.widgets.weights.show(spec, params, null);
    page.setState('ready', `Loaded ${file.name}.`);
    const analysis = await showAnalysis(page, spec, params, nextTask);
    const accuracy = analysis.correct / analysis.count;
    page.stats.accuracy.textContent = percent(accuracy);
    page.stats.accuracy.dataset.value = String(accuracy);
    status.textContent = `Loaded ${file.name} (${layers.join('-')}): ${percent(accuracy)} of ${number(analysis.count)} test digits right.`;
    status.dataset.loaded = file.name;
  } catch (error) {
    if (model !== page.model) model?.dispose();
    status.textContent = `Could not load the model: ${(error as Error).message}`;
  }
}
