// The page: it loads the model kept in IndexedDB, or else has a Web Worker train one and keeps it there.
import { MLP } from 'webgpu-mlp';
import { forgetModelBytes, loadModelBytes, saveModelBytes } from './model-store.js';
import { points } from './points.js';

const status = document.getElementById('status');
const test = points(500, 2); // points the model never trains on

// Loads a model file and shows how many test points it places right.
async function show(bytes, how) {
  const model = await MLP.fromBytes(bytes, { backend: 'cpu' }); // predicting 500 points needs no GPU
  const { accuracy } = await model.evaluate(test.x, test.y);
  model.dispose();
  status.textContent = `${how}: test accuracy ${(accuracy * 100).toFixed(1)}%`;
}

function train() {
  const worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = async ({ data }) => {
    if (!data.model) {
      status.textContent = `training in a Web Worker: epoch ${data.epoch}, loss ${data.trainLoss.toFixed(4)}`;
      return;
    }
    worker.terminate();
    await saveModelBytes(data.model);
    await show(data.model, `trained on backend ${data.backend} in a Web Worker, kept in IndexedDB (reload to load it)`);
    status.dataset.state = 'trained'; // for a test (or a script) waiting for the page to be done
  };
  worker.postMessage(points(2000, 1));
}

document.getElementById('retrain').onclick = async () => {
  await forgetModelBytes();
  train();
};

const saved = await loadModelBytes();
if (saved) {
  await show(saved, 'loaded from IndexedDB');
  status.dataset.state = 'loaded';
} else {
  train();
}
