/**
 * What each dispatch of a K-model training step costs on this device: the bench's table net (13-16-3, batch 16,
 * Adam, `bench --models`' settings) in one WebGpuModels session, each dispatch of its step recorded `--repeat` times in
 * one compute pass, then the whole step the same way; the median of 7 submits, per dispatch. The main thread sleeps
 * through 0.6 of the previous time before waiting, so that Dawn's polling leaves a software adapter both cores.
 *
 *   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx tsx bench/step-dispatches.ts [--models 16]
 *     [--repeat 50]
 *
 * It reads the session's step (its private dispatch list), as a profiler would: a tool for bench/NOTES.md, not an API.
 */
import { parseArgs } from 'node:util';
import { createWebGpuBackend } from '../src/gpu/backend.js';
import { uniformStride } from '../src/gpu/plan.js';
import { type Dispatch, emptyStats, record } from '../src/gpu/record.js';
import { nodeShaderLoader } from '../src/gpu/shaders-node.js';
import { median } from './gpu-timing.js';
import { MODELS_WORKLOADS, modelsOptions } from './models.js';

const { values } = parseArgs({ options: { models: { type: 'string' }, repeat: { type: 'string' } } });
const models = Number(values.models ?? 16);
const repeat = Number(values.repeat ?? 50);

const backend = await createWebGpuBackend(nodeShaderLoader);
const session = await backend.createModels(modelsOptions(MODELS_WORKLOADS[1], models, 1));
const { step } = (session as unknown as { parts: { step: Dispatch[] } }).parts;
const { device } = backend.gpu;
const stride = uniformStride(device);
const stats = emptyStats();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds of `repeat` recordings of `list` in one pass, submit to onSubmittedWorkDone. */
async function time(list: Dispatch[], previous: number): Promise<number> {
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  for (let r = 0; r < repeat; r++) record(pass, list, 0, stride, stats);
  pass.end();
  const start = performance.now();
  device.queue.submit([encoder.finish()]);
  await sleep(0.6 * previous);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - start;
}

const lists = [...step.map((dispatch) => [dispatch]), step];
const names = [...step.map((d) => `${d.pipeline.label} (${d.groups.join(' x ')})`), 'step'];
const times = lists.map(() => [0]);
for (let sample = 0; sample < 9; sample++) {
  for (const [i, list] of lists.entries()) times[i].push(await time(list, times[i][times[i].length - 1]));
}
console.log(`${backend.gpu.adapter.description}, ${models} models, us per dispatch (median of 7):`);
for (const [i, name] of names.entries()) {
  console.log(`  ${name.padEnd(44)} ${((median(times[i].slice(3)) * 1000) / repeat).toFixed(0).padStart(6)}`);
}
session.dispose();
backend.dispose();
