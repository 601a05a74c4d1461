// Written against the public types only: must pass `tsc --noEmit --strict` in the user's project.
import { MLP, UserError } from 'webgpu-mlp';

const x: number[][] = [
  [0, 1, 2, 3],
  [3, 2, 1, 0],
];
const model = await MLP.create({
  inputs: 4,
  hidden: [8, 4],
  outputs: 2,
  task: 'classification',
  backend: 'auto',
  seed: 1,
});
const controller = new AbortController();
const history = await model.fit(x, ['yes', 'no'], {
  epochs: 2,
  batchSize: 2,
  optimizer: 'adamw',
  learningRate: 0.001,
  weightDecay: 0.01,
  dropout: 0.1,
  signal: controller.signal,
  onEpoch: (record) => console.log(record.epoch, record.trainLoss),
});
const last: number = history.history[history.history.length - 1].trainLoss;
const predicted = await model.predict({ data: new Float32Array(8), rows: 2 });
const first: number = predicted.values[0] + predicted.rows + predicted.cols;
const classes: string[] = predicted.columns;
const metrics = await model.evaluate(x, ['yes', 'no']);
const bytes: Uint8Array = model.toBytes();
const again = await MLP.fromBytes(bytes, { backend: 'cpu' });
again.dispose();
model.dispose();
try {
  await MLP.create({ inputs: 0, outputs: 2, task: 'classification' });
} catch (error) {
  if (error instanceof UserError) console.log(error.field, error.message);
}
console.log(last, first, classes, metrics);
