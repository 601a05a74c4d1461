/**
 * ONNX export: models trained on the CPU on fresh random data, their ONNX run in ONNX Runtime (WebAssembly), and its
 * outputs against predict's; the export command end to end, and its one-line errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLP, type ModelOptions } from '../src/index.js';
import { Rng } from '../src/model/rng.js';
import { ACTIVATIONS } from '../src/model/spec.js';
import { runCli } from './cli-runner.js';
import { expectClose } from './helpers.js';
import { expectUserError } from './user-error.js';

/** One worker thread: the tests share two cores, and these graphs are small. */
ort.env.wasm.numThreads = 1;

const FEATURES = 5;
const ROWS = 120;

/** Rows whose columns have their own scale and offset (so that standardising them matters), and a seeded generator. */
function table(seed: number, rows = ROWS): { x: Float32Array; rng: Rng } {
  const rng = new Rng(seed);
  const x = new Float32Array(rows * FEATURES);
  for (let i = 0; i < x.length; i++) {
    const column = i % FEATURES;
    x[i] = 10 * column - 20 + (column + 0.5) * rng.uniform(-1, 1);
  }
  return { x, rng };
}

/** Classes by a random linear score of the rows, in thirds (each class a third of the rows), named by words. */
function classesOf(x: Float32Array, rng: Rng): string[] {
  const w = Array.from({ length: FEATURES }, () => rng.uniform(-1, 1));
  const rows = x.length / FEATURES;
  const scores = Array.from({ length: rows }, (_, r) => w.reduce((s, v, j) => s + v * x[r * FEATURES + j], 0));
  const sorted = scores.slice().sort((a, b) => a - b);
  const [low, high] = [sorted[Math.floor(rows / 3)], sorted[Math.floor((2 * rows) / 3)]];
  return scores.map((score) => (score < low ? 'heron' : score < high ? 'otter' : 'vole'));
}

/** Three targets of different scales, smooth functions of the rows with noise: [rows, 3]. */
function targetsOf(x: Float32Array, rng: Rng): Float32Array {
  const rows = x.length / FEATURES;
  const y = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) {
    const f = x.subarray(r * FEATURES, (r + 1) * FEATURES);
    y[r * 3] = 3 * f[0] - f[1] + 0.1 * rng.uniform(-1, 1);
    y[r * 3 + 1] = 500 + 40 * Math.sin(f[2] / 5);
    y[r * 3 + 2] = 0.01 * f[3] * f[4];
  }
  return y;
}

/** The model's ONNX run in ONNX Runtime on `x`: its output [rows, outputs], after checking the graph's signature. */
async function runOnnx(bytes: Uint8Array, x: Float32Array | Uint8Array, width: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['output']);
    const type = x instanceof Uint8Array ? 'uint8' : 'float32';
    expect(session.inputMetadata[0]).toMatchObject({ name: 'input', isTensor: true, type, shape: ['batch', width] });
    const rows = x.length / width;
    const { output } = await session.run({ input: new ort.Tensor(type, x, [rows, width]) });
    expect(output.dims[0]).toBe(rows);
    return output.data as Float32Array;
  } finally {
    await session.release();
  }
}

/**
 * ONNX Runtime's answers for `x` against predict's, to float32 rounding: within 1e-5 of each value relative to the
 * largest of its column (a target near zero in a column of hundreds is as exact as its column's rounding allows).
 */
async function expectSameAnswers(
  model: MLP,
  x: Float32Array | Uint8Array,
  label: string,
  given?: Uint8Array,
): Promise<void> {
  const bytes = given ?? (await model.toOnnx());
  const predicted = await model.predict(x);
  const onnx = await runOnnx(bytes, x, model.layers[0]);
  expect(onnx.length, label).toBe(predicted.values.length);
  const { cols } = predicted;
  for (let c = 0; c < cols; c++) {
    const column = (values: Float32Array) => values.filter((_, i) => i % cols === c);
    const want = column(predicted.values);
    const scale = Math.max(...want.map(Math.abs));
    expectClose(column(onnx), want, { atol: 1e-5 * scale, rtol: 1e-5 }, `${label}, output ${c}`);
  }
}

const FIT = { epochs: 5, batchSize: 30, learningRate: 0.01 } as const;

async function trained(options: Omit<ModelOptions, 'inputs'>, x: Float32Array | Uint8Array, y: unknown) {
  const model = await MLP.create({ inputs: FEATURES, backend: 'cpu', seed: 3, ...options } as ModelOptions);
  await model.fit(x, y as string[], FIT);
  return model;
}

