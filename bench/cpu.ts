/**
 * CPU reference benchmark: GFLOP/s of each matmul form at the MNIST 784-128-10 batch-64 shapes and at 256³, and the
 * time of whole training steps of CpuNetwork (forward + backward + sgdUpdate), extrapolated to one MNIST epoch.
 *
 *   npx tsx bench/cpu.ts            # full run
 *   npx tsx bench/cpu.ts --quick    # fewer samples, for a fast look
 *
 * Every figure is the median of several timed samples taken after a warm-up (so V8 has optimised the code). Inputs
 * are seeded random non-zero floats; a matmul's FLOP count is 2·m·n·k.
 */
import { relu } from '../src/cpu/activations.js';
import { biasAdd } from '../src/cpu/bias.js';
import { matmulNN, matmulNT, matmulTN } from '../src/cpu/matmul.js';
import { CpuNetwork } from '../src/cpu/network.js';
import { sgdUpdate } from '../src/cpu/updates.js';
import { initParams } from '../src/model/params.js';
import { Rng } from '../src/model/rng.js';
import { makeSpec } from '../src/model/spec.js';

const quick = process.argv.includes('--quick');
const SAMPLES = quick ? 5 : 11;
/** Aim for samples of about this many milliseconds, so timer resolution and GC noise stay small. */
const SAMPLE_MS = quick ? 60 : 150;
const EPOCH_STEPS = 937; // floor(60000 / 64)

function random(rng: Rng, length: number, low = -1, high = 1): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    let v = rng.uniform(low, high);
    if (v === 0) v = 0.5; // non-zero, so no kernel can skip work it would do on real data
    out[i] = v;
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median milliseconds per call of fn, after a warm-up that also picks how many calls make one sample. */
function timeIt(fn: () => void): number {
  const warmStart = performance.now();
  let calls = 0;
  while (performance.now() - warmStart < 300 || calls < 3) {
    fn();
    calls++;
  }
  const perCall = (performance.now() - warmStart) / calls;
  const reps = Math.max(1, Math.round(SAMPLE_MS / perCall));
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    samples.push((performance.now() - t0) / reps);
  }
  return median(samples);
}

type Form = 'NT' | 'TN' | 'NN';
const kernels: Record<Form, typeof matmulNT> = { NT: matmulNT, TN: matmulTN, NN: matmulNN };

function benchMatmul(form: Form, m: number, n: number, k: number, role: string): void {
  const rng = new Rng(m * 1_000_003 + n * 1009 + k);
  // Operand sizes: NT a [m,k] b [n,k]; TN a [k,m] b [k,n]; NN a [m,k] b [k,n]. All are m·k and n·k floats.
  const a = random(rng, m * k);
  const b = random(rng, n * k);
  const c = new Float32Array(m * n);
  const kernel = kernels[form];
  const ms = timeIt(() => kernel(c, a, b, m, n, k));
  const gflops = (2 * m * n * k) / (ms * 1e6);
  const shape = `${m}x${n}x${k}`;
  console.log(
    `matmul${form} ${shape.padEnd(12)} ${role.padEnd(26)} ${ms.toFixed(3).padStart(8)} ms ${gflops.toFixed(2).padStart(6)} GFLOP/s`,
  );
}

function benchTraining(): void {
  const spec = makeSpec([784, 128, 10]);
  const batch = 64;
  const net = new CpuNetwork(spec, batch);
  const params = initParams(net.table, 1);
  const rng = new Rng(2);
  // Roughly the range of normalised MNIST pixels, (0 - 0.1307)/0.3081 ≈ -0.42 to (1 - 0.1307)/0.3081 ≈ 2.82.
  net.input.set(random(rng, batch * 784, -0.42, 2.82));
  const labels = new Uint32Array(batch);
  for (let i = 0; i < batch; i++) labels[i] = rng.below(10);
  // A small learning rate keeps the parameters (and so the share of ReLU zeros) near their initial state.
  const step = (): void => {
    net.forward(params, batch);
    net.backward(params, labels, batch);
    sgdUpdate(params, net.grads, 1e-4, net.table.total);
  };
  const steps = 20;
  const ms =
    timeIt(() => {
      for (let s = 0; s < steps; s++) step();
    }) / steps;
  // How many hidden units ReLU switched off, to compare these inputs with real data (no matmul's cost depends on it).
  const hidden = new Float32Array(batch * 128);
  const { weight, bias } = net.table.layers[0];
  matmulNT(hidden, net.input, params.subarray(weight.offset, weight.offset + weight.size), batch, 128, 784);
  biasAdd(hidden, params.subarray(bias.offset, bias.offset + bias.size), batch, 128);
  relu(hidden, hidden, hidden.length);
  const zeroShare = hidden.filter((v) => v === 0).length / hidden.length;
  console.log(
    `training step 784-128-10 batch ${batch}: ${ms.toFixed(3)} ms/step; ` +
      `epoch of ${EPOCH_STEPS} steps (extrapolated): ${((ms * EPOCH_STEPS) / 1000).toFixed(2)} s ` +
      `(${(100 * zeroShare).toFixed(0)}% of hidden units zero after ReLU)`,
  );
}

console.log(`node ${process.version}, ${SAMPLES} samples of ~${SAMPLE_MS} ms each, median`);
benchMatmul('NT', 64, 128, 784, 'forward layer 1');
benchMatmul('NT', 64, 10, 128, 'forward layer 2');
benchMatmul('NT', 256, 256, 256, 'square');
benchMatmul('TN', 128, 784, 64, 'dW layer 1');
benchMatmul('TN', 10, 128, 64, 'dW layer 2');
benchMatmul('TN', 256, 256, 256, 'square');
benchMatmul('NN', 64, 128, 10, 'dx layer 2');
benchMatmul('NN', 256, 256, 256, 'square');
benchTraining();
