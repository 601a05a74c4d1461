import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

/**
 * Runs the CLI as test/cli-runner.ts does, with test/reliability-preload.ts standing in for the GPU: `mode` is its
 * RELIABILITY_GPU ("broken", or "lose-after:N").
 */
export function cliWithFaultyGpu(mode: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath,
    ['--import', 'tsx', '--import', './test/reliability-preload.ts', 'src/cli/main.ts', ...args],
    { encoding: 'utf8', cwd: root, env: { ...process.env, RELIABILITY_GPU: mode } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
