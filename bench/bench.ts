/**
 * CPU vs GPU benchmark: a no-op dispatch baseline, the matmul family at several sizes, and whole training epochs of
 * workloads A-D on synthetic data of MNIST's shape, with the counts that predict speed; optionally PyTorch on the
 * same workloads in the same run. A table on stdout, JSON with --json, an SVG chart with --plot.
 *
 *   npm run bench -- --quick                     # small sizes, under a minute, SwiftShader too
 *   node dist/bench/bench.js --peer torch --json bench.json --plot bench.svg   # the whole table (after npm run build)
 *   node dist/bench/bench.js --models 1,4,16,64 --peer torch   # K models trained together against one by one
 *
 * Progress goes to stderr; the table to stdout. The tests call runBench in-process, on their shared device.
 */
import { realpathSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { defaultMatmulChoice } from '../src/gpu/backend.js';
import type { Gpu } from '../src/gpu/device.js';
import { Resources } from '../src/gpu/record.js';
import { type Backend, CpuBackend, createWebGpuBackend } from '../src/lower.js';
import { nodeShaderLoader, OPTIMIZERS, type OptimizerName, requestGpu } from '../src/node.js';
import { GpuTimer, type MatmulResult, matmulForms, measureMatmul, measureNoop } from './gpu-timing.js';
import { MODELS_WORKLOADS, measureModels, QUICK_MODELS_WORKLOADS, sweepRates } from './models.js';
import { formatModelsTable, type ModelsBenchResult, type ModelsWorkloadResult } from './models-report.js';
import { runTorchModelsPeer, runTorchPeer } from './peer.js';
import { type BenchResult, formatSvg, formatTable, type SweepResult, type WorkloadResult } from './report.js';
import { formatStepsTable, type StepsResult } from './steps.js';
import { runBrowserSteps } from './steps-browser.js';
import { runStepsBench, type StepsArgs } from './steps-node.js';
import {
  floors,
  measureCpuEpoch,
  measureGpuEpochs,
  QUICK_WORKLOADS,
  REFERENCE_MS,
  stepsPerEpoch,
  WORKLOADS,
  type Workload,
} from './workloads.js';

/**
 * The Dawn toggles that skip safety work (bounds checks, validation, zeroing workgroup memory) and so may be faster;
 * any other Dawn toggle name is passed on as given.
 */
export const DAWN_FEATURES = ['disable_robustness', 'skip_validation', 'disable_workgroup_init'];

const USAGE = `usage: bench [--quick] [--json FILE] [--plot FILE] [--peer torch] [--dawn FEATURES] [--dawn-sweep]
             [--workloads A,B,C,D] [--matmul 1024,2048,4096] [--epochs N] [--optimizer NAME] [--no-cpu] [--no-timestamps]
             [--no-prerecord]
       bench --models 1,4,16,64 [--quick] [--workloads A,table] [--rows N] [--epochs N] [--no-cpu | --no-gpu]
             [--peer torch] [--json FILE]
       bench --steps A,C [--contenders cpu,wasm,webgpu,jax-wasm,jax-webgpu] [--rounds N] [--round-ms MS] [--browser]
             [--json FILE]
  --quick          small sizes (scaled workloads, a 128^3 matmul): under a minute, on SwiftShader too
  --json FILE      write every figure as JSON
  --plot FILE      write an SVG chart
  --peer torch     run bench/peers/torch_mlp.py with python3 on the same workloads (CUDA, fp32, TF32 off)
  --dawn LIST      Dawn features to enable, comma-separated (${DAWN_FEATURES.join(', ')}); default none
  --dawn-sweep     also time A, B, C and the largest matmul with each of those features alone and all together
  --optimizer NAME train the workloads with ${OPTIMIZERS.join(', ')} (default sgd, as the H100 reference figures), at lr 0.01;
                   PyTorch's peer uses the same optimiser
  --no-timestamps  time on the wall clock even where the device has timestamp-query
  --no-prerecord   record each chunk when it is asked for, not while the GPU runs the one before (to measure that)
  --models LIST    only this: K models (Adam, a learning rate and seed each) trained together against one after
                   another, a whole epoch of workload A's network and of a 13-16-3 table net, for each K listed;
                   --epochs sets the timed samples per contender (default 5, 3 with --quick), --rows the training rows
                   (default 60000 for A, 256 with --quick; 300 for the table net), --no-gpu leaves out WebGPU,
                   --peer torch runs bench/peers/torch_models.py
  --steps LIST     only this: training steps per second of our backends and jax-js on workloads A (784-128-10,
                   batch 64), C (784-1024-1024-10, batch 1024) or T (tiny), SGD at lr 0.1 on synthetic floats; per
                   contender a warm-up, then --rounds rounds (default 5) of ~--round-ms (default 500) each, the
                   contenders interleaved; --contenders picks them (default cpu, wasm, webgpu, jax-wasm, jax-webgpu;
                   also wasm-1: the wasm backend on one thread, and webgpu-micro: ours with every matmul on the micro
                   tile);
                   --browser runs the race in a page in headless Chromium (WebGPU on SwiftShader), served
                   cross-origin isolated. Without a GPU, set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json`;

/** The command line's flags, parsed. */
export interface BenchOptions {
  quick: boolean;
  json?: string;
  plot?: string;
  peer?: 'torch';
  dawn: string[];
  sweep: boolean;
  workloads?: string[];
  matmul?: number[];
  epochs?: number;
  optimizer: OptimizerName;
  cpu: boolean;
  timestamps: boolean;
  prerecord: boolean;
  /** --models: the K to time, in the many-models mode. */
  models?: number[];
  /** --rows: the training rows of the --models workloads. */
  rows?: number;
  gpu: boolean;
  /** --steps: the workloads of the step-rate race, and its settings. */
  steps?: StepsArgs;
  /** --browser: the step-rate race in headless Chromium. */
  browser: boolean;
}

/** The flags as `npm run bench -- ...` takes them; null for --help. Throws on a bad flag, with the usage. */
export function parseBenchArgs(argv: string[]): BenchOptions | null {
  const args: BenchOptions = {
    quick: false,
    dawn: [],
    sweep: false,
    optimizer: 'sgd',
    cpu: true,
    timestamps: true,
    prerecord: true,
    gpu: true,
    browser: false,
  };
  const race: Omit<StepsArgs, 'steps'> = {};
  let optimizerGiven = false;
  const value = (i: number) => {
    if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value\n${USAGE}`);
    return argv[i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--quick') args.quick = true;
    else if (flag === '--json') args.json = value(i++);
    else if (flag === '--plot') args.plot = value(i++);
    else if (flag === '--peer') {
      if (value(i) !== 'torch') throw new Error(`--peer: only "torch" is known, got ${value(i)}`);
      args.peer = 'torch';
      i++;
    } else if (flag === '--dawn') args.dawn = value(i++).split(',').filter(Boolean);
    else if (flag === '--dawn-sweep') args.sweep = true;
    else if (flag === '--workloads') args.workloads = value(i++).split(',');
    else if (flag === '--matmul') args.matmul = value(i++).split(',').map(Number);
    else if (flag === '--epochs') args.epochs = Number(value(i++));
    else if (flag === '--optimizer') {
      const name = value(i++);
      if (!(OPTIMIZERS as readonly string[]).includes(name))
        throw new Error(`--optimizer: one of ${OPTIMIZERS.join(', ')}, got ${name}`);
      args.optimizer = name as OptimizerName;
      optimizerGiven = true;
    } else if (flag === '--no-cpu') args.cpu = false;
    else if (flag === '--no-timestamps') args.timestamps = false;
    else if (flag === '--no-prerecord') args.prerecord = false;
    else if (flag === '--models') args.models = value(i++).split(',').map(Number);
    else if (flag === '--no-gpu') args.gpu = false;
    else if (flag === '--rows') args.rows = Number(value(i++));
    else if (flag === '--steps') args.steps = { steps: value(i++).split(',') };
    else if (flag === '--contenders') race.contenders = value(i++).split(',');
    else if (flag === '--rounds') race.rounds = Number(value(i++));
    else if (flag === '--round-ms') race.roundMs = Number(value(i++));
    else if (flag === '--browser') args.browser = true;
    else if (flag === '--help' || flag === '-h') return null;
    else throw new Error(`unknown flag ${flag}\n${USAGE}`);
  }
  if (args.matmul?.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--matmul takes sizes like 1024,4096');
  if (args.epochs !== undefined && !(Number.isInteger(args.epochs) && args.epochs >= 1))
    throw new Error('--epochs takes a positive integer');
  if (args.models?.some((k) => !Number.isInteger(k) || k < 1)) throw new Error('--models takes counts like 1,4,16,64');
  if (args.rows !== undefined && !(Number.isInteger(args.rows) && args.rows >= 1))
    throw new Error('--rows takes a positive integer');
  if (!args.models && args.rows !== undefined) throw new Error('--rows: only with --models');
  if (!args.models && !args.gpu) throw new Error('--no-gpu: only with --models (the other modes time the GPU)');
  if (args.models && optimizerGiven) throw new Error('--optimizer: --models trains with Adam, as a sweep does');
  if (args.models && !args.gpu && !args.cpu) throw new Error('--models with --no-cpu and --no-gpu: nothing to time');
  if (args.steps) {
    Object.assign(args.steps, race);
    if (race.rounds !== undefined && !(Number.isInteger(race.rounds) && race.rounds >= 1))
      throw new Error('--rounds takes a positive integer');
    if (race.roundMs !== undefined && !(race.roundMs > 0)) throw new Error('--round-ms takes a positive number');
    if (args.models || args.quick || args.plot || args.peer || args.workloads || args.matmul || args.epochs)
      throw new Error('--steps: only with --contenders, --rounds, --round-ms, --browser and --json');
  } else if (Object.keys(race).length > 0 || args.browser) {
    throw new Error('--contenders, --rounds, --round-ms and --browser: only with --steps');
  }
  if (args.models && (args.plot || args.matmul || args.sweep))
    throw new Error('--models: no --plot, --matmul or --dawn-sweep (it times models, not kernels)');
  return args;
}

/** Progress lines, on stderr by default. */
export type Log = (line: string) => void;
const toStderr: Log = (line) => process.stderr.write(`${line}\n`);

function dawnOptions(features: string[], timestamps: boolean): string[] {
  const options: string[] = [];
  if (features.length > 0) options.push(`enable-dawn-features=${features.join(',')}`);
  // Dawn rounds timestamps to about 65 us unless this toggle is off: too coarse for one dispatch.
  if (timestamps) options.push('disable-dawn-features=timestamp_quantization');
  return options;
}

/** Everything measured on one device (one set of Dawn options). */
async function measureDevice(
  say: Log,
  args: BenchOptions,
  features: string[],
  plan: { workloads: Workload[]; sizes: number[]; allTiles: boolean; cpu: boolean; noop: boolean },
) {
  const options = dawnOptions(features, args.timestamps);
  const gpu = await requestGpu({ dawnOptions: options, features: ['timestamp-query'] });
  const backend = await createWebGpuBackend(nodeShaderLoader, { gpu, prerecord: args.prerecord });
  const res = new Resources(gpu);
  const timer = new GpuTimer(gpu, res, args.timestamps);
  try {
    const samples = args.quick ? 3 : 7;
    let noop = null;
    if (plan.noop) {
      say('no-op dispatches ...');
      noop = await measureNoop(gpu, backend.kernels, timer, args.quick ? 200 : 10_000, samples);
    }
    const matmul: MatmulResult[] = [];
    for (const size of plan.sizes) {
      for (const form of matmulForms) {
        say(`matmul ${form} ${size}^3 ...`);
        matmul.push(
          ...(await measureMatmul(
            gpu,
            backend.kernels,
            timer,
            form,
            { m: size, n: size, k: size },
            {
              choice: defaultMatmulChoice(gpu),
              allTiles: plan.allTiles,
              samples,
              targetMs: args.quick ? 2 : 50,
              seed: size,
            },
          )),
        );
      }
    }
    const workloads: WorkloadResult[] = [];
    for (const w of plan.workloads) {
      say(`workload ${w.name} (${w.layers.join('-')}, batch ${w.batch}): GPU ...`);
      const gpuEpoch = await measureGpuEpochs(backend, w, args.epochs ?? (args.quick ? 2 : 5), 17, args.optimizer);
      let cpu = null;
      if (plan.cpu) {
        say(`workload ${w.name}: CPU ...`);
        cpu = await measureCpuEpoch(w, args.quick ? 300 : 2000, 17, args.optimizer);
      }
      workloads.push({
        name: w.name,
        layers: w.layers,
        batch: w.batch,
        trainSamples: w.trainSamples,
        testSamples: w.testSamples,
        steps: stepsPerEpoch(w),
        scaled: w.scaled,
        gpu: gpuEpoch,
        cpu,
        gpuSpeedupOverCpu: cpu ? cpu.epochMs / gpuEpoch.epochMs : null,
        floors: floors(w, gpuEpoch.counts.dispatchesPerStep, gpuEpoch.counts.submits),
        reference: w.scaled ? null : (REFERENCE_MS[w.name] ?? null),
        peer: null,
      });
    }
    const adapter = gpu.adapter;
    const device = { ...adapter, description: gpu.description, features: [...gpu.device.features].sort() };
    return { options, timing: timer.source, noop, matmul, workloads, device };
  } finally {
    timer.destroy();
    res.destroy();
    backend.dispose();
    gpu.destroy();
  }
}

/**
 * Measures everything the options ask for, on a device opened with their Dawn settings (where navigator.gpu exists, as
 * in the tests, on the device it hands out). `command` is recorded in the result; progress goes to `say`.
 */
export async function runBench(args: BenchOptions, command: string, say: Log = toStderr): Promise<BenchResult> {
  const all = args.quick ? QUICK_WORKLOADS : WORKLOADS;
  const chosen = args.workloads ? all.filter((w) => args.workloads!.includes(w.name)) : all;
  if (args.workloads && chosen.length !== args.workloads.length)
    throw new Error(`--workloads: choose from ${all.map((w) => w.name).join(',')}`);
  const sizes = args.matmul ?? (args.quick ? [128] : [1024, 2048, 4096]);

  const main = await measureDevice(say, args, args.dawn, {
    workloads: chosen,
    sizes,
    allTiles: !args.quick,
    cpu: args.cpu,
    noop: true,
  });

  let peer = null;
  if (args.peer === 'torch') {
    say('peer: PyTorch ...');
    peer = runTorchPeer(chosen, sizes, args.epochs ?? (args.quick ? 2 : 5), args.optimizer);
    if (peer.available) {
      for (const w of main.workloads) {
        const p = peer.workloads.find((x) => x.name === w.name);
        if (p) w.peer = { epochMs: p.epochMs, oursOverPeer: w.gpu.epochMs / p.epochMs };
      }
    }
  }

  let dawnSweep: SweepResult[] | null = null;
  if (args.sweep) {
    dawnSweep = [];
    const sweepLoads = chosen.filter((w) => ['A', 'B', 'C'].includes(w.name));
    const largest = Math.max(...sizes);
    for (const features of [[], ...DAWN_FEATURES.map((f) => [f]), DAWN_FEATURES]) {
      say(`Dawn features: ${features.join(',') || 'none'} ...`);
      const run = await measureDevice(say, { ...args, epochs: args.epochs ?? 3 }, features, {
        workloads: sweepLoads,
        sizes: [largest],
        allTiles: false,
        cpu: false,
        noop: false,
      });
      const nt = run.matmul.find((m) => m.form === 'nt');
      dawnSweep.push({
        dawnFeatures: features,
        workloads: run.workloads.map((w) => ({ name: w.name, epochMs: w.gpu.epochMs })),
        matmul: nt ? { form: 'nt', size: largest, tflops: nt.tflops } : null,
      });
    }
  }

  const result: BenchResult = {
    version: 1,
    date: new Date().toISOString(),
    command,
    quick: args.quick,
    node: process.versions.node,
    device: main.device,
    dawnOptions: main.options,
    optimizer: args.optimizer,
    prerecord: args.prerecord,
    timing: main.timing,
    noop: main.noop!,
    matmul: main.matmul,
    workloads: main.workloads,
    peer,
    dawnSweep,
  };
  return result;
}

/**
 * The --models mode: for each backend (the CPU reference, WebGPU), workload and K, an epoch of K models trained
 * together against one after another, in this process; PyTorch's figures beside them with --peer torch.
 */
export async function runModelsBench(
  args: BenchOptions,
  command: string,
  say: Log = toStderr,
): Promise<ModelsBenchResult> {
  const ks = args.models ?? [];
  const all = args.quick ? QUICK_MODELS_WORKLOADS : MODELS_WORKLOADS;
  const named = args.workloads ? all.filter((w) => args.workloads!.includes(w.name)) : all;
  if (args.workloads && named.length !== args.workloads.length)
    throw new Error(`--workloads: with --models, choose from ${all.map((w) => w.name).join(',')}`);
  const fullRows = (name: string) => MODELS_WORKLOADS.find((w) => w.name === name)?.rows;
  const chosen = named.map((w) => (args.rows ? { ...w, rows: args.rows, scaled: args.rows !== fullRows(w.name) } : w));
  const short = chosen.find((w) => w.rows < w.batch);
  if (short)
    throw new Error(`--rows ${args.rows}: workload ${short.name} needs ${short.batch} rows at least (a batch)`);
  const repetitions = args.epochs ?? (args.quick ? 3 : 5);
  const timing = args.quick ? { warmUpMs: 100, sampleMs: 20 } : { warmUpMs: 1000, sampleMs: 200 };
  const options = dawnOptions(args.dawn, false);
  const backends: { name: 'cpu' | 'webgpu'; open: () => Promise<Backend>; close: () => void }[] = [];
  const opened: { gpu?: Gpu } = {};
  if (args.cpu) backends.push({ name: 'cpu', open: async () => new CpuBackend(), close: () => {} });
  if (args.gpu) {
    backends.push({
      name: 'webgpu',
      open: async () => {
        const gpu = await requestGpu({ dawnOptions: options });
        opened.gpu = gpu;
        return createWebGpuBackend(nodeShaderLoader, { gpu, prerecord: args.prerecord });
      },
      close: () => opened.gpu?.destroy(),
    });
  }
  const workloads: ModelsWorkloadResult[] = [];
  let adapter: ModelsBenchResult['gpu'] = null;
  for (const b of backends) {
    const backend = await b.open();
    try {
      if (b.name === 'webgpu' && opened.gpu) adapter = { ...opened.gpu.adapter, description: opened.gpu.description };
      for (const w of chosen) {
        const result: ModelsWorkloadResult = { ...w, backend: b.name, device: backend.device, measurements: [] };
        for (const k of ks) {
          say(`models: ${w.name} (${w.layers.join('-')}, batch ${w.batch}), K = ${k}, ${b.name} ...`);
          result.measurements.push(await measureModels(backend, w, k, repetitions, 17, timing));
        }
        workloads.push(result);
      }
    } finally {
      backend.dispose();
      b.close();
    }
  }
  let peer = null;
  if (args.peer === 'torch') {
    say('peer: PyTorch ...');
    const rates = Object.fromEntries(ks.map((k) => [k, sweepRates(k)]));
    peer = runTorchModelsPeer(chosen, ks, rates, repetitions);
  }
  return {
    version: 1,
    mode: 'models',
    date: new Date().toISOString(),
    command,
    quick: args.quick,
    node: process.versions.node,
    gpu: adapter,
    dawnOptions: args.gpu ? options : [],
    optimizer: 'adam',
    ks,
    repetitions,
    workloads,
    peer,
  };
}

/** The --models mode's table through `print`, its JSON to --json. */
export function reportModelsBench(result: ModelsBenchResult, args: BenchOptions, print: Log = console.log): void {
  print(formatModelsTable(result));
  if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
}

/** What the command line makes of a result: the table through `print`, JSON to --json, the chart to --plot. */
export function reportBench(result: BenchResult, args: BenchOptions, print: Log = console.log): void {
  print(formatTable(result));
  if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
  if (args.plot) writeFileSync(args.plot, formatSvg(result));
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (!args) {
    console.log(USAGE);
    return;
  }
  const command = process.argv.slice(1).join(' ');
  if (args.steps) {
    const run = args.browser ? runBrowserSteps : runStepsBench;
    const result: StepsResult = await run(args.steps, command, toStderr);
    console.log(formatStepsTable(result));
    if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
  } else if (args.models) reportModelsBench(await runModelsBench(args, command), args);
  else reportBench(await runBench(args, command), args);
}

// Run as a program (node dist/bench/bench.js, tsx bench/bench.ts), not when a test imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main().then(
    () => process.exit(0), // a Dawn instance can keep Node's event loop alive after the device is destroyed
    (error: unknown) => {
      process.stderr.write(`bench: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
