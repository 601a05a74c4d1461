import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBenchArgs, reportBench, reportModelsBench, runBench, runModelsBench } from '../bench/bench.js';
import type { ModelsBenchResult } from '../bench/models-report.js';
import type { BenchResult } from '../bench/report.js';
import { QUICK_WORKLOADS } from '../bench/workloads.js';
import './gpu-setup.js'; // the worker's shared device, and the pipelines the other GPU tests compiled on it

/**
 * The benchmark itself, in CI: `--quick` must finish, print its table, and write JSON with every field and sane
 * values, and the counts that the GPU tests assert (test/gpu-step.test.ts) must be the ones it reports. The times come
 * from SwiftShader and are checked only for being positive and finite. `--peer torch` must either run or say in one
 * line why not, without failing the run. It runs in-process, from the flags as the command line parses them, to the
 * table and files the command line writes (reportBench); one child process checks the command line's own entry.
 */
function bench(argv: string[]) {
  const options = parseBenchArgs(argv);
  if (!options) throw new Error('parseBenchArgs read --help');
  return { options, result: runBench(options, `bench ${argv.join(' ')}`, () => {}) };
}

/** The table as the command line prints it; the JSON and the SVG go to the files the options name. */
function report(...[result, options]: Parameters<typeof reportBench>): string {
  const printed: string[] = [];
  reportBench(result, options, (text) => printed.push(text));
  return printed.join('\n');
}

