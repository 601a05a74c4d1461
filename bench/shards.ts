/**
 * What a training set too large for one binding, or for the device, costs: one epoch of a synthetic float table
 * (labels 0/1) on the WebGPU backend, its set in one buffer, in shards of --shard-mib MiB (the backend's
 * dataShardBytes), and streamed through a window of --stream-mib MiB (gpuDataBytes), the three sessions alive
 * together and their epochs interleaved chunk by chunk. Prints rows/s of each epoch, the medians, and the median
 * ratio of paired chunks against the set in one buffer. On SwiftShader:
 *
 *   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node --import tsx bench/shards.ts
 *
 * Options (defaults): --rows 2000000 --features 28 --hidden 64 --batch 512 --shard-mib 64 --stream-mib 64
 * --rounds 3 --chunk 100 --warm 200 (steps of each session before the timed epochs: pipelines, first submits)
 */
import { parseArgs } from 'node:util';
import type { WebGpuSession } from '../src/gpu/single-session.js';
import { createWebGpuBackend, type Dataset, initParams, makeSpec, paramTable } from '../src/lower.js';
import { Rng } from '../src/model/rng.js';
import { nodeShaderLoader, requestGpu } from '../src/node.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '2000000' },
    features: { type: 'string', default: '28' },
    hidden: { type: 'string', default: '64' },
    batch: { type: 'string', default: '512' },
    'shard-mib': { type: 'string', default: '64' },
    'stream-mib': { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    chunk: { type: 'string', default: '100' },
    warm: { type: 'string', default: '200' },
  },
});
const rows = Number(values.rows);
const features = Number(values.features);
const hidden = values.hidden.split(',').map(Number);
const batch = Number(values.batch);
const shardBytes = Number(values['shard-mib']) * 2 ** 20;
const streamBytes = Number(values['stream-mib']) * 2 ** 20;
const rounds = Number(values.rounds);
const chunk = Number(values.chunk);

/** Inputs in [-2, 2); the label is the sign of a fixed random combination of them (a learnable task). */
function syntheticTable(count: number, width: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const weights = Float64Array.from({ length: width }, () => rng.uniform(-1, 1));
  const inputs = new Float32Array(count * width);
  const labels = new Uint32Array(count);
  for (let r = 0; r < count; r++) {
    let sum = 0;
    for (let f = 0; f < width; f++) {
      const v = rng.uniform(-2, 2);
      inputs[r * width + f] = v;
      sum += v * weights[f];
    }
    labels[r] = sum > 0 ? 1 : 0;
  }
  return { inputs, labels, count, features: width };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const gpu = await requestGpu();
console.log(`adapter: ${gpu.description}`);
console.log(`binding limit ${(gpu.device.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB`);
const train = syntheticTable(rows, features, 1);
const spec = makeSpec([features, ...hidden, 2]);
const options = { spec, params: initParams(paramTable(spec), 7), batch, learningRate: 0.01, train };
const sessions: Record<string, WebGpuSession> = {};
const names = ['unsharded', 'sharded', 'streamed'] as const;
const limits = [{}, { dataShardBytes: shardBytes }, { gpuDataBytes: streamBytes }];
for (const [i, name] of names.entries()) {
  const backend = await createWebGpuBackend(nodeShaderLoader, { gpu, ...limits[i] });
  sessions[name] = await backend.createSession(options);
}
const shards = Math.ceil((rows * features * 4) / shardBytes);
console.log(
  `${rows} rows x ${features} features (${((rows * features * 4) / 2 ** 20).toFixed(0)} MiB), layers ` +
    `${spec.layers.join('-')}, batch ${batch}; sharded: about ${shards} shards of ${values['shard-mib']} MiB; ` +
    `streamed: a window of ${values['stream-mib']} MiB; dispatches a step: ` +
    names.map((name) => `${name} ${sessions[name].dispatchesPerStep}`).join(', '),
);

const steps = Math.floor(rows / batch);
const order = new Rng(3).shuffle(Uint32Array.from({ length: rows }, (_, i) => i));

/**
 * One epoch of each session, in chunks as the trainer runs them, the sessions' chunks interleaved (rotating which
 * goes first), so that a change in the machine's load falls on all alike: each session's rows/s over its epoch, and
 * the time of each of its chunks.
 */
async function epochs(count: number): Promise<{ rates: number[]; chunkMs: number[][] }> {
  const totals = names.map(() => 0);
  const chunkMs: number[][] = names.map(() => []);
  for (const name of names) sessions[name].setEpochOrder(order);
  for (let first = 0, c = 0; first < count; first += chunk, c++) {
    const n = Math.min(chunk, count - first);
    for (const i of names.map((_, j) => (j + c) % names.length)) {
      const start = performance.now();
      await sessions[names[i]].trainSteps(first, n);
      const ms = performance.now() - start;
      totals[i] += ms;
      chunkMs[i].push(ms);
    }
  }
  return { rates: totals.map((ms) => (count * batch) / (ms / 1000)), chunkMs };
}

await epochs(Math.min(steps, Number(values.warm))); // pipelines, first submits
const rates: number[][] = names.map(() => []);
const ratios: number[][] = names.map(() => []);
for (let round = 0; round < rounds; round++) {
  const { rates: epochRates, chunkMs } = await epochs(steps);
  epochRates.forEach((rate, i) => rates[i].push(rate));
  // Each chunk of a session against the same chunk of the unsharded one, run beside it.
  chunkMs.forEach((times, i) => ratios[i].push(...times.map((ms, c) => ms / chunkMs[0][c])));
  const text = names.map((name, i) => `${name} ${epochRates[i].toFixed(0)} rows/s`).join(', ');
  console.log(`epoch ${round + 1}: ${text}`);
}
names.forEach((name, i) => {
  console.log(`${name}: median ${median(rates[i]).toFixed(0)} rows/s over ${rounds} epochs`);
});
for (const i of [1, 2]) {
  const name = names[i];
  console.log(`${name} / unsharded rows/s (medians): ${(median(rates[i]) / median(rates[0])).toFixed(3)}`);
  const paired = `median of ${ratios[i].length} paired chunks`;
  console.log(`${name} / unsharded chunk time, ${paired}: ${median(ratios[i]).toFixed(3)}`);
}
for (const session of Object.values(sessions)) session.dispose();
gpu.destroy();
