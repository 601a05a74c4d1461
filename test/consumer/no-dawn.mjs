// A Node app that installed the library without Dawn (the optional peer `webgpu`): WebGPU is refused with the line
// that says how to install it, and `auto` trains on the CPU instead.
import { MLP } from 'webgpu-mlp';

const x = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
const y = [0, 1, 1, 0];
const options = { inputs: 2, hidden: [4], outputs: 2, task: 'classification', seed: 1 };
let refused = '';
try {
  await MLP.create({ ...options, backend: 'webgpu' });
} catch (error) {
  refused = `${error.name}: ${error.message}`;
}
const notes = [];
const model = await MLP.create({ ...options, backend: 'auto', onBackend: (note) => notes.push(note) });
const { history } = await model.fit(x, y, { epochs: 3 });
const { labels } = await model.predict(x);
model.dispose();
console.log(
  JSON.stringify({ refused, kinds: notes.map((note) => note.kind), epochs: history.length, predicted: labels.length }),
);