describe('MLP.toOnnx in ONNX Runtime', () => {
  for (const [i, activation] of ACTIVATIONS.entries()) {
    it(`a ${activation} classifier of standardised rows gives predict's probabilities`, async () => {
      const { x, rng } = table(10 + i);
      const y = classesOf(x, rng);
      const model = await trained({ outputs: 3, hidden: [12, 8], activation }, x, y);
      expect(model.classes).toEqual(['heron', 'otter', 'vole']);
      await expectSameAnswers(model, table(50 + i, 37).x, activation);
      // The class names travel in the metadata, in output order.
      expect(Buffer.from(await model.toOnnx()).includes('["heron","otter","vole"]')).toBe(true);
      model.dispose();
    });

    it(`a ${activation} regression with three targets gives predict's targets in their units`, async () => {
      const { x, rng } = table(20 + i);
      const model = await trained({ outputs: 3, hidden: [10], task: 'regression', activation }, x, {
        data: targetsOf(x, rng),
        rows: ROWS,
      });
      await expectSameAnswers(model, table(60 + i, 1).x, `${activation} regression, one row`);
      await expectSameAnswers(model, table(70 + i, 45).x, `${activation} regression`);
      model.dispose();
    });
  }

  it("an mse classifier without hidden layers gives predict's raw outputs", async () => {
    const { x, rng } = table(30);
    const model = await trained({ outputs: 3, hidden: [], loss: 'mse' }, x, classesOf(x, rng));
    await expectSameAnswers(model, table(31, 20).x, 'mse classifier');
    model.dispose();
  });

  it("an image model takes bytes and normalises them as the model's spec says", async () => {
    const pixels = 16;
    const rng = new Rng(40);
    const bytes = (rows: number) => Uint8Array.from({ length: rows * pixels }, () => rng.below(256));
    const images = bytes(90);
    // Class c: the brightest of the image's four quarters.
    const labels = Uint8Array.from({ length: 90 }, (_, r) => {
      const sums = [0, 1, 2, 3].map((q) =>
        images.subarray(r * pixels + 4 * q, r * pixels + 4 * q + 4).reduce((a, b) => a + b),
      );
      return sums.indexOf(Math.max(...sums));
    });
    const model = await MLP.create({
      inputs: pixels,
      outputs: 4,
      hidden: [8],
      activation: 'tanh',
      images: { mean: 0.4, std: 0.3 },
      backend: 'cpu',
      seed: 5,
    });
    await model.fit(images, labels, FIT);
    await expectSameAnswers(model, bytes(25), 'images');
    model.dispose();
  });

  it('refuses a table model that has not been fitted', async () => {
    const model = await MLP.create({ inputs: FEATURES, outputs: 2, backend: 'cpu' });
    await expectUserError(() => model.toOnnx(), /^toOnnx needs a trained model: call fit first$/, undefined);
    model.dispose();
  });
});

describe('webgpu-mlp export', () => {
  let dir: string;
  let modelFile: string;
  let model: MLP;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-export-'));
    const { x, rng } = table(80);
    model = await trained({ outputs: 3, hidden: [6], activation: 'gelu', task: 'regression' }, x, {
      data: targetsOf(x, rng),
      rows: ROWS,
    });
    modelFile = path.join(dir, 'model.safetensors');
    fs.writeFileSync(modelFile, model.toBytes());
  });

  afterAll(() => {
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes the model file as the ONNX that toOnnx gives, which ONNX Runtime runs', async () => {
    const out = path.join(dir, 'model.onnx');
    const { code, stdout, stderr } = await runCli('export', '--model', modelFile, '--onnx', out);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const written = new Uint8Array(fs.readFileSync(out));
    expect(stdout).toBe(`wrote ${out}: ${FEATURES}-6-3 regression model, ${written.length} bytes\n`);
    expect(written).toEqual(await model.toOnnx());
    await expectSameAnswers(model, table(81, 9).x, 'the exported file', written);
  });

  it('has --help as the other commands do', async () => {
    const { code, stdout } = await runCli('export', '--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: webgpu-mlp export --model FILE --onnx FILE\.onnx\n/);
    expect(stdout).toMatch(/--verbose\s+on an error, print its stack trace/);
    expect((await runCli('--help')).stdout).toMatch(/\n {2}export {3}write a saved model as ONNX/);
  });

  it.each([
    [['--model', 'MODEL'], 'export needs --onnx FILE.onnx: where to write the ONNX model'],
    [['--onnx', 'OUT.onnx'], 'export needs --model FILE: a model written by train --out'],
    [
      ['--model', 'MODEL', '--onnx', 'DIR/model.txt'],
      '--onnx DIR/model.txt: only .onnx files are written: name it e.g. onnx.onnx',
    ],
    [
      ['--model', 'DIR/none.safetensors', '--onnx', 'OUT.onnx'],
      'DIR/none.safetensors: cannot read the model file (ENOENT)',
    ],
  ])('refuses %j in one line that says the fix', async (args, message) => {
    const fill = (text: string) =>
      text.replace('MODEL', modelFile).replace('OUT', path.join(dir, 'never')).replaceAll('DIR', dir);
    const { code, stdout, stderr } = await runCli('export', ...args.map(fill));
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: `error: ${fill(message)}\n` });
    expect(fs.existsSync(path.join(dir, 'never.onnx'))).toBe(false);
  });
});
