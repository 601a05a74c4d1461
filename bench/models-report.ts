/** The --models mode's result (one JSON object, written with --json) and its table on stdout. */
import type { AdapterDescription } from '../src/lower.js';
import type { ModelsMeasurement } from './models.js';
import type { ModelsPeerResult } from './peer.js';

export interface ModelsWorkloadResult {
  name: string;
  layers: number[];
  batch: number;
  rows: number;
  scaled: boolean;
  backend: 'cpu' | 'webgpu';
  /** What the backend runs on, as Backend.device says it. */
  device: string;
  measurements: ModelsMeasurement[];
}

export interface ModelsBenchResult {
  version: 1;
  mode: 'models';
  date: string;
  command: string;
  quick: boolean;
  node: string;
  /** The GPU adapter, where the WebGPU backend ran. */
  gpu: (AdapterDescription & { description: string }) | null;
  dawnOptions: string[];
  optimizer: 'adam';
  ks: number[];
  /** Timed epochs per contender, after one warm-up epoch each. */
  repetitions: number;
  workloads: ModelsWorkloadResult[];
  peer: ModelsPeerResult | null;
}

const sig = (x: number | null | undefined): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(2);
};

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatModelsTable(r: ModelsBenchResult): string {
  const out: string[] = [];
  out.push(`webgpu-mlp benchmark: many models at once${r.quick ? ' (--quick: fewer rows for A)' : ''}`);
  out.push(
    `K models of one network, Adam, learning rates 3e-4..3e-2 (log-spaced), a seed each; ` +
      `median of ${r.repetitions} interleaved samples after a warm-up; Node ${r.node}`,
  );
  if (r.gpu) {
    out.push(`GPU: ${r.gpu.description}; Dawn options: ${r.dawnOptions.join(' ') || 'none'}`);
    if (r.gpu.software) out.push('software adapter: its times say nothing about a GPU');
  }
  const peer = r.peer?.available ? r.peer : null;
  const rows = r.workloads.flatMap((w) =>
    w.measurements.map((m) => {
      const p = peer?.rows.find((x) => x.workload === w.name && x.k === m.k);
      return [
        `${w.name} ${w.layers.join('-')} b${w.batch} ${w.rows} rows${w.scaled ? ' (scaled)' : ''}`,
        w.backend,
        String(m.k),
        sig(m.together.secondsPerModelEpoch),
        sig(m.oneAfterAnother.secondsPerModelEpoch),
        `${sig(m.speedup)}x`,
        sig(m.together.dispatchesPerStep),
        sig(m.oneAfterAnother.dispatchesPerStep),
        m.togetherSession === 'SequentialModels' ? 'sequential' : m.togetherSession,
        ...(peer ? [sig(p?.together), sig(p?.oneAfterAnother), p?.together ? `${sig(p.speedup)}x` : '-'] : []),
      ];
    }),
  );
  out.push('');
  out.push(
    table(
      [
        'workload (one epoch each)',
        'backend',
        'K',
        'together s/model-epoch',
        'one by one s',
        'speed-up',
        'dispatches/step together',
        'one by one',
        'createModels gave',
        ...(peer ? ['PyTorch together s', 'one by one s', 'speed-up'] : []),
      ],
      rows,
    ),
  );
  out.push(
    'speed-up: one by one over together (above 1: together is faster). Dispatches per step: of all K models. ' +
      '"sequential": createModels is the one-after-another fallback on that backend.',
  );
  for (const line of new Set(r.workloads.map((w) => `${w.backend}: ${w.device}`))) out.push(line);
  if (r.peer && !r.peer.available) out.push(`\npeer ${r.peer.name}: not run: ${r.peer.reason}`);
  if (peer) {
    out.push(
      `\npeer: PyTorch ${peer.torch} on ${peer.device}, fp32, TF32 off; together: ` +
        (peer.together ?? `not measured (${peer.togetherMissing})`),
    );
  }
  return out.join('\n');
}
