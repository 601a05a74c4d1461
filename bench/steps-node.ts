/**
 * The step-rate race in Node (`npm run bench -- --steps A,C`): our backends and jax-js's devices, interleaved. jax-js
 * finds WebGPU through navigator.gpu, which Node lacks: its contender puts Dawn (the `webgpu` package) there.
 */
import { CpuBackend, createWebGpuBackend, WasmBackend } from '../src/lower.js';
import { createDawn, nodeShaderLoader } from '../src/node.js';
import { jaxContender } from './peers/jax.js';
import {
  backendContender,
  type ContenderFactory,
  chooseContenders,
  chooseWorkloads,
  DEFAULT_CONTENDERS,
  runStepRace,
  STEP_LEARNING_RATE,
  type StepsResult,
} from './steps.js';

/** Makes Dawn navigator.gpu (once), as a browser has it, and names its adapter. */
async function dawnNavigator(): Promise<string> {
  const holder = globalThis as { navigator?: { gpu?: GPU; userAgent?: string } };
  if (!holder.navigator?.gpu) {
    const gpu = await createDawn([]);
    // jax-js reads navigator.userAgent to tune its kernels; Node 20 has no navigator at all.
    const navigator = { ...(holder.navigator ?? {}), gpu, userAgent: holder.navigator?.userAgent ?? 'Node.js' };
    Object.defineProperty(globalThis, 'navigator', { value: navigator, configurable: true, writable: true });
  }
  const adapter = await holder.navigator!.gpu!.requestAdapter({ powerPreference: 'high-performance' });
  const info = adapter?.info;
  return info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') : 'no adapter';
}

/**
 * Everything that races in Node, by name. A backend of ours is one line: a factory returning a Backend. webgpu-micro
 * (ours with every matmul on the micro tile) is a diagnostic one, raced only when named.
 */
export const NODE_CONTENDERS: Record<string, ContenderFactory> = {
  cpu: backendContender(async () => new CpuBackend()),
  wasm: backendContender(() => WasmBackend.create()),
  'wasm-1': backendContender(() => WasmBackend.create({ threads: 1 })),
  webgpu: backendContender(() => createWebGpuBackend(nodeShaderLoader)),
  'webgpu-micro': backendContender(() => createWebGpuBackend(nodeShaderLoader, { matmul: { tile: 'micro' } })),
  'jax-wasm': jaxContender('wasm'),
  'jax-webgpu': jaxContender('webgpu', dawnNavigator),
};

export interface StepsArgs {
  steps: string[];
  contenders?: string[];
  rounds?: number;
  roundMs?: number;
  /** The fewest steps a round times (tests). */
  minSteps?: number;
}

export const DEFAULT_ROUNDS = 5;
export const DEFAULT_ROUND_MS = 500;

/** The race in this process. */
export async function runStepsBench(
  args: StepsArgs,
  command: string,
  say: (line: string) => void,
  available: Record<string, ContenderFactory> = NODE_CONTENDERS,
): Promise<StepsResult> {
  const workloads = chooseWorkloads(args.steps);
  const contenders = chooseContenders(args.contenders ?? DEFAULT_CONTENDERS, available);
  const rounds = args.rounds ?? DEFAULT_ROUNDS;
  const roundMs = args.roundMs ?? DEFAULT_ROUND_MS;
  const results = await runStepRace({ workloads, contenders, rounds, roundMs, minSteps: args.minSteps, say });
  return {
    version: 1,
    mode: 'steps',
    date: new Date().toISOString(),
    command,
    where: `node ${process.versions.node}`,
    crossOriginIsolated: null,
    rounds,
    roundMs,
    learningRate: STEP_LEARNING_RATE,
    workloads: results,
  };
}
