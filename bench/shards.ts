/**
 * What storing a training set in shards costs: one epoch of a synthetic float table (labels 0/1) on the WebGPU
 * backend, its set in one buffer against shards of --shard-mib MiB (the backend's dataShardBytes), the two sessions
 * alive together and their epochs interleaved chunk by chunk. Prints rows/s of each epoch, the medians, and the
 * median ratio of paired chunks. On SwiftShader:
 *
 *   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node --import tsx bench/shards.ts
 *
 * Options (defaults): --rows 2000000 --features 28 --hidden 64 --batch 512 --shard-mib 64 --rounds 3 --chunk 100
 * --warm 200 (steps of each session before the timed epochs: pipelines, first submits)
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
for (const [name, dataShardBytes] of [
  ['unsharded', undefined],
  ['sharded', shardBytes],
] as const) {
  const backend = await createWebGpuBackend(nodeShaderLoader, { gpu, dataShardBytes });
  sessions[name] = await backend.createSession(options);
}
const shards = Math.ceil((rows * features * 4) / shardBytes);
console.log(
  `${rows} rows x ${features} features (${((rows * features * 4) / 2 ** 20).toFixed(0)} MiB), layers ` +
    `${spec.layers.join('-')}, batch ${batch}; sharded: about ${shards} shards of ${values['shard-mib']} MiB; ` +
    `dispatches a step: unsharded ${sessions.unsharded.dispatchesPerStep}, ` +
    `sharded ${sessions.sharded.dispatchesPerStep}`,
);

const steps = Math.floor(rows / batch);
const order = new Rng(3).shuffle(Uint32Array.from({ length: rows }, (_, i) => i));
const names = ['unsharded', 'sharded'] as const;

/**
 * One epoch of each session, in chunks as the trainer runs them, the two sessions' chunks interleaved (alternating
 * which goes first), so that a change in the machine's load falls on both alike: each session's rows/s over its
 * epoch, and the time of each of its chunks.
 */
async function epochs(count: number): Promise<{ rates: number[]; chunkMs: number[][] }> {
  const totals = [0, 0];
  const chunkMs: number[][] = [[], []];
  for (const name of names) sessions[name].setEpochOrder(order);
  for (let first = 0, c = 0; first < count; first += chunk, c++) {
    const n = Math.min(chunk, count - first);
    for (const i of c % 2 ? [1, 0] : [0, 1]) {
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
const rates: number[][] = [[], []];
const ratios: number[] = [];
for (let round = 0; round < rounds; round++) {
  const { rates: epochRates, chunkMs } = await epochs(steps);
  epochRates.forEach((rate, i) => rates[i].push(rate));
  // Each chunk of the sharded session against the same chunk of the unsharded one, run beside it.
  ratios.push(...chunkMs[1].map((ms, c) => ms / chunkMs[0][c]));
  const text = names.map((name, i) => `${name} ${epochRates[i].toFixed(0)} rows/s`).join(', ');
  console.log(`epoch ${round + 1}: ${text}`);
}
names.forEach((name, i) => {
  console.log(`${name}: median ${median(rates[i]).toFixed(0)} rows/s over ${rounds} epochs`);
});
console.log(`sharded / unsharded rows/s (medians): ${(median(rates[1]) / median(rates[0])).toFixed(3)}`);
console.log(`sharded / unsharded chunk time, median of ${ratios.length} paired chunks: ${median(ratios).toFixed(3)}`);
for (const session of Object.values(sessions)) session.dispose();
gpu.destroy();
