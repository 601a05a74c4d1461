/** backend 'auto' by its cost model: a model too small to gain from the GPU trains on the CPU, and the line says why. */
import { describe, expect, it } from 'vitest';
import { autoCpuNote, cpuIsFaster } from '../src/api/engine.js';
import { choiceLine } from '../src/cli/backends.js';
import { CpuBackend } from '../src/cpu/backend.js';
import { makeSpec } from '../src/model/spec.js';

const hardware = { software: false, name: 'NVIDIA GeForce RTX 3060' };
const software = { software: true, name: 'SwiftShader Device (Subzero)' };

describe("auto's cost model", () => {
  it('trains a tiny XOR net on the CPU, even on a hardware adapter, and says why', () => {
    const verdict = cpuIsFaster({ layers: [2, 4, 1], batch: 4, stepsPerEpoch: 1 }, hardware);
    expect(verdict.faster).toBe(true);
    // 3 · 4 · (2·4 + 4·1) = 144 multiply-adds: 0.014 µs on the CPU against 7 dispatches and 2 round trips a step.
    expect(verdict.why).toBe('a step of 144 multiply-adds takes ~0.014 µs on the CPU, ~1,070 µs on the GPU');
    expect(
      cpuIsFaster({ layers: [4, 100, 3], batch: 120, stepsPerEpoch: 1 }, hardware).faster,
      "iris with a table's defaults",
    ).toBe(true);
  });

  it("trains MNIST's 784-128-10 at batch 128, and a 20-256-256-2 at batch 32, on a hardware adapter", () => {
    const mnist = cpuIsFaster({ layers: [784, 128, 10], batch: 128, stepsPerEpoch: 468 }, hardware);
    expect(mnist.faster).toBe(false);
    expect(mnist.why).toBe('a step of 39,026,688 multiply-adds takes ~3,903 µs on the CPU, ~466 µs on the GPU');
    expect(cpuIsFaster({ layers: [20, 256, 256, 2], batch: 32, stepsPerEpoch: 64 }, hardware).faster).toBe(false);
  });

  it('takes the CPU over a software adapter for any size, naming the adapter', () => {
    for (const [layers, batch] of [
      [[2, 4, 1], 4],
      [[784, 128, 10], 128],
      [[784, 4096, 4096, 10], 1024],
    ] as const) {
      const verdict = cpuIsFaster({ layers, batch, stepsPerEpoch: 100 }, software);
      expect(verdict.faster, layers.join('-')).toBe(true);
      expect(verdict.why).toBe(
        'SwiftShader Device (Subzero) is a software adapter, slower than the CPU on the same cores',
      );
    }
  });

  it('decides where the work changes side: about 100,000 multiply-adds a step per dispatch', () => {
    // 2-w-1 at batch 1: 9w multiply-adds against 7 dispatches; the GPU gains from w ≈ 93,000.
    expect(cpuIsFaster({ layers: [2, 90_000, 1], batch: 1, stepsPerEpoch: 1000 }, hardware).faster).toBe(true);
    expect(cpuIsFaster({ layers: [2, 96_000, 1], batch: 1, stepsPerEpoch: 1000 }, hardware).faster).toBe(false);
  });

  it('the CLI says the choice in one line, and a CPU backend is never moved', () => {
    const note = {
      kind: 'cpu',
      because: 'faster',
      detail: cpuIsFaster({ layers: [2, 4, 1], batch: 4, stepsPerEpoch: 1 }, hardware).why,
    } as const;
    expect(choiceLine(note, 'training')).toBe(
      'backend auto: a step of 144 multiply-adds takes ~0.014 µs on the CPU, ~1,070 µs on the GPU, ' +
        'training on the CPU (--backend webgpu forces the GPU)',
    );
    const set = { inputs: new Float32Array(8), labels: new Uint32Array(4), count: 4, features: 2 };
    const settings = { spec: makeSpec([2, 4, 2]), batch: 4, learningRate: 0.1, train: set };
    expect(autoCpuNote(new CpuBackend(), settings)).toBeNull();
  });
});
