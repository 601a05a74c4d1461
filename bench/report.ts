/**
 * The benchmark's result (one JSON object, written with --json), its table on stdout, and its chart (--plot, a
 * hand-written SVG: epochs per workload on a log scale, matmul TFLOP/s per shape).
 */
import type { OptimizerName } from '../src/index.js';
import type { AdapterDescription } from '../src/lower.js';
import type { MatmulResult, NoopResult, TimingSource } from './gpu-timing.js';
import type { PeerResult } from './peer.js';
import type { CpuEpoch, Floors, GpuEpoch } from './workloads.js';

export interface WorkloadResult {
  name: string;
  layers: number[];
  batch: number;
  trainSamples: number;
  testSamples: number;
  steps: number;
  /** --quick: smaller than the full-size workload of this name. */
  scaled: boolean;
  gpu: GpuEpoch;
  cpu: CpuEpoch | null;
  /** CPU ms per epoch / GPU ms per epoch. */
  gpuSpeedupOverCpu: number | null;
  floors: Floors;
  /** The H100 reference figures (TensorFlow.js, PyTorch, target; ms per epoch), for full-size workloads. */
  reference: { tfjs: number; torch: number; target: number } | null;
  peer: { epochMs: number; oursOverPeer: number } | null;
}

export interface SweepResult {
  dawnFeatures: string[];
  workloads: { name: string; epochMs: number }[];
  matmul: { form: string; size: number; tflops: number } | null;
}

export interface BenchResult {
  version: 1;
  date: string;
  command: string;
  quick: boolean;
  node: string;
  device: AdapterDescription & { description: string; features: string[] };
  /** What was passed to Dawn's create(): enable-dawn-features=..., disable-dawn-features=timestamp_quantization. */
  dawnOptions: string[];
  /** The optimiser the workloads trained with (--optimizer; the reference figures are SGD). */
  optimizer: OptimizerName;
  /** Whether sessions recorded the next chunk while the GPU ran the current one (--no-prerecord turns it off). */
  prerecord: boolean;
  timing: TimingSource;
  noop: NoopResult;
  matmul: MatmulResult[];
  workloads: WorkloadResult[];
  peer: PeerResult | null;
  dawnSweep: SweepResult[] | null;
}

const fixed = (x: number | null | undefined, digits: number): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
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

