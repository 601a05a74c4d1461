// Iris: tell three species of iris apart from four measurements of a flower, read from iris.csv.
// Run it with `node iris.mjs`: it finds iris.csv beside itself, wherever it is run from.
import { fileURLToPath } from 'node:url';
import { MLP } from 'webgpu-mlp';
import { numericColumns, readCsvFile, textColumn } from 'webgpu-mlp/node';

// The CSV file has a header row; every column but the target (species) is a number.
const table = readCsvFile(fileURLToPath(new URL('iris.csv', import.meta.url)));
const features = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const values = numericColumns(table, features); // all rows end to end, four numbers each
const species = textColumn(table, 'species');

// Hold one row in five out as a test set the model never trains on. The file lists the species one after another,
// 50 rows each, so the 30 test rows hold 10 flowers of each.
const train = { x: [], y: [] };
const test = { x: [], y: [] };
for (let r = 0; r < species.length; r++) {
  const part = r % 5 === 4 ? test : train;
  part.x.push(Array.from(values.subarray(r * 4, r * 4 + 4)));
  part.y.push(species[r]);
}

// Four inputs, 16 hidden units, three classes (named by the labels: setosa, versicolor, virginica).
// 150 rows: the CPU is quicker than a GPU here.
const model = await MLP.create({ inputs: 4, hidden: [16], outputs: 3, backend: 'cpu', seed: 1 });
await model.fit(train.x, train.y, { epochs: 100, batchSize: 16, optimizer: 'adam', learningRate: 0.01 });

// Accuracy on rows the model has not seen is the honest measure of what it learned.
const { accuracy } = await model.evaluate(test.x, test.y);
console.log(`trained on ${train.x.length} flowers, tested on ${test.x.length}`);
console.log(`test accuracy: ${(accuracy * 100).toFixed(1)}%`);

// A new flower: the most likely species, and the probability of each.
const answer = await model.predict([[6.1, 2.8, 4.7, 1.2]]);
const probabilities = answer.columns.map((name, i) => `${name} ${answer.row(0)[i].toFixed(2)}`);
console.log(`a flower of 6.1, 2.8, 4.7, 1.2 cm is ${answer.labels[0]} (${probabilities.join(', ')})`);
model.dispose();
