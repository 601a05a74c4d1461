/**
 * The README's "Use it from your code" example, run from source (its import of 'webgpu-mlp' pointed at src/index.ts)
 * in a process of its own: it must train and answer, and the process must exit by itself. A second script leaves a
 * CPU and a WebGPU model undisposed, which must not keep Node alive either.
 */
import './gpu-setup.js';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-readme-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const entry = JSON.stringify(path.join(root, 'src/index.ts'));

/** Runs a module of TypeScript in its own Node process; a script that does not exit by itself is killed at the timeout. */
function runScript(
  name: string,
  code: string,
): { code: number | null; signal: string | null; stdout: string; stderr: string } {
  const file = path.join(dir, name);
  fs.writeFileSync(file, code);
  const result = spawnSync(tsx, [file], { encoding: 'utf8', cwd: root, timeout: 240_000 });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** The first ts code block after a heading. */
function readmeExample(readme: string, heading: string): string {
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error(`no ts code block after ${heading}`);
  return match[1];
}

describe('the README example', () => {
  it('runs from source and exits by itself', () => {
    const example = readmeExample(fs.readFileSync(path.join(root, 'README.md'), 'utf8'), '## Use it from your code');
    expect(example).toContain("from 'webgpu-mlp'");
    expect(example.trim().split('\n').length).toBeLessThanOrEqual(14);
    const result = runScript('readme.mts', example.replace("from 'webgpu-mlp'", `from ${entry}`));
    expect(result.stderr).toBe('');
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^setosa \[/);
  });

  it('models dropped without dispose() do not keep Node alive', () => {
    const result = runScript(
      'dropped.mts',
      `import { MLP } from ${entry};
const x = [[0, 1], [1, 0], [0.9, 0.1], [0.1, 0.8]];
const y = ['a', 'b', 'b', 'a'];
for (const backend of ['cpu', 'webgpu'] as const) {
  const model = await MLP.create({ inputs: 2, hidden: [4], outputs: 2, backend });
  await model.fit(x, y, { epochs: 2, batchSize: 2 });
  console.log(backend, (await model.predict(x)).rows);
}
`,
    );
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('cpu 4\nwebgpu 4\n');
  });
});
