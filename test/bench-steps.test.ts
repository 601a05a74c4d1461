import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../bench/bench.js';
import { formatStepsTable } from '../bench/steps.js';
import { runStepsBench } from '../bench/steps-node.js';

describe('bench --steps', () => {
  it('races the CPU reference and the wasm backend against jax-js on Wasm, and all train', async () => {
    // At least 30 steps a round, so that both train enough to halve the loss however loaded the machine is.
    const args = { steps: ['T'], contenders: ['cpu', 'wasm', 'jax-wasm'], rounds: 2, roundMs: 40, minSteps: 30 };
    const result = await runStepsBench(args, 'bench --steps T', () => {});
    expect(result.mode).toBe('steps');
    expect(result.crossOriginIsolated).toBeNull();
    expect(result.workloads.map((w) => w.name)).toEqual(['T']);
    const [workload] = result.workloads;
    expect(workload.contenders.map((c) => c.name)).toEqual(['cpu', 'wasm', 'jax-wasm']);
    for (const c of workload.contenders) {
      expect(c.samples).toHaveLength(2);
      expect(c.stepsPerRound).toBeGreaterThanOrEqual(30);
      for (const rate of c.samples) expect(rate).toBeGreaterThan(0);
      expect(c.min).toBeLessThanOrEqual(c.median);
      expect(c.median).toBeLessThanOrEqual(c.max);
      // A contender that did not train would keep its first loss (about ln 10 on random labels).
      expect(c.lastLoss).toBeLessThan(0.5 * c.firstLoss);
    }
    // All start from the same parameters and data, so their first steps' losses agree.
    const [cpu, wasm, jax] = workload.contenders;
    expect(jax.firstLoss).toBeCloseTo(cpu.firstLoss, 4);
    expect(wasm.firstLoss).toBeCloseTo(cpu.firstLoss, 5);
    const table = formatStepsTable(result);
    expect(table).toContain('jax-wasm');
    expect(table).toMatch(/T 784-32-10 b16 +node +cpu +[\d.]+ \[/);
  });

  it('refuses unknown workloads and contenders, and race flags without --steps', async () => {
    const parsed = parseBenchArgs(['--steps', 'A,C', '--contenders', 'cpu,jax-wasm', '--rounds', '3']);
    expect(parsed?.steps).toEqual({ steps: ['A', 'C'], contenders: ['cpu', 'jax-wasm'], rounds: 3 });
    expect(() => parseBenchArgs(['--rounds', '3'])).toThrow(/only with --steps/);
    expect(() => parseBenchArgs(['--steps', 'A', '--rounds', '0'])).toThrow(/--rounds takes a positive integer/);
    await expect(runStepsBench({ steps: ['Z'] }, '', () => {})).rejects.toThrow(
      /unknown workload Z; choose from A,C,T/,
    );
    await expect(runStepsBench({ steps: ['T'], contenders: ['tfjs'] }, '', () => {})).rejects.toThrow(
      /unknown tfjs; choose from cpu,wasm,wasm-1,webgpu,webgpu-micro,jax-wasm,jax-webgpu/,
    );
  });
});
