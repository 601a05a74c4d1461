import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { NoAdapterError, UserError } from '../errors.js';

/**
 * Dawn in Node: the `webgpu` package, an optional peer dependency (132 MB of five platforms' binaries that a page never
 * loads), loaded only here so that browser builds never see node: modules. Dawn and the Vulkan stack under it write
 * their diagnostics straight to the process's stderr, which JavaScript cannot redirect; probeDawn() therefore looks
 * for an adapter in a short child process whose stderr is captured.
 */

interface DawnModule {
  create(options: string[]): GPU;
  globals: object;
}

/** Why there is no WebGPU in Node without the package: a NoAdapterError's reason, so that `auto` takes the CPU. */
const NOT_INSTALLED = 'WebGPU in Node needs Dawn, the "webgpu" package, which is not installed: npm install webgpu';

/** Where `webgpu` lives, as a URL a child process can import. */
function dawnUrl(): string {
  let file: string;
  try {
    file = createRequire(import.meta.url).resolve('webgpu');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new NoAdapterError(NOT_INSTALLED, NOT_INSTALLED);
  }
  return pathToFileURL(file).href;
}

/**
 * Mesa's Vulkan layers (loaded whenever Mesa's drivers are installed, whichever driver is chosen) start libwayland,
 * which prints "error: XDG_RUNTIME_DIR is invalid or not set" unless the variable holds an absolute path. A root
 * shell or a CI job often has none: give the process a private, empty one (mkdtemp makes it 0700), removed at exit.
 * It must be set before Dawn creates its Vulkan instance, and children inherit it.
 */
export function ensureRuntimeDir(): void {
  const current = process.env.XDG_RUNTIME_DIR;
  if (current && path.isAbsolute(current) && fs.statSync(current, { throwIfNoEntry: false })?.isDirectory()) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webgpu-mlp-runtime-'));
  process.env.XDG_RUNTIME_DIR = dir;
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
}

/** Loads Dawn, its WebGPU constants (GPUBufferUsage, ...) made globals as in a browser, and creates an instance. */
export async function createDawn(dawnOptions: string[]): Promise<GPU> {
  ensureRuntimeDir();
  const url = dawnUrl();
  let dawn: DawnModule;
  try {
    dawn = (await import(url)) as DawnModule;
  } catch (error) {
    const why = (error as Error).message;
    throw new UserError(`cannot load the "webgpu" package (Dawn for Node): ${why}; reinstall it: npm install webgpu`);
  }
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  return dawn.create(dawnOptions);
}

/** What a child process saw of Dawn: whether it found an adapter, and what Dawn and Vulkan printed meanwhile. */
export interface DawnProbe {
  found: boolean;
  /** Dawn's and the Vulkan loader's own lines (stderr), for a verbose report. */
  diagnostics: string;
}

// Prints "adapter" or "none"; exits explicitly, since a live Dawn instance keeps Node running.
const PROBE_SCRIPT = `(async () => {
  const [url, options, powerPreference] = JSON.parse(process.argv[1]);
  const { create } = await import(url);
  const adapter = await create(options).requestAdapter({ powerPreference });
  process.stdout.write(adapter ? 'adapter' : 'none', () => process.exit(0));
})();`;

const PROBE_TIMEOUT_MS = 60_000;

/**
 * Asks Dawn for an adapter in a child process, so that a machine without one shows nothing of Dawn's noise: only if
 * this finds one does the caller start Dawn in its own process. Costs one Node start and one adapter discovery.
 */
export async function probeDawn(dawnOptions: string[], powerPreference: GPUPowerPreference): Promise<DawnProbe> {
  ensureRuntimeDir();
  const args = ['-e', PROBE_SCRIPT, JSON.stringify([dawnUrl(), dawnOptions, powerPreference])];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: PROBE_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      const failure = error ? `the probe exited with ${error.signal ?? `code ${error.code}`}` : '';
      resolve({
        found: !error && stdout === 'adapter',
        diagnostics: [stderr.trim(), failure].filter(Boolean).join('\n'),
      });
    });
  });
}

/**
 * The first line of Dawn's diagnostics, which says why there is no adapter, without its "Warning:" prefix, the
 * context lines and the source paths of Dawn's build machine: "Dawn: vkCreateInstance: Found no drivers!".
 */
export function diagnosticGist(diagnostics: string): string {
  const first = diagnostics
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line && !/^(at |- )/.test(line));
  return first ? `Dawn: ${first.replace(/^(warning|error):\s*/i, '').replace(/\.$/, '')}` : '';
}
