/** Debian's Chromium, driven by playwright-core, and the demo built by Vite for the end-to-end test. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const CHROMIUM = '/usr/bin/chromium';

/** Without the background flags Chromium tries to reach Google's servers (and is refused: there is no network). */
const QUIET = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
/** WebGPU on SwiftShader, the software Vulkan driver that Debian's chromium ships: works without a GPU. */
export const WEBGPU = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

/** Builds the demo into outDir with Vite's CLI, as `npm run build:demo` does (but not into demo/dist). */
export function buildDemo(outDir: string): void {
  const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  // The environment of `npm run build:demo`, without what vitest sets (NODE_ENV=test would change Vite's defaults).
  const env = { ...process.env };
  delete env.NODE_ENV;
  delete env.VITEST;
  const result = spawnSync(
    process.execPath,
    [vite, 'build', 'demo', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0)
    throw new Error(`vite build failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  if (!fs.existsSync(path.join(outDir, 'index.html'))) throw new Error(`vite build wrote no index.html to ${outDir}`);
}

export async function launchChromium(extraArgs: string[]): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the end-to-end test drives Debian's chromium (apt-get install chromium libvulkan1)`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...QUIET, ...extraArgs] });
}

/** What went wrong in a page: uncaught exceptions, console errors, and requests to anywhere but `origin`. */
export function watchPage(page: Page, origin: string): { errors: string[]; outside: string[] } {
  const errors: string[] = [];
  const outside: string[] = [];
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) outside.push(url);
  });
  return { errors, outside };
}
