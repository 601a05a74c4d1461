// Regression: predict a number rather than a class. How far does a ball thrown from the ground travel?
// Physics says speed² · sin(2 · angle) / gravity; the network learns it from examples alone.
// Run it with `node regression.mjs`.
import { MLP } from 'webgpu-mlp';

// A small random number generator with a seed, so that every run makes the same throws.
let state = 7;
const random = () => (state = (state * 16807) % 2147483647) / 2147483647; // between 0 and 1

// 600 throws: speed (m/s), angle (degrees) and gravity (Moon 1.6, Mars 3.7, Earth 9.8), and the distance (m).
const throws = (count) => {
  const x = [];
  const y = [];
  for (let i = 0; i < count; i++) {
    const speed = 5 + 15 * random();
    const angle = 10 + 70 * random();
    const gravity = [1.6, 3.7, 9.8][i % 3];
    x.push([speed, angle, gravity]);
    y.push((speed ** 2 * Math.sin((2 * angle * Math.PI) / 180)) / gravity);
  }
  return { x, y };
};
const train = throws(500);
const test = throws(100);

// Three inputs, one output; task 'regression' learns with mean squared error. The CPU is quicker for a model
// this small. (The inputs and the distance are standardised inside the model: no need to scale them by hand.)
const model = await MLP.create({ inputs: 3, hidden: [32, 32], outputs: 1, task: 'regression', backend: 'cpu' });
await model.fit(train.x, train.y, { epochs: 150, batchSize: 32, optimizer: 'adam', learningRate: 0.005 });

// On throws it has not seen: the typical error (RMSE, in metres) and R² (1 is perfect, 0 is guessing the mean).
const { rmse, r2 } = await model.evaluate(test.x, test.y);
console.log(`test RMSE: ${rmse.toFixed(2)} m, R²: ${r2.toFixed(3)}`);

// A few throws, predicted against the physics.
const answer = await model.predict(test.x.slice(0, 3));
test.x.slice(0, 3).forEach(([speed, angle, gravity], i) => {
  const thrown = `${speed.toFixed(1)} m/s at ${angle.toFixed(0)}° with gravity ${gravity}`;
  console.log(`${thrown}: predicted ${answer.values[i].toFixed(1)} m, true ${test.y[i].toFixed(1)} m`);
});
model.dispose();
