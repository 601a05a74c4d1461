/**
 * The step-rate race in headless Chromium (`npm run bench -- --steps A,C --browser`): Vite builds bench/steps-page,
 * a server on 127.0.0.1 serves it cross-origin isolated (COOP and COEP, so jax-js's Wasm can use threads), and
 * Debian's chromium, driven by playwright-core, runs it with WebGPU on SwiftShader.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { STEP_LEARNING_RATE, type StepsResult } from './steps.js';
import { DEFAULT_ROUND_MS, DEFAULT_ROUNDS, type StepsArgs } from './steps-node.js';
import type { PageRace, PageRaceResult } from './steps-page/protocol.js';

const PAGE = path.join(import.meta.dirname, 'steps-page');
const CHROMIUM = '/usr/bin/chromium';
/** Without the background flags Chromium tries to reach Google's servers; the others give it WebGPU on SwiftShader. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
];
/** The whole race, at most: C on the CPU reference takes seconds a step. */
const RACE_TIMEOUT_MS = 60 * 60_000;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** A static server for `root` whose pages are cross-origin isolated. */
async function serveIsolated(root: string): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = path.join(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
    if (!file.startsWith(root + path.sep) || !fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Builds the race page into a temporary folder (the caller removes it). */
async function buildPage(): Promise<string> {
  const { build } = await import('vite');
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'webgpu-mlp-steps-'));
  await build({
    configFile: false,
    root: PAGE,
    base: './',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2048 },
  });
  return outDir;
}

/** The race in a page of headless Chromium; progress lines to `say`. */
export async function runBrowserSteps(
  args: StepsArgs,
  command: string,
  say: (line: string) => void,
): Promise<StepsResult> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`--browser drives Debian's chromium at ${CHROMIUM}: apt-get install chromium libvulkan1`);
  }
  const rounds = args.rounds ?? DEFAULT_ROUNDS;
  const roundMs = args.roundMs ?? DEFAULT_ROUND_MS;
  say('building the race page ...');
  const outDir = await buildPage();
  const server = await serveIsolated(outDir);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    page.on('console', (message) => {
      const text = message.text();
      if (text.startsWith('steps: ')) say(`page: ${text.slice(7)}`);
      else if (message.type() === 'error') say(`page console error: ${text}`);
    });
    page.on('pageerror', (error) => say(`page error: ${error.message}`));
    const race: PageRace = { steps: args.steps, contenders: args.contenders, rounds, roundMs };
    await page.goto(`${server.url}?race=${encodeURIComponent(JSON.stringify(race))}`);
    const handle = await page.waitForFunction(() => (window as { stepsRace?: unknown }).stepsRace, undefined, {
      timeout: RACE_TIMEOUT_MS,
    });
    const result = (await handle.jsonValue()) as PageRaceResult;
    if (!result.ok) throw new Error(`the race page failed: ${result.error}`);
    return {
      version: 1,
      mode: 'steps',
      date: new Date().toISOString(),
      command,
      where: result.where,
      crossOriginIsolated: result.crossOriginIsolated,
      rounds,
      roundMs,
      learningRate: STEP_LEARNING_RATE,
      workloads: result.workloads,
    };
  } finally {
    await browser.close();
    server.close();
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}
