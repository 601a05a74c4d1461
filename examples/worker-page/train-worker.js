// The Web Worker: it trains away from the page, so the page stays responsive however long training takes.
import { MLP } from 'webgpu-mlp';

self.onmessage = async ({ data: { x, y } }) => {
  // 'auto' trains on WebGPU where the browser offers it in workers, else on the CPU.
  const model = await MLP.create({ inputs: 2, hidden: [16, 16], outputs: 2, backend: 'auto' });
  await model.fit(x, y, {
    epochs: 60,
    batchSize: 32,
    optimizer: 'adam',
    learningRate: 0.01,
    onEpoch: ({ epoch, trainLoss }) => self.postMessage({ epoch, trainLoss }), // progress for the page
  });
  // The model file as bytes: the page loads it with MLP.fromBytes and keeps it in IndexedDB.
  self.postMessage({ model: model.toBytes(), backend: model.backend });
  model.dispose();
};
