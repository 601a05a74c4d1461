// A user's Node script: train a small classifier from arrays on each backend, predict, evaluate, save and load.
// It never calls process.exit: the test checks that it ends by itself.
import { MLP } from 'webgpu-mlp';
import { clusters } from './data.mjs';

const train = clusters(240);
const test = clusters(60, 1000);
const results = {};
for (const backend of ['cpu', 'wasm', 'webgpu']) {
  const model = await MLP.create({ inputs: 4, hidden: [16], outputs: 3, task: 'classification', backend, seed: 3 });
  const epochs = [];
  const history = await model.fit(train.x, train.y, {
    epochs: 15,
    batchSize: 16,
    optimizer: 'adam',
    learningRate: 0.01,
    validationSplit: 0.2,
    onEpoch: (record) => epochs.push(record.epoch),
  });
  const predicted = await model.predict(test.x);
  const metrics = await model.evaluate(test.x, test.y);
  const bytes = model.toBytes();
  const again = await MLP.fromBytes(bytes, { backend });
  const reloaded = await again.predict(test.x);
  results[backend] = {
    epochs,
    historyLength: history.history.length,
    metrics,
    bytes: bytes.length,
    rows: predicted.rows,
    cols: predicted.cols,
    columns: predicted.columns,
    labels: predicted.labels,
    truth: test.y,
    probabilities: Array.from(predicted.values),
    reloaded: Array.from(reloaded.values),
  };
  model.dispose();
  again.dispose();
}
console.log(JSON.stringify(results));
