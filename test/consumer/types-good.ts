// Written against the public types only: must pass `tsc --noEmit --strict` in the user's project.
import { MLP, trainTestSplit, UserError } from 'webgpu-mlp';

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
// Typed by task: a classifier's accuracy and labels need no cast, a regression's errors neither.
const accuracy: number = metrics.accuracy;
const label: string | number = predicted.labels[0];
const regression = await MLP.create({ inputs: 4, outputs: 1, task: 'regression', backend: 'cpu' });
await regression.fit(x, new Float64Array([0.5, 1.5]), { epochs: 1 });
const rmse: number = (await regression.evaluate(x, [0.5, 1.5])).rmse;
const numbers = await MLP.create({ inputs: 4, outputs: 2, backend: 'cpu' });
await numbers.fit(x, Int32Array.of(0, 1), { epochs: 1 });
const isOne: boolean = (await numbers.predict(x)).labels[0] === 1;
const split = trainTestSplit(x, ['yes', 'no'], { testSize: 0.5, seed: 3, stratify: false });
const trainRows: number[][] = split.train.x;
const described: string = model.summary() + model.parameterCount;
regression.dispose();
numbers.dispose();
const bytes: Uint8Array = model.toBytes();
const again = await MLP.fromBytes(bytes, { backend: 'cpu' });
again.dispose();
model.dispose();
try {
  await MLP.create({ inputs: 0, outputs: 2, task: 'classification' });
} catch (error) {
  if (error instanceof UserError) console.log(error.field, error.message);
}
console.log(last, first, classes, metrics, accuracy, label, rmse, isOne, trainRows, described);
