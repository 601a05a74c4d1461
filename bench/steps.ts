/**
 * The step-rate race: training steps per second of several contenders (our backends, peers such as jax-js) on the
 * same workloads, interleaved round by round in one process, so that a machine's changing load falls on all alike.
 * Nothing here needs Node: the page of bench/steps-page runs the same race in a browser.
 */
import { type Backend, type Dataset, initParams, makeSpec, paramTable } from '../src/lower.js';
import { Rng } from '../src/model/rng.js';

/** A training workload of MNIST's shape: plain SGD, softmax cross-entropy, ReLU hidden layers. */
export interface StepWorkload {
  name: string;
  layers: number[];
  batch: number;
  /** Distinct batches in the synthetic set; the steps cycle through them. */
  batches: number;
}

/** Add a workload here and every contender runs it. T is for tests and smoke runs. */
export const STEP_WORKLOADS: StepWorkload[] = [
  { name: 'A', layers: [784, 128, 10], batch: 64, batches: 64 },
  { name: 'C', layers: [784, 1024, 1024, 10], batch: 1024, batches: 4 },
  { name: 'T', layers: [784, 32, 10], batch: 16, batches: 2 },
];

/** The contenders raced when --contenders is not given (webgpu-micro, a diagnostic, only when named). */
export const DEFAULT_CONTENDERS = ['cpu', 'wasm', 'webgpu', 'jax-wasm', 'jax-webgpu'];

export const STEP_LEARNING_RATE = 0.1;
/** The seed of the initial parameters (initParams) and of the synthetic data. */
export const STEP_SEED = 17;

/** Synthetic samples: inputs uniform in [0.05, 1) (never zero), labels 0..9, from a seed. */
export interface StepData {
  inputs: Float32Array;
  labels: Uint8Array;
  rows: number;
  features: number;
  /** The initial parameters in paramTable's layout: each weight [out, in], then its bias. */
  params: Float32Array;
}

export function stepData(w: StepWorkload, seed = STEP_SEED): StepData {
  const rows = w.batch * w.batches;
  const features = w.layers[0];
  const rng = new Rng(seed);
  const inputs = Float32Array.from({ length: rows * features }, () => rng.uniform(0.05, 1));
  const labels = Uint8Array.from({ length: rows }, () => rng.below(w.layers.at(-1)!));
  const params = initParams(paramTable(makeSpec(w.layers)), seed);
  return { inputs, labels, rows, features, params };
}

/** One contender's training run on one workload. */
export interface StepRunner {
  /** Runs `count` training steps and resolves once they have finished, to a loss of those steps. */
  run(count: number): Promise<number>;
  dispose(): void;
}

/** A contender, opened once per race: its device, and a runner for each workload. */
export interface OpenedContender {
  /** What it runs on, for people. */
  device: string;
  prepare(w: StepWorkload, data: StepData): Promise<StepRunner>;
  dispose(): void;
}

export type ContenderFactory = () => Promise<OpenedContender>;

/**
 * One of our backends as a contender: a session per workload (params from the data's seed, SGD at the race's rate);
 * run() resolves to the mean loss of the steps, after they finished (trainSteps reads it back).
 */
export function backendContender(open: () => Promise<Backend>): ContenderFactory {
  return async () => {
    const backend = await open();
    return {
      device: backend.device,
      dispose: () => backend.dispose(),
      async prepare(w, data) {
        const train: Dataset = { inputs: data.inputs, labels: data.labels, count: data.rows, features: data.features };
        const session = await backend.createSession({
          spec: makeSpec(w.layers),
          params: data.params,
          batch: w.batch,
          learningRate: STEP_LEARNING_RATE,
          train,
        });
        const order = Uint32Array.from({ length: data.rows }, (_, i) => i);
        let step = 0; // steps run so far: the next epoch's first step
        let at = w.batches; // the next step's place in the current epoch; none set yet
        return {
          async run(count) {
            let sum = 0;
            let left = count;
            // A new epoch whenever this run does not fit the current one: one trainSteps call where it can.
            while (left > 0) {
              if (at + Math.min(left, w.batches) > w.batches) {
                session.setEpochOrder(order, step);
                at = 0;
              }
              const n = Math.min(left, w.batches - at);
              sum += (await session.trainSteps(at, n)) * n;
              at += n;
              step += n;
              left -= n;
            }
            return sum / count;
          },
          dispose: () => session.dispose(),
        };
      },
    };
  };
}

export interface RaceOptions {
  workloads: StepWorkload[];
  /** Contenders by name, in the order of the table. */
  contenders: Record<string, ContenderFactory>;
  rounds: number;
  /** How long each timed round of one contender should last, in ms. */
  roundMs: number;
  /** The fewest steps a round times (default 1): a test's fixed amount of training, whatever the machine's load. */
  minSteps?: number;
  say?: (line: string) => void;
}

export interface ContenderResult {
  name: string;
  device: string;
  /** Steps timed in each round. */
  stepsPerRound: number;
  /** Steps per second, one per round. */
  samples: number[];
  median: number;
  min: number;
  max: number;
  /** The loss of the very first step, and of the last round (our backends: its mean; jax-js: its last step). */
  firstLoss: number;
  lastLoss: number;
}

export interface StepsWorkloadResult extends StepWorkload {
  contenders: ContenderResult[];
}

export interface StepsResult {
  version: 1;
  mode: 'steps';
  date: string;
  command: string;
  /** Where it ran: "node 20.20.2", or the browser's user agent. */
  where: string;
  /** In a page, whether it was cross-origin isolated (SharedArrayBuffer, jax-js's Wasm threads); null in Node. */
  crossOriginIsolated: boolean | null;
  rounds: number;
  roundMs: number;
  learningRate: number;
  workloads: StepsWorkloadResult[];
}

