import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diagnosticGist } from '../src/gpu/dawn-node.js';

/**
 * What a newcomer's machine does that a developer's may not: no XDG_RUNTIME_DIR (a root shell, a CI job), and Vulkan
 * drivers that Dawn cannot use or none at all. The CLI must print only its own lines there.
 */

const root = path.resolve(import.meta.dirname, '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresh-machine-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI with `env` changed (undefined removes a variable), XDG_RUNTIME_DIR removed unless `env` sets it. */
function cliIn(env: Record<string, string | undefined>, ...args: string[]) {
  const merged: Record<string, string | undefined> = { ...process.env, XDG_RUNTIME_DIR: undefined, ...env };
  const clean = Object.fromEntries(
    Object.entries(merged).filter(([, value]) => value !== undefined),
  ) as NodeJS.ProcessEnv;
  const result = spawnSync(tsx, [path.join(root, 'src/cli/main.ts'), ...args], {
    encoding: 'utf8',
    cwd: root,
    env: clean,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The Vulkan loader's driver list, as a machine without a GPU driver has it: empty. */
const noDrivers = path.join(dir, 'icd.d');
fs.mkdirSync(noDrivers);
/** A driver manifest whose library is missing: the loader says so, then finds no driver. */
const missingDriver = path.join(dir, 'missing_icd.json');
fs.writeFileSync(
  missingDriver,
  JSON.stringify({
    file_format_version: '1.0.0',
    ICD: { library_path: '/nonexistent/libvulkan_missing.so', api_version: '1.3.0' },
  }),
);
/** Mesa's lavapipe (Debian's mesa-vulkan-drivers, which .ci/run installs): a driver Dawn rejects, with a warning. */
const lavapipe = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';
const drivers = (files: string) => ({ VK_ICD_FILENAMES: undefined, VK_DRIVER_FILES: files });

const run = ['train', '--train-limit', '640', '--layers', '784,16,10', '--epochs', '1'];

describe('XDG_RUNTIME_DIR', () => {
  const probe = (value: string | undefined) => {
    const script = `import { ensureRuntimeDir } from './src/gpu/dawn-node.ts';
      ensureRuntimeDir(); const d = process.env.XDG_RUNTIME_DIR; const s = (await import('node:fs')).statSync(d);
      console.log(JSON.stringify({ dir: d, mode: s.mode & 0o777, isDir: s.isDirectory() }));`;
    const env = { ...process.env, XDG_RUNTIME_DIR: value };
    if (value === undefined) delete env.XDG_RUNTIME_DIR;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: root,
      env,
    });
    expect(result.stderr).toBe('');
    return JSON.parse(result.stdout) as { dir: string; mode: number; isDir: boolean };
  };

  it('is given a private directory, removed at exit, where it is unset, relative or missing', () => {
    for (const value of [undefined, '', 'relative/run', path.join(dir, 'does-not-exist')]) {
      const seen = probe(value);
      expect(path.isAbsolute(seen.dir)).toBe(true);
      expect(seen.dir).not.toBe(value);
      expect(seen).toMatchObject({ isDir: true, mode: 0o700 });
      expect(fs.existsSync(seen.dir)).toBe(false);
    }
  });

  it('is kept where it names a directory', () => {
    expect(probe(dir).dir).toBe(dir);
  });
});

describe('a machine where Dawn finds no adapter', () => {
  const machines: [string, string, RegExp][] = [
    ['no Vulkan driver', noDrivers, /Dawn: vkCreateInstance: Found no drivers!/],
    [
      'a driver whose library is missing',
      missingDriver,
      /Dawn: \/nonexistent\/libvulkan_missing\.so: cannot open shared object file/,
    ],
  ];
  if (fs.existsSync(lavapipe))
    machines.push(['Mesa lavapipe', lavapipe, /Dawn: Vulkan shaderUniform\*ArrayDynamicIndexing required/]);

  it.each(machines)(
    '%s: --backend auto prints only our lines, saying why it takes the CPU',
    (_name, driver, reason) => {
      const result = cliIn(drivers(driver), ...run, '--backend', 'auto');
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const [first] = result.stdout.split('\n');
      expect(first).toMatch(
        /^backend auto: no WebGPU adapter found \(Dawn: .*\), training on the CPU \(--backend webgpu says how to get one\)$/,
      );
      expect(first).toMatch(reason);
      expect(result.stdout).toMatch(/\ndone: test accuracy \d+\.\d\d%/);
    },
  );

  it.each(machines)(
    "%s: --backend webgpu fails in one line with Dawn's reason; --verbose adds all that Dawn said",
    (_name, driver, reason) => {
      const quiet = cliIn(drivers(driver), ...run, '--backend', 'webgpu');
      expect(quiet.code).toBe(2);
      expect(quiet.stderr).toMatch(
        /^error: no WebGPU adapter found \(Dawn: [^\n]*\)\. On a machine with a GPU, [^\n]*apt-get[^\n]*or use --backend cpu\n$/,
      );
      expect(quiet.stderr).toMatch(reason);
      const loud = cliIn(drivers(driver), ...run, '--backend', 'webgpu', '--verbose');
      expect(loud.code).toBe(2);
      expect(loud.stderr).toMatch(
        /\nwhat the WebGPU implementation printed:\nWarning: .*\n[\s\S]*NoAdapterError: no WebGPU adapter found/,
      );
    },
  );
});

describe('diagnosticGist', () => {
  it('takes the first line Dawn said, without its prefix, context lines and source paths', () => {
    const said =
      'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.\n - While initializing adapter (backend=BackendType::Vulkan)\n    at InitializeImpl (/home/runner/dawn/PhysicalDeviceVk.cpp:257)\n';
    expect(diagnosticGist(said)).toBe('Dawn: Vulkan shaderUniform*ArrayDynamicIndexing required');
    expect(diagnosticGist('')).toBe('');
  });
});
