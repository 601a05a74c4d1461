import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that drive a GPU in the test process (SwiftShader in CI). They run without isolation, so that a worker
 * keeps its one device and the pipelines compiled on it from file to file (test/gpu-setup.ts): compiling is most of
 * their time. The other files run without isolation too (no test changes globals or mocks a module; vi.spyOn is
 * restored after each), which spares a process start and a module load per file, but in workers of their own: vitest
 * shares a worker only within a project, so the GPU files' navigator.gpu never reaches them.
 */
const GPU_FILES = [
  'test/gpu-*.test.ts',
  'test/api-gpu.test.ts',
  'test/nonfinite.test.ts',
  'test/kernel-definitions.test.ts',
  'test/reliability-gpu.test.ts',
  'test/reliability-cli.test.ts',
  'test/bench-quick.test.ts',
];

/**
 * The slowest files, slowest first, so that no long file starts last and runs alone. bench-quick is left out: it runs
 * after the listed GPU files, on pipelines they compiled.
 */
const SLOW_FIRST = [
  'gpu-train',
  'gpu-step',
  'gpu-table',
  'gpu-matmul',
  'api-gpu',
  'reliability-gpu',
  'nonfinite',
  'kernel-definitions',
  'gpu-optim',
  'gpu-evaluation',
  'reliability-cli',
  'gpu-tables',
  'package',
  'api-readme',
  'e2e',
  'mnist-train',
  'fresh-machine',
  'reliability-files',
  'cli-features',
  'table-cli',
  'cli',
];

/** The GPU files first (both workers keep their device through them), each group's slowest first. */
class SlowFirst extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const name = /([\w-]+)\.test\.ts$/.exec(spec.moduleId)?.[1] ?? '';
      const slow = SLOW_FIRST.indexOf(name);
      return (spec.project.name === 'gpu' ? 0 : 1000) + (slow === -1 ? SLOW_FIRST.length : slow);
    };
    return [...files].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    // GPU tests on SwiftShader and the MNIST training test are slow on 2 cores.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // Vitest's default leaves a core idle (one worker on 2 cores); the tests wait on child processes and the GPU too.
    maxWorkers: 2,
    sequence: { sequencer: SlowFirst },
    projects: [
      { extends: true, test: { name: 'gpu', include: GPU_FILES, isolate: false } },
      {
        extends: true,
        test: { name: 'other', include: ['test/**/*.test.ts'], exclude: GPU_FILES, isolate: false },
      },
    ],
  },
});
