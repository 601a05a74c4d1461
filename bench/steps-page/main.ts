/**
 * The step-rate race in a page: the same contenders as in Node, with the page's WebGPU. bench/steps-browser.ts opens
 * it as ?race=<JSON of StepsArgs>; the page logs progress to the console and leaves its result on window.stepsRace.
 */
import { embeddedShaderLoader } from '../../src/gpu/shaders-embedded.js';
import { CpuBackend, createWebGpuBackend, WasmBackend } from '../../src/lower.js';
import { jaxContender } from '../peers/jax.js';
import {
  backendContender,
  type ContenderFactory,
  chooseContenders,
  chooseWorkloads,
  DEFAULT_CONTENDERS,
  runStepRace,
} from '../steps.js';
import type { PageRace, PageRaceResult } from './protocol.js';

async function adapterName(): Promise<string> {
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
  const info = adapter?.info;
  return info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') : 'no adapter';
}

/** Everything that races in a page, by name, as in Node (bench/steps-node.ts). */
const PAGE_CONTENDERS: Record<string, ContenderFactory> = {
  cpu: backendContender(async () => new CpuBackend()),
  wasm: backendContender(() => WasmBackend.create()),
  'wasm-1': backendContender(() => WasmBackend.create({ threads: 1 })),
  webgpu: backendContender(() => createWebGpuBackend(embeddedShaderLoader)),
  'webgpu-micro': backendContender(() => createWebGpuBackend(embeddedShaderLoader, { matmul: { tile: 'micro' } })),
  'jax-wasm': jaxContender('wasm'),
  'jax-webgpu': jaxContender('webgpu', adapterName),
};

const log = document.getElementById('log')!;
const say = (line: string) => {
  log.textContent += `${line}\n`;
  console.log(`steps: ${line}`);
};
const holder = window as unknown as { stepsRace?: PageRaceResult };

async function race(): Promise<PageRaceResult> {
  const args = JSON.parse(new URLSearchParams(location.search).get('race') ?? 'null') as PageRace | null;
  if (!args) throw new Error('open this page with ?race={"steps":["A"],...}');
  const workloads = await runStepRace({
    workloads: chooseWorkloads(args.steps),
    contenders: chooseContenders(args.contenders ?? DEFAULT_CONTENDERS, PAGE_CONTENDERS),
    rounds: args.rounds,
    roundMs: args.roundMs,
    say,
  });
  return { ok: true, where: navigator.userAgent, crossOriginIsolated: globalThis.crossOriginIsolated, workloads };
}

race().then(
  (result) => {
    holder.stepsRace = result;
  },
  (error: unknown) => {
    holder.stepsRace = { ok: false, error: (error as Error).stack ?? String(error) };
  },
);
