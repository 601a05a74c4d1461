/**
 * The page's own use of a trained model: one drawn digit at a time, and the per-digit test results behind the
 * confusion matrix and the grid of mistakes. Both run the CPU reference network (CpuNetwork) on parameters read back
 * from the training session, whichever backend trains; the inputs are normalised by the same gather() as training.
 */
import type { ImageDataset } from '../../src/backend.js';
import { activationForward } from '../../src/cpu/activations.js';
import { biasAdd } from '../../src/cpu/bias.js';
import { gather } from '../../src/cpu/gather.js';
import { matmulNT } from '../../src/cpu/matmul.js';
import { CpuNetwork } from '../../src/cpu/network.js';
import { paramTable, view } from '../../src/model/params.js';
import { inputSize, type ModelSpec, outputSize } from '../../src/model/spec.js';

/** Softmax of one row of logits, in float64 with the maximum subtracted first. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** A model ready to classify single images: its spec and a copy of its parameters. */
export class Predictor {
  private readonly network: CpuNetwork;
  private readonly labels = new Uint32Array(1);
  private readonly zero = new Uint8Array(1);
  private readonly first = new Uint32Array(1);

  constructor(
    readonly spec: ModelSpec,
    readonly params: Float32Array,
  ) {
    const expected = paramTable(spec).total;
    if (params.length !== expected)
      throw new Error(`${params.length} parameters for layers ${spec.layers}, need ${expected}`);
    this.network = new CpuNetwork(spec, 1);
  }

  /** Class probabilities of one image of pixel bytes [inputSize]. */
  probabilities(pixels: Uint8Array): Float64Array {
    const { spec } = this;
    gather(
      this.network.input,
      this.labels,
      pixels,
      this.zero,
      this.first,
      0,
      1,
      inputSize(spec),
      spec.inputMean,
      spec.inputStd,
    );
    return softmax(this.network.forward(this.params, 1));
  }

  /**
   * The hidden layers' outputs (after the activation) for one image: the same reference ops as CpuNetwork's
   * forward pass, which keeps its activations to itself.
   */
  hiddenOutputs(pixels: Uint8Array): Float32Array[] {
    const { spec } = this;
    gather(
      this.network.input,
      this.labels,
      pixels,
      this.zero,
      this.first,
      0,
      1,
      inputSize(spec),
      spec.inputMean,
      spec.inputStd,
    );
    const layers = paramTable(spec).layers;
    const outputs: Float32Array[] = [];
    let input = this.network.input.subarray(0, inputSize(spec));
    for (const { inSize, outSize, weight, bias } of layers.slice(0, -1)) {
      const z = new Float32Array(outSize);
      matmulNT(z, input, view(this.params, weight), 1, outSize, inSize);
      biasAdd(z, view(this.params, bias), 1, outSize);
      activationForward(spec.activation, z, z, outSize);
      outputs.push(z);
      input = z;
    }
    return outputs;
  }
}

export interface TestAnalysis {
  /** [true label, predicted] counts, row-major 10x10 (classes x classes in general). */
  confusion: Uint32Array;
  classes: number;
  /** [count] predicted class of every test image. */
  predicted: Uint8Array;
  /** [count] probability the model gave its prediction. */
  confidence: Float32Array;
  correct: number;
  count: number;
}

/** Rows per forward pass, and per pause for the browser between passes. */
const ROWS = 500;

/**
 * Classifies the whole test set. `pause` is awaited between batches of ROWS images so a page stays responsive;
 * MNIST's 10,000 digits through 784-128-10 take about a second of one core.
 */
export async function analyseTestSet(
  spec: ModelSpec,
  params: Float32Array,
  test: ImageDataset,
  pause: () => Promise<void> = async () => {},
): Promise<TestAnalysis> {
  const classes = outputSize(spec);
  const network = new CpuNetwork(spec, Math.min(ROWS, test.count));
  const labels = new Uint32Array(network.maxRows);
  const identity = Uint32Array.from({ length: test.count }, (_, i) => i);
  const confusion = new Uint32Array(classes * classes);
  const predicted = new Uint8Array(test.count);
  const confidence = new Float32Array(test.count);
  let correct = 0;
  for (let start = 0; start < test.count; start += ROWS) {
    const rows = Math.min(ROWS, test.count - start);
    gather(
      network.input,
      labels,
      test.inputs,
      test.labels,
      identity,
      start,
      rows,
      test.features,
      spec.inputMean,
      spec.inputStd,
    );
    const logits = network.forward(params, rows);
    for (let r = 0; r < rows; r++) {
      const probs = softmax(logits.subarray(r * classes, (r + 1) * classes));
      const guess = argmax(probs);
      predicted[start + r] = guess;
      confidence[start + r] = probs[guess];
      confusion[labels[r] * classes + guess]++;
      if (guess === labels[r]) correct++;
    }
    await pause();
  }
  return { confusion, classes, predicted, confidence, correct, count: test.count };
}
