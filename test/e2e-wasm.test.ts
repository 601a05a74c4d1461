/**
 * The wasm backend in Chromium: in a cross-origin-isolated page its kernels run on Web Workers too, and give bitwise
 * what one thread gives, within float32 rounding of the reference (test/e2e-wasm-page.ts, bundled by Vite).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, ROOT, watchPage } from './e2e-browser.js';
import { type StaticServer, serveStatic } from './e2e-server.js';
import { relativeError } from './helpers.js';

const PAGE = path.join(ROOT, 'test', 'output', 'wasm-page');
const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  fs.rmSync(PAGE, { recursive: true, force: true });
  fs.mkdirSync(PAGE, { recursive: true });
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir: PAGE,
      lib: { entry: path.join(ROOT, 'test', 'e2e-wasm-page.ts'), formats: ['es'], fileName: () => 'page.js' },
    },
  });
  fs.writeFileSync(
    path.join(PAGE, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>wasm</title></head>' +
      '<body><script type="module" src="page.js"></script></body></html>',
  );
  server = await serveStatic(PAGE, ISOLATED);
  browser = await launchChromium([]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface Trained {
  loss: number;
  params: number[];
}

describe('the wasm backend in Chromium', () => {
  it('multiplies and trains as the reference does, on two threads (Web Workers) bitwise as on one', async () => {
    const page = await browser.newPage();
    const { errors } = watchPage(page, server.url.slice(0, -1));
    await page.goto(server.url);
    await page.waitForFunction(() => 'wasmResult' in globalThis);
    const result = (await page.evaluate(
      () => (globalThis as unknown as { wasmResult: Promise<unknown> }).wasmResult,
    )) as {
      isolated: boolean;
      threads: number;
      device: string;
      matmulError: number;
      one: Trained;
      two: Trained;
      reference: Trained;
    };
    expect(result.isolated).toBe(true);
    expect(result.threads).toBe(2);
    // Chromium has relaxed SIMD: the matmuls take its fused multiply-add.
    expect(result.device).toBe('WebAssembly relaxed SIMD (2 threads, in the browser)');
    expect(result.matmulError, 'the matmuls within float32 summation error of the reference').toBeLessThan(1e-5);
    expect(result.two.params).toEqual(result.one.params);
    expect(result.two.loss).toBe(result.one.loss);
    expect(relativeError(result.one.params, result.reference.params)).toBeLessThan(1e-5);
    expect(Math.abs(result.one.loss - result.reference.loss)).toBeLessThan(1e-5);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
