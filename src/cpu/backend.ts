import type { Backend, Dataset, Metrics, SessionOptions, TrainingSession } from '../backend.js';
import type { ModelSpec } from '../model/spec.js';
import { CpuNetwork } from './network.js';
import * as ops from './ops.js';

/** Rows per forward pass when evaluating: large enough to amortise the loop overhead, small enough to stay in cache. */
const EVAL_ROWS = 256;

/** The reference backend: plain TypeScript over Float32Array, one thread. */
export class CpuBackend implements Backend {
  readonly kind = 'cpu';

  constructor(readonly device = cpuDescription()) {}

  async createSession(options: SessionOptions): Promise<TrainingSession> {
    return new CpuSession(options);
  }

  dispose(): void {}
}

function cpuDescription(): string {
  // Also runs in the browser demo, where there is no process object.
  const node = globalThis.process?.versions?.node;
  return node ? `CPU reference (1 thread, Node ${node}, ${process.arch})` : 'CPU reference (1 thread, in the browser)';
}

class CpuSession implements TrainingSession {
  private readonly params: Float32Array;
  private readonly network: CpuNetwork;
  private readonly labels: Uint32Array;
  private order = new Uint32Array(0);

  constructor(private readonly options: SessionOptions) {
    this.params = options.params.slice();
    this.network = new CpuNetwork(options.spec, Math.max(options.batch, EVAL_ROWS));
    this.labels = new Uint32Array(this.network.maxRows);
  }

  setEpochOrder(order: Uint32Array): void {
    this.order = order.slice();
  }

  async trainSteps(first: number, count: number): Promise<number> {
    const { batch, learningRate, train } = this.options;
    if ((first + count) * batch > this.order.length) {
      throw new Error(`steps ${first}..${first + count - 1} need ${(first + count) * batch} order entries, have ${this.order.length}`);
    }
    let lossSum = 0;
    for (let step = first; step < first + count; step++) {
      this.gather(train, this.order, step * batch, batch);
      this.network.forward(this.params, batch);
      lossSum += this.network.backward(this.params, this.labels, batch);
      ops.sgdUpdate(this.params, this.network.grads, learningRate, this.params.length);
    }
    return lossSum / count;
  }

  async evaluate(): Promise<Metrics> {
    const { test, spec } = this.options;
    const classes = spec.layers[spec.layers.length - 1];
    const identity = Uint32Array.from({ length: test.count }, (_, i) => i);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < test.count; start += EVAL_ROWS) {
      const rows = Math.min(EVAL_ROWS, test.count - start);
      this.gather(test, identity, start, rows);
      const logits = this.network.forward(this.params, rows);
      lossSum += ops.softmaxCrossEntropy(null, logits, this.labels, rows, classes) * rows;
      correct += ops.countCorrect(logits, this.labels, rows, classes);
    }
    return { loss: lossSum / test.count, accuracy: correct / test.count };
  }

  async readParams(): Promise<Float32Array> {
    return this.params.slice();
  }

  dispose(): void {}

  private gather(set: Dataset, order: Uint32Array, start: number, rows: number): void {
    const spec: ModelSpec = this.options.spec;
    ops.gather(this.network.input, this.labels, set.pixels, set.labels, order, start, rows, set.features,
      spec.inputMean, spec.inputStd);
  }
}
