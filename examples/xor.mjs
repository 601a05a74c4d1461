// XOR, the smallest problem a straight line cannot solve: the answer is 1 when exactly one input is 1.
// Run it with `node xor.mjs`.
import { MLP } from 'webgpu-mlp';

// Four rows of two inputs each, and the label of each row.
const x = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
const y = [0, 1, 1, 0];

// Two inputs, one hidden layer of 8 units, two outputs (one per class: 0 and 1).
// A network this small trains faster on the CPU than it takes to hand the work to a GPU, so we ask for the CPU.
const model = await MLP.create({ inputs: 2, hidden: [8], outputs: 2, backend: 'cpu', seed: 1 });

// 300 passes over the four rows, all four in each step, with the Adam optimiser.
await model.fit(x, y, { epochs: 300, batchSize: 4, optimizer: 'adam', learningRate: 0.05 });

// predict gives each row's most likely class (labels) and the probability of each class (row(i)).
const answer = await model.predict(x);
x.forEach(([a, b], i) => {
  const sure = Math.max(...answer.row(i));
  console.log(`${a} xor ${b} -> ${answer.labels[i]} (probability ${sure.toFixed(3)})`);
});

// evaluate compares the predictions with the true labels.
const { accuracy } = await model.evaluate(x, y);
console.log(`accuracy: ${accuracy * 100}%`);
model.dispose(); // frees what the model holds (on a GPU, its buffers)
