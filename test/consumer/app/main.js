// A user's page: the package as any app imports it, built by Vite with no configuration.
import { MLP } from 'webgpu-mlp';
import { clusters } from '../data.mjs';

const out = document.getElementById('out');

async function main() {
  const train = clusters(240);
  const test = clusters(60, 1000);
  const model = await MLP.create({
    inputs: 4,
    hidden: [16],
    outputs: 3,
    task: 'classification',
    backend: 'webgpu',
    seed: 3,
  });
  const epochs = [];
  await model.fit(train.x, train.y, {
    epochs: 15,
    batchSize: 16,
    optimizer: 'adam',
    learningRate: 0.01,
    onEpoch: (r) => epochs.push(r.epoch),
  });
  const predicted = await model.predict(test.x);
  const metrics = await model.evaluate(test.x, test.y);
  const again = await MLP.fromBytes(model.toBytes(), { backend: 'webgpu' });
  const reloaded = await again.predict(test.x);
  model.dispose();
  again.dispose();
  return {
    epochs,
    metrics,
    rows: predicted.rows,
    cols: predicted.cols,
    columns: predicted.columns,
    same: predicted.values.every((v, i) => v === reloaded.values[i]),
  };
}

main().then(
  (result) => {
    out.textContent = JSON.stringify(result);
    out.dataset.state = 'done';
  },
  (error) => {
    out.textContent = String(error?.stack ?? error);
    out.dataset.state = 'failed';
  },
);