export function formatTable(r: BenchResult): string {
  const out: string[] = [];
  const peer = r.peer?.available ? r.peer : null;
  out.push(`webgpu-mlp benchmark${r.quick ? ' (--quick: scaled-down sizes, not the full-size workloads)' : ''}`);
  out.push(
    `${r.device.description}; timing: ${r.timing}; Dawn options: ${r.dawnOptions.join(' ') || 'none'}; Node ${r.node}`,
  );
  out.push(`workloads train with ${r.optimizer} at lr 0.01 (the reference figures: sgd)`);
  if (r.device.software) out.push('software adapter: these times say nothing about a GPU');
  const n = r.noop;
  out.push(
    `no-op dispatch (${n.dispatches}): ${fixed(n.usPerDispatchOnePass, 2)} us each in one pass, ` +
      `${fixed(n.usPerDispatchPassEach, 2)} us with a pass each; recording ${fixed(n.usRecordPerDispatch, 2)} us each on the CPU; ` +
      `submit + read back round trip ${fixed(n.roundTripMs, 3)} ms`,
  );
  out.push('');
  out.push(
    table(
      ['matmul (median)', 'variant', 'ms', 'TFLOP/s', ...(peer ? ['cuBLAS', 'ours/cuBLAS'] : []), 'max err'],
      r.matmul.map((m) => {
        const ref = peer?.matmul.find((p) => p.form === m.form && p.m === m.m && p.n === m.n && p.k === m.k);
        return [
          `${m.form} ${m.m}x${m.n}x${m.k}`,
          `${m.tile} ${m.mode}${m.picked ? ' (picked)' : ''}`,
          sig(m.ms),
          sig(m.tflops),
          ...(peer ? [sig(ref?.tflops), ref ? fixed(m.tflops / ref.tflops, 2) : '-'] : []),
          m.maxError.toExponential(1),
        ];
      }),
    ),
  );
  out.push('');
  out.push(
    table(
      [
        'workload (one epoch)',
        'GPU ms',
        'samples/s',
        'TFLOP/s',
        'CPU ms*',
        'GPU/CPU',
        ...(peer ? ['PyTorch ms', 'ours/PyTorch'] : []),
        'target',
        'floor arith',
        'floor dispatch',
      ],
      r.workloads.map((w) => [
        `${w.name} ${w.layers.join('-')} b${w.batch}${w.scaled ? ' (scaled)' : ''}`,
        sig(w.gpu.epochMs),
        sig(w.gpu.samplesPerSec),
        sig(w.gpu.tflops),
        sig(w.cpu?.epochMs),
        `${sig(w.gpuSpeedupOverCpu)}x`,
        ...(peer ? [sig(w.peer?.epochMs), w.peer ? fixed(w.peer.oursOverPeer, 2) : '-'] : []),
        sig(w.reference?.target),
        sig(w.floors.arithmeticMs),
        sig(w.floors.dispatchMs),
      ]),
    ),
  );
  out.push(
    '* CPU: the reference backend, 1 thread, extrapolated from ' +
      r.workloads
        .map((w) =>
          w.cpu
            ? `${w.name}: ${w.cpu.extrapolatedFrom.steps} steps of batch ${w.cpu.extrapolatedFrom.batch}`
            : `${w.name}: not run`,
        )
        .join(', ') +
      '.',
  );
  out.push(
    'GPU/CPU: how many times faster the GPU epoch is. ours/PyTorch: below 1 is faster than PyTorch. Floors: H100 ' +
      "arithmetic at cuBLAS's 52 TFLOP/s, and dispatches at 6 us plus 0.05 ms per submit.",
  );
  out.push('');
  out.push(
    table(
      [
        'counts per epoch',
        'dispatches/step',
        'dispatches',
        'passes',
        'submits',
        'read backs',
        'writes',
        'objects after set-up',
        'recording ms',
        'recorded ahead ms',
        'chunks of 100 ms',
        'eval ms',
      ],
      r.workloads.map((w) => {
        const c = w.gpu.counts;
        return [
          w.name,
          String(c.dispatchesPerStep),
          String(c.dispatches),
          String(c.computePasses),
          String(c.submits),
          String(c.readBacks),
          String(c.writes),
          String(c.buffersAfterSetup + c.bindGroupsAfterSetup),
          sig(w.gpu.recordMs),
          sig(w.gpu.prerecordMs),
          sig(w.gpu.epochMsChunks100),
          sig(w.gpu.evalMs),
        ];
      }),
    ),
  );
  if (r.peer && !r.peer.available) out.push(`\npeer ${r.peer.name}: not run: ${r.peer.reason}`);
  if (peer) out.push(`\npeer: PyTorch ${peer.torch} on ${peer.device}, fp32, TF32 ${peer.tf32 ? 'on' : 'off'}`);
  if (r.dawnSweep) {
    out.push('');
    const names = r.dawnSweep[0]?.workloads.map((w) => w.name) ?? [];
    out.push(
      table(
        ['Dawn features enabled', ...names.map((x) => `${x} ms`), 'matmul TFLOP/s'],
        r.dawnSweep.map((s) => [
          s.dawnFeatures.join(',') || 'none',
          ...s.workloads.map((w) => sig(w.epochMs)),
          sig(s.matmul?.tflops),
        ]),
      ),
    );
  }
  return out.join('\n');
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Two panels: ms per epoch (log scale) for CPU, ours and PyTorch per workload; TFLOP/s per matmul shape. */
export function formatSvg(r: BenchResult): string {
  const width = 900;
  const panel = 300;
  const top = 60;
  const left = 70;
  const plotWidth = width - left - 30;
  const parts: string[] = [];
  const text = (x: number, y: number, s: string, extra = '') =>
    parts.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${extra}>${escapeXml(s)}</text>`);
  const rect = (x: number, y: number, w: number, h: number, fill: string, title: string) =>
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${Math.max(0, h).toFixed(1)}" fill="${fill}"><title>${escapeXml(title)}</title></rect>`,
    );
  const peer = r.peer?.available ? r.peer : null;
  text(
    left,
    24,
    `webgpu-mlp: ${r.device.description}${r.quick ? ' (--quick, scaled sizes)' : ''}`,
    'font-weight="bold"',
  );
  text(
    left,
    42,
    `${r.date}, timing ${r.timing}, Dawn options: ${r.dawnOptions.join(' ') || 'none'}${r.device.software ? '; software adapter: not GPU figures' : ''}`,
    'font-size="11"',
  );

  // Panel 1: epochs, log scale.
  const series: { label: string; color: string; value: (w: WorkloadResult) => number | null | undefined }[] = [
    { label: 'CPU reference (extrapolated)', color: '#999999', value: (w) => w.cpu?.epochMs },
    { label: 'ours (WebGPU)', color: '#d9534f', value: (w) => w.gpu.epochMs },
    ...(peer ? [{ label: 'PyTorch CUDA', color: '#337ab7', value: (w: WorkloadResult) => w.peer?.epochMs }] : []),
  ];
  const values = r.workloads.flatMap((w) => series.map((s) => s.value(w))).filter((v): v is number => !!v && v > 0);
  const lo = Math.floor(Math.log10(Math.min(...values, 1)));
  const hi = Math.ceil(Math.log10(Math.max(...values, 10)));
  const y0 = top + 20;
  const yOf = (ms: number) => y0 + panel - ((Math.log10(ms) - lo) / (hi - lo)) * panel;
  for (let e = lo; e <= hi; e++) {
    const y = yOf(10 ** e);
    parts.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    text(left - 8, y + 4, `${10 ** e >= 1 ? 10 ** e : (10 ** e).toPrecision(1)}`, 'text-anchor="end" font-size="11"');
  }
  text(
    14,
    y0 + panel / 2,
    'ms per epoch',
    `transform="rotate(-90 14 ${y0 + panel / 2})" text-anchor="middle" font-size="12"`,
  );
  const group = plotWidth / Math.max(1, r.workloads.length);
  const bar = (group * 0.7) / series.length;
  r.workloads.forEach((w, i) => {
    const x0 = left + i * group + group * 0.15;
    series.forEach((s, j) => {
      const v = s.value(w);
      if (!v || v <= 0) return;
      const y = yOf(v);
      rect(x0 + j * bar, y, bar - 2, y0 + panel - y, s.color, `${w.name} ${s.label}: ${sig(v)} ms`);
      text(x0 + j * bar + bar / 2, y - 3, sig(v), 'text-anchor="middle" font-size="10"');
    });
    if (w.reference) {
      const y = yOf(w.reference.target);
      parts.push(
        `<line x1="${x0}" x2="${x0 + series.length * bar}" y1="${y}" y2="${y}" stroke="#000" stroke-dasharray="4 3"><title>target ${w.reference.target} ms</title></line>`,
      );
    }
    text(
      x0 + (series.length * bar) / 2,
      y0 + panel + 16,
      `${w.name}: ${w.layers.join('-')}, batch ${w.batch}`,
      'text-anchor="middle" font-size="11"',
    );
  });
  series.forEach((s, j) => {
    rect(left + j * 220, y0 + panel + 28, 10, 10, s.color, s.label);
    text(left + j * 220 + 14, y0 + panel + 37, s.label, 'font-size="11"');
  });
  if (r.workloads.some((w) => w.reference))
    text(left + series.length * 220, y0 + panel + 37, '- - target', 'font-size="11"');

  // Panel 2: matmul TFLOP/s of the picked variants, cuBLAS beside them.
  const picked = r.matmul.filter((m) => m.picked);
  const y1 = y0 + panel + 80;
  const maxT = Math.max(...picked.map((m) => m.tflops), ...(peer?.matmul.map((m) => m.tflops) ?? []), 1e-9);
  const yT = (t: number) => y1 + panel - (t / maxT) * panel;
  parts.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y1 + panel}" y2="${y1 + panel}" stroke="#999"/>`);
  text(
    14,
    y1 + panel / 2,
    'TFLOP/s (matmul)',
    `transform="rotate(-90 14 ${y1 + panel / 2})" text-anchor="middle" font-size="12"`,
  );
  const slot = plotWidth / Math.max(1, picked.length);
  picked.forEach((m, i) => {
    const x = left + i * slot + slot * 0.15;
    const ref = peer?.matmul.find((p) => p.form === m.form && p.m === m.m && p.n === m.n && p.k === m.k);
    const w = (slot * 0.7) / (ref ? 2 : 1);
    rect(
      x,
      yT(m.tflops),
      w - 2,
      y1 + panel - yT(m.tflops),
      '#d9534f',
      `${m.form} ${m.m}: ${sig(m.tflops)} TFLOP/s (${m.tile} ${m.mode})`,
    );
    text(x + w / 2, yT(m.tflops) - 3, sig(m.tflops), 'text-anchor="middle" font-size="10"');
    if (ref) {
      rect(
        x + w,
        yT(ref.tflops),
        w - 2,
        y1 + panel - yT(ref.tflops),
        '#337ab7',
        `cuBLAS ${m.form} ${m.m}: ${sig(ref.tflops)} TFLOP/s`,
      );
      text(x + 1.5 * w, yT(ref.tflops) - 3, sig(ref.tflops), 'text-anchor="middle" font-size="10"');
    }
    text(x + slot * 0.35, y1 + panel + 16, `${m.form} ${m.m}x${m.n}x${m.k}`, 'text-anchor="middle" font-size="10"');
  });
  const height = y1 + panel + 40;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif" font-size="12">\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`
  );
}
