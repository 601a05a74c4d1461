/**
 * Each kernel's definition (src/gpu/kernels/) against its WGSL file: the same bindings in the same order, every
 * constant its WGSL takes from TypeScript given a value, and a header naming the kernel. Then, on the test GPU, that
 * a backend compiles nothing until a session asks, and a session only the kernels its dispatches use.
 */
import { describe, expect, it } from 'vitest';
import { createWebGpuBackend } from '../src/gpu/backend.js';
import { createKernels, KERNELS, type KernelName, launch } from '../src/gpu/kernels.js';
import { variantConstants } from '../src/gpu/matmul-variants.js';
import { nodeShaderLoader } from '../src/gpu/shaders-node.js';
import { makeOptimizer } from '../src/model/optimizer.js';
import { paramTable } from '../src/model/params.js';
import { makeSpec } from '../src/model/spec.js';
import { KernelRunner, openTestGpu } from './gpu-setup.js';
import { toyDataset } from './toy.js';

const names = Object.keys(KERNELS) as KernelName[];
const SOME_VARIANT = { form: 'nt', tile: 'large', mode: 'fast' } as const;

/** The names of a source's pipeline-overridable constants that have no default: TypeScript must give each. */
const overridesOf = (source: string): string[] =>
  [...source.matchAll(/^override (\w+): \w+;/gm)].map((match) => match[1]);

/** The address space and access of each `@group(0) @binding(i)` declaration, in binding order. */
function bindingsOf(source: string): string[] {
  const declared = [...source.matchAll(/^@group\(0\) @binding\((\d+)\) var<([\w, ]+)>/gm)];
  expect(declared.map((match) => Number(match[1]))).toEqual(declared.map((_, i) => i));
  return declared.map((match) => match[2]);
}

describe('kernel definitions against their WGSL', () => {
  it.each(names)('%s: bindings, overridable constants, header', (name) => {
    const definition = KERNELS[name];
    const source = nodeShaderLoader(name);
    expect(bindingsOf(source)).toEqual([
      ...Array<string>(definition.outputs).fill('storage, read_write'),
      ...Array<string>(definition.inputs).fill('storage, read'),
      ...(definition.models ? ['storage, read'] : []),
      'uniform',
      ...(definition.step ? ['uniform'] : []),
    ]);
    // The constants TypeScript gives: those its WGSL declares without a default (matmul's variant constants too).
    const given = [
      ...Object.keys(definition.constants ?? {}),
      ...(name === 'matmul' ? Object.keys(variantConstants(SOME_VARIANT)) : []),
    ];
    expect(given.sort()).toEqual(overridesOf(source).sort());
    for (const key of Object.keys(definition.softwareConstants ?? {})) {
      expect(given, `a software adapter's ${key} replaces a constant TypeScript gives`).toContain(key);
    }
    expect(source.startsWith(`// ${name}: `), 'the header opens with the kernel name').toBe(true);
  });

  it('launch has one entry per kernel, by the camelCase of its name', () => {
    const camel = (name: string) => name.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
    expect(Object.keys(launch).sort()).toEqual(names.map(camel).sort());
  });

  it('WGSL specialises only through overridable constants: no text is rewritten, switch selectors aside', () => {
    for (const name of names) {
      const source = nodeShaderLoader(name);
      expect(source, name).not.toMatch(/\/\/ (injected|variant)\b/);
      expect(source, `${name}: a case selector must be a const, not an override`).not.toMatch(/\bswitch\b/);
    }
  });
});

describe('compiling only what is dispatched', () => {
  it('a backend compiles nothing; a session its own kernels; a kernel runner the one it runs', async () => {
    const gpu = await openTestGpu({ own: true }); // nothing compiled on it yet
    const backend = await createWebGpuBackend(nodeShaderLoader, { gpu });
    const run = await KernelRunner.create(gpu, createKernels(gpu.device, nodeShaderLoader));
    try {
      expect(backend.kernels.compiled).toEqual([]);
      const spec = makeSpec([16, 8, 4]);
      await backend.createSession({
        spec,
        params: new Float32Array(paramTable(spec).total),
        batch: 8,
        learningRate: 0.1,
        train: toyDataset(1, 64),
        test: toyDataset(2, 32),
      });
      const compiled = backend.kernels.compiled;
      expect(compiled.filter((key) => !key.startsWith('matmul.')).sort()).toEqual([
        'argmax_count',
        'gather',
        'softmax_cross_entropy',
      ]);
      expect(compiled.filter((key) => key.startsWith('matmul.')).length).toBeGreaterThan(0);

      // A regression session of the same shapes on a table: its gather and loss kernels, the same matmuls.
      const regression = makeSpec([16, 8, 4], { task: 'regression', loss: 'mse' });
      const table = (count: number) => ({
        inputs: new Float32Array(count * 16),
        labels: new Float32Array(count * 4),
        count,
        features: 16,
      });
      await backend.createSession({
        spec: regression,
        params: new Float32Array(paramTable(regression).total),
        batch: 8,
        learningRate: 0.1,
        train: table(64),
        test: table(32),
      });
      expect(backend.kernels.compiled.filter((key) => !compiled.includes(key)).sort()).toEqual([
        'gather_floats',
        'mse_targets',
      ]);

      // The first session's shapes with RMSprop: the gradient vector's matmuls and its one update kernel more.
      const before = backend.kernels.compiled;
      await backend.createSession({
        spec,
        params: new Float32Array(paramTable(spec).total),
        batch: 8,
        learningRate: 0.001,
        train: toyDataset(1, 64),
        test: toyDataset(2, 32),
        optimizer: makeOptimizer('rmsprop', { centered: true }),
      });
      expect(backend.kernels.compiled.filter((key) => !before.includes(key) && !key.startsWith('matmul.'))).toEqual([
        'rmsprop_update',
      ]);

      expect(createKernels(gpu.device, nodeShaderLoader).compiled).toEqual([]);
      const out = run.output(4);
      await run.run('noop', [out], [], launch.noop());
      expect(run.kernels.compiled).toEqual(['noop']);
    } finally {
      run.destroy();
      backend.dispose();
      gpu.destroy();
    }
  });
});