describe('npm run bench -- --quick', () => {
  it('prints the table and writes complete JSON and an SVG chart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
    const json = path.join(dir, 'bench.json');
    const plot = path.join(dir, 'bench.svg');
    const run = bench(['--quick', '--peer', 'torch', '--json', json, '--plot', plot]);
    expect(run.options).toMatchObject({
      quick: true,
      peer: 'torch',
      json,
      plot,
      dawn: [],
      optimizer: 'sgd',
      cpu: true,
    });
    const stdout = report(await run.result, run.options);
    expect(stdout).toMatch(/^workload \(one epoch\)/m);
    expect(stdout).toMatch(/^counts per epoch/m);

    const r = JSON.parse(fs.readFileSync(json, 'utf8')) as BenchResult;
    const positive = (x: unknown, what: string) => {
      expect(typeof x, what).toBe('number');
      expect(Number.isFinite(x as number) && (x as number) > 0, `${what} = ${x}`).toBe(true);
    };
    expect(r.version).toBe(1);
    expect(r.quick).toBe(true);
    expect(r.device.description).toMatch(/^WebGPU: /);
    expect(['gpu-timestamps', 'wall-clock']).toContain(r.timing);
    expect(r.dawnOptions.join(' ')).not.toMatch(/enable-dawn-features/); // off by default
    expect(r.prerecord).toBe(true);
    for (const key of [
      'usPerDispatchOnePass',
      'usPerDispatchPassEach',
      'roundTripMs',
      'usRecordPerDispatch',
    ] as const) {
      positive(r.noop[key], `noop.${key}`);
    }

    expect(r.matmul.map((m) => m.form).sort()).toEqual(['nn', 'nt', 'tn']);
    for (const m of r.matmul) {
      expect(m.picked).toBe(true);
      positive(m.ms, 'matmul ms');
      positive(m.tflops, 'matmul TFLOP/s');
      expect(m.maxError, `${m.form}: the timed kernel's outputs against float64`).toBeLessThan(1e-5);
    }

    expect(r.workloads.map((w) => w.name)).toEqual(['A', 'B', 'C', 'D']);
    r.workloads.forEach((w, i) => {
      const layers = QUICK_WORKLOADS[i].layers.length - 1;
      const c = w.gpu.counts;
      // The same counts test/gpu-step.test.ts asserts through train(): 3·layers + 1 dispatches per step, and a whole
      // epoch recorded as one pass, one submit, one read back, one write (the order), nothing created.
      expect(c.dispatchesPerStep, w.name).toBe(3 * layers + 1);
      expect(c.dispatches, w.name).toBe(w.steps * c.dispatchesPerStep);
      expect([c.computePasses, c.submits, c.readBacks, c.writes], w.name).toEqual([1, 1, 1, 1]);
      expect(c.buffersAfterSetup + c.bindGroupsAfterSetup, w.name).toBe(0);
      expect(w.scaled).toBe(true);
      expect(w.reference).toBeNull();
      for (const [key, value] of Object.entries({
        epochMs: w.gpu.epochMs,
        samplesPerSec: w.gpu.samplesPerSec,
        tflops: w.gpu.tflops,
        evalMs: w.gpu.evalMs,
        prerecordMs: w.gpu.prerecordMs,
        cpuEpochMs: w.cpu?.epochMs,
        cpuSamplesPerSec: w.cpu?.samplesPerSec,
        speedup: w.gpuSpeedupOverCpu,
        arithmeticFloor: w.floors.arithmeticMs,
        dispatchFloor: w.floors.dispatchMs,
      }))
        positive(value, `${w.name} ${key}`);
      expect(Number.isFinite(w.gpu.loss), `${w.name}: training loss`).toBe(true);
      expect(w.cpu!.extrapolatedFrom.steps).toBeGreaterThanOrEqual(1);
    });

    expect(r.peer?.name).toBe('torch');
    if (r.peer && !r.peer.available) {
      expect(r.peer.reason.length).toBeGreaterThan(0);
      expect(stdout).toMatch(/^peer torch: not run: .+$/m);
    }
    const svg = fs.readFileSync(plot, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('A: 784-128-10, batch 64');
    fs.rmSync(dir, { recursive: true });
  });

  it('--optimizer adam trains the workloads with Adam: one more dispatch per step, the step table written per epoch', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
    const json = path.join(dir, 'bench.json');
    const run = bench([
      '--quick',
      '--optimizer',
      'adam',
      '--workloads',
      'A',
      '--matmul',
      '16',
      '--epochs',
      '1',
      '--no-cpu',
      '--json',
      json,
    ]);
    expect(run.options).toMatchObject({ optimizer: 'adam', workloads: ['A'], matmul: [16], epochs: 1, cpu: false });
    expect(report(await run.result, run.options)).toMatch(/^workloads train with adam at lr 0\.01/m);
    const r = JSON.parse(fs.readFileSync(json, 'utf8')) as BenchResult;
    expect(r.optimizer).toBe('adam');
    const [a] = r.workloads;
    expect(a.gpu.counts.dispatchesPerStep).toBe(3 * 2 + 2);
    expect([a.gpu.counts.submits, a.gpu.counts.readBacks, a.gpu.counts.writes]).toEqual([1, 1, 2]);
    expect(Number.isFinite(a.gpu.loss)).toBe(true);
    fs.rmSync(dir, { recursive: true });
  });

  it('--models: K models together against one after another, on the CPU and the GPU, the same losses', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
    const json = path.join(dir, 'models.json');
    // A's network at its --quick batch and Adam, whose pipelines the test above compiled; one step an epoch.
    const argv = [
      '--quick',
      '--models',
      '2',
      '--workloads',
      'A',
      '--rows',
      '64',
      '--epochs',
      '1',
      '--peer',
      'torch',
      '--json',
      json,
    ];
    const options = parseBenchArgs(argv)!;
    expect(options).toMatchObject({ models: [2], workloads: ['A'], rows: 64, epochs: 1, cpu: true, gpu: true });
    const printed: string[] = [];
    reportModelsBench(await runModelsBench(options, `bench ${argv.join(' ')}`, () => {}), options, (t) =>
      printed.push(t),
    );
    expect(printed.join('\n')).toMatch(/^workload \(one epoch each\) +backend +K +together s\/model-epoch/m);
    const r = JSON.parse(fs.readFileSync(json, 'utf8')) as ModelsBenchResult;
    expect([r.mode, r.optimizer, r.ks, r.repetitions]).toEqual(['models', 'adam', [2], 1]);
    expect(r.gpu?.description).toMatch(/^WebGPU: /);
    expect(r.workloads.map((w) => [w.name, w.backend, w.rows, w.scaled])).toEqual([
      ['A', 'cpu', 64, true],
      ['A', 'webgpu', 64, true],
    ]);
    for (const w of r.workloads) {
      const [m] = w.measurements;
      expect([m.k, m.steps]).toEqual([2, 1]);
      for (const c of [m.together, m.oneAfterAnother]) {
        expect(c.epochMs).toHaveLength(1);
        expect(c.secondsPerModelEpoch > 0 && Number.isFinite(c.secondsPerModelEpoch), w.backend).toBe(true);
      }
      expect(m.speedup).toBeCloseTo(m.oneAfterAnother.secondsPerModelEpoch / m.together.secondsPerModelEpoch, 12);
      // The same models on the same orders: the CPU's both ways are one code path, bitwise; a GPU's to fp32 rounding.
      if (w.backend === 'cpu') expect(m.lossDifference).toBe(0);
      else expect(m.lossDifference).toBeLessThan(1e-4);
      if (w.backend === 'cpu') {
        expect([m.together.dispatchesPerStep, m.oneAfterAnother.dispatchesPerStep]).toEqual([null, null]);
        expect(m.togetherSession).toBe('SequentialModels');
      } else {
        // One after another: each model's 3·layers + 2 dispatches with Adam. Together: none counted where
        // createModels is that same fallback, fewer where it trains the models in one session.
        expect(m.oneAfterAnother.dispatchesPerStep).toBe(2 * (3 * 2 + 2));
        if (m.togetherSession === 'SequentialModels') expect(m.together.dispatchesPerStep).toBeNull();
        else expect(m.together.dispatchesPerStep).toBeLessThan(m.oneAfterAnother.dispatchesPerStep!);
      }
    }
    expect(r.peer?.name).toBe('torch');
    if (r.peer && !r.peer.available) expect(printed.join('\n')).toMatch(/^peer torch: not run: .+$/m);
    fs.rmSync(dir, { recursive: true });
  });

  it('--models flags: bad values fail in one line naming the fix', () => {
    expect(() => parseBenchArgs(['--models', '0,4'])).toThrow('--models takes counts like 1,4,16,64');
    expect(() => parseBenchArgs(['--no-gpu'])).toThrow('--no-gpu: only with --models');
    expect(() => parseBenchArgs(['--rows', '64'])).toThrow('--rows: only with --models');
    expect(() => parseBenchArgs(['--models', '4', '--optimizer', 'sgd'])).toThrow('--models trains with Adam');
    expect(() => parseBenchArgs(['--models', '4', '--no-gpu', '--no-cpu'])).toThrow('nothing to time');
    expect(() => parseBenchArgs(['--models', '4', '--matmul', '64'])).toThrow('--models: no --plot, --matmul');
    expect(parseBenchArgs(['--models', '1,4', '--no-gpu'])).toMatchObject({ models: [1, 4], gpu: false, cpu: true });
  });

  it('the command line runs main: --help is not an error, a bad flag fails in one line with exit code 1', () => {
    expect(parseBenchArgs(['--help'])).toBeNull();
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/bench.ts', '--quick', '--epochs', '0'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('bench: --epochs takes a positive integer\n');
    expect(run.status).toBe(1);
  });
});