const now = () => performance.now();

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Times `count` steps: ms and the loss. */
async function timed(runner: StepRunner, count: number): Promise<{ ms: number; loss: number }> {
  const start = now();
  const loss = await runner.run(count);
  return { ms: now() - start, loss };
}

/**
 * Warms a runner up (its first step compiles) and sizes its rounds: doubles a timed run until it lasts a fifth of
 * a round, then takes as many steps as fill one.
 */
async function warmUp(runner: StepRunner, roundMs: number): Promise<{ firstLoss: number; steps: number }> {
  const firstLoss = (await timed(runner, 1)).loss;
  let count = 1;
  let { ms } = await timed(runner, count);
  while (ms < roundMs / 5 && count < 1 << 16) {
    count *= 2;
    ms = (await timed(runner, count)).ms;
  }
  return { firstLoss, steps: Math.max(1, Math.round((roundMs * count) / Math.max(ms, 1e-3))) };
}

/** The race: every contender opened, then per workload a warm-up each and `rounds` rounds in alternating order. */
export async function runStepRace(options: RaceOptions): Promise<StepsWorkloadResult[]> {
  const say = options.say ?? (() => {});
  const names = Object.keys(options.contenders);
  const opened: OpenedContender[] = [];
  try {
    for (const name of names) {
      say(`opening ${name} ...`);
      opened.push(await options.contenders[name]());
    }
    const results: StepsWorkloadResult[] = [];
    for (const w of options.workloads) {
      const data = stepData(w);
      const runners: StepRunner[] = [];
      try {
        const entries: ContenderResult[] = [];
        for (const [i, contender] of opened.entries()) {
          say(`${w.name} (${w.layers.join('-')}, batch ${w.batch}): warming up ${names[i]} ...`);
          const runner = await contender.prepare(w, data);
          runners.push(runner);
          const { firstLoss, steps } = await warmUp(runner, options.roundMs);
          const stepsPerRound = Math.max(steps, options.minSteps ?? 1);
          const result = { name: names[i], device: contender.device, stepsPerRound, samples: [] };
          entries.push({ ...result, median: 0, min: 0, max: 0, firstLoss, lastLoss: firstLoss });
        }
        for (let round = 0; round < options.rounds; round++) {
          // Forward on even rounds, backward on odd ones: no contender always runs right after the same other.
          const order = entries.map((_, i) => (round % 2 ? entries.length - 1 - i : i));
          for (const i of order) {
            const entry = entries[i];
            const { ms, loss } = await timed(runners[i], entry.stepsPerRound);
            entry.samples.push((entry.stepsPerRound * 1000) / ms);
            entry.lastLoss = loss;
          }
          say(`${w.name}: round ${round + 1}/${options.rounds}`);
        }
        for (const entry of entries) {
          entry.median = median(entry.samples);
          entry.min = Math.min(...entry.samples);
          entry.max = Math.max(...entry.samples);
        }
        results.push({ ...w, contenders: entries });
      } finally {
        for (const runner of runners) runner.dispose();
      }
    }
    return results;
  } finally {
    for (const contender of opened) contender.dispose();
  }
}

/** The workloads named in `list` (comma-separated), or a one-line error naming the choices. */
export function chooseWorkloads(names: string[]): StepWorkload[] {
  return names.map((name) => {
    const w = STEP_WORKLOADS.find((x) => x.name === name);
    if (!w) throw new Error(`--steps: unknown workload ${name}; choose from ${STEP_WORKLOADS.map((x) => x.name)}`);
    return w;
  });
}

/** The contenders named, from those this place has, or a one-line error naming them. */
export function chooseContenders(
  names: string[],
  available: Record<string, ContenderFactory>,
): Record<string, ContenderFactory> {
  const unknown = names.find((name) => !(name in available));
  if (unknown) throw new Error(`--contenders: unknown ${unknown}; choose from ${Object.keys(available).join(',')}`);
  return Object.fromEntries(names.map((name) => [name, available[name]]));
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
const fixed = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));

/** The table: workload, where, contender, steps/s median [min..max], steps a round, device. */
export function formatStepsTable(result: StepsResult): string {
  const isolated = result.crossOriginIsolated === null ? '' : `, crossOriginIsolated ${result.crossOriginIsolated}`;
  const rounds = `${plural(result.rounds, 'round')} of ~${result.roundMs} ms each`;
  const lines = [
    `step rates in ${result.where}${isolated}: ${rounds}, interleaved`,
    '',
    'workload                  where     contender    steps/s median [min..max]   steps/round  loss first -> last',
  ];
  const where = result.where.startsWith('node') ? 'node' : 'chromium';
  for (const w of result.workloads) {
    const name = `${w.name} ${w.layers.join('-')} b${w.batch}`;
    for (const c of w.contenders) {
      const rate = `${fixed(c.median)} [${fixed(c.min)}..${fixed(c.max)}]`;
      const loss = `${c.firstLoss.toFixed(3)} -> ${c.lastLoss.toFixed(3)}`;
      const cells = [name.padEnd(26), where.padEnd(10), c.name.padEnd(13), rate.padEnd(28)];
      lines.push(`${cells.join('')}${String(c.stepsPerRound).padEnd(13)}${loss}`);
    }
  }
  lines.push('', 'devices:');
  const devices = new Map<string, string>();
  for (const w of result.workloads) for (const c of w.contenders) devices.set(c.name, c.device);
  for (const [name, device] of devices) lines.push(`  ${name}: ${device}`);
  return lines.join('\n');
}
