/**
 * jax-js (@jax-js/jax) as a contender of the step-rate race, written as its documentation writes a training loop: a
 * pure loss, valueAndGrad, and the whole SGD step under jit, with parameters as a tree of arrays that each call takes
 * and returns. Weights are [in, out] as JAX keeps them, set to our initial values (transposed), so both start alike.
 */
import { blockUntilReady, defaultDevice, init, jit, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import { makeSpec, paramTable } from '../../src/lower.js';
import { type ContenderFactory, STEP_LEARNING_RATE, type StepData, type StepWorkload } from '../steps.js';

export type JaxDevice = 'wasm' | 'webgpu';

type Params = { w: np.Array[]; b: np.Array[] };

function forward(params: Params, x: np.Array): np.Array {
  let h = x;
  const last = params.w.length - 1;
  params.w.forEach((w, l) => {
    h = np.dot(h, w).add(params.b[l]);
    if (l < last) h = nn.relu(h);
  });
  return h;
}

function lossOf(classes: number) {
  return (params: Params, x: np.Array, labels: np.Array): np.Array => {
    const logProbs = nn.logSoftmax(forward(params, x));
    return logProbs
      .mul(nn.oneHot(labels, classes))
      .sum()
      .mul(-1 / labels.shape[0]);
  };
}

/** Our initial parameters as jax-js arrays on `device`: each weight transposed to [in, out]. */
function jaxParams(w: StepWorkload, data: StepData, device: JaxDevice): Params {
  const params: Params = { w: [], b: [] };
  for (const layer of paramTable(makeSpec(w.layers)).layers) {
    const { inSize, outSize, weight, bias } = layer;
    const transposed = new Float32Array(inSize * outSize);
    for (let o = 0; o < outSize; o++) {
      for (let i = 0; i < inSize; i++) transposed[i * outSize + o] = data.params[weight.offset + o * inSize + i];
    }
    params.w.push(np.array(transposed, { shape: [inSize, outSize], device }));
    params.b.push(np.array(data.params.slice(bias.offset, bias.offset + outSize), { device }));
  }
  return params;
}

/**
 * jax-js on one of its devices. `setup` runs before jax-js looks for the device (Node sets navigator.gpu there).
 * run() dispatches every step, then blocks until the new parameters are ready and reads back the last step's loss.
 */
export function jaxContender(device: JaxDevice, setup: () => Promise<string> = async () => ''): ContenderFactory {
  return async () => {
    const adapter = await setup();
    const found = await init(device);
    if (!found.includes(device)) throw new Error(`jax-js found no ${device} device here (it has ${found.join(', ')})`);
    const threads = device === 'wasm' && globalThis.crossOriginIsolated ? ', threads' : '';
    return {
      device: `jax-js ${device}${threads}${adapter ? ` on ${adapter}` : ''}`,
      dispose: () => {},
      async prepare(w, data) {
        defaultDevice(device);
        const classes = w.layers.at(-1)!;
        const loss = lossOf(classes);
        const step = jit((params: Params, x: np.Array, labels: np.Array): [np.Array, Params] => {
          const [value, grads] = valueAndGrad(loss)(tree.ref(params), x, labels);
          const next = tree.map((p: np.Array, g: np.Array) => p.sub(g.mul(STEP_LEARNING_RATE)), params, grads);
          return [value, next as Params];
        });
        let params = jaxParams(w, data, device);
        const features = data.features;
        const xs: np.Array[] = [];
        const ys: np.Array[] = [];
        for (let b = 0; b < w.batches; b++) {
          const rows = [b * w.batch, (b + 1) * w.batch];
          const x = data.inputs.slice(rows[0] * features, rows[1] * features);
          xs.push(np.array(x, { shape: [w.batch, features], device }));
          ys.push(np.array(Int32Array.from(data.labels.subarray(rows[0], rows[1])), { dtype: np.int32, device }));
        }
        let at = 0;
        return {
          async run(count) {
            defaultDevice(device);
            let last: np.Array | null = null;
            for (let s = 0; s < count; s++) {
              const [value, next] = step(params, xs[at].ref, ys[at].ref);
              params = next;
              last?.dispose();
              last = value;
              at = (at + 1) % w.batches;
            }
            await blockUntilReady(params);
            return (await last!.data())[0];
          },
          dispose() {
            tree.dispose(params);
            for (const a of [...xs, ...ys]) a.dispose();
            step.dispose();
          },
        };
      },
    };
  };
}
