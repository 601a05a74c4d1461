import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { run } from '../src/cli/run.js';

const root = path.resolve(import.meta.dirname, '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as a person would (through tsx, as `npm run train` does), without a terminal: a child process, for
 * what only the bin shows (its exit code as the shell sees it, stderr that Dawn and Vulkan write to directly).
 */
export function cli(...args: string[]): CliResult {
  const result = spawnSync(tsx, [path.join(root, 'src/cli/main.ts'), ...args], { encoding: 'utf8', cwd: root });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the CLI in this process (src/cli/run.ts, which the bin calls on the process's own streams) with its output
 * collected: the same code, messages and exit code as `cli`, without a Node start and a module load per run.
 */
export async function runCli(...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: { write: (text) => (stdout += text) },
    stderr: { write: (text) => (stderr += text) },
  });
  return { code, stdout, stderr };
}
