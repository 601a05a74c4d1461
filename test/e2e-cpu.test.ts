/**
 * A page that trains on the CPU on its main thread never freezes: Chromium's Long Tasks API reports no task over
 * 50 ms while a 20-256-256-2 network trains two epochs at batch 32 and is evaluated after each (test/e2e-cpu-page.ts,
 * bundled by esbuild and served as files).
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, ROOT } from './e2e-browser.js';
import { type StaticServer, serveStatic } from './e2e-server.js';

const PAGE = path.join(ROOT, 'test', 'output', 'cpu-page');

let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  fs.rmSync(PAGE, { recursive: true, force: true });
  fs.mkdirSync(PAGE, { recursive: true });
  await build({
    entryPoints: [path.join(ROOT, 'test', 'e2e-cpu-page.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: path.join(PAGE, 'page.js'),
    logLevel: 'warning',
  });
  fs.writeFileSync(
    path.join(PAGE, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>CPU training</title></head>' +
      '<body><script type="module" src="page.js"></script></body></html>',
  );
  server = await serveStatic(PAGE);
  browser = await launchChromium([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('training on the CPU in a page', () => {
  it('leaves no task over 50 ms on the main thread, the evaluation after each epoch included', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.url);
    await page.waitForFunction(() => 'runTraining' in globalThis, null, { timeout: 30_000 });
    const result = await page.evaluate(() =>
      (globalThis as unknown as { runTraining: () => Promise<Record<string, number | number[]>> }).runTraining(),
    );
    const { control, training, seconds, steps, accuracy } = result as {
      control: number[];
      training: number[];
      seconds: number;
      steps: number;
      accuracy: number;
    };
    expect(errors).toEqual([]);
    // The observer sees long tasks: a 120 ms busy loop is one.
    expect(control.length, 'long tasks of the 120 ms busy loop').toBe(1);
    expect(control[0]).toBeGreaterThanOrEqual(120);
    // Two epochs of 64 steps of 5-10 ms each, and two evaluations of 3,072 rows (test and training sets).
    expect(steps).toBe(128);
    expect(seconds).toBeGreaterThan(0.5);
    expect(accuracy).toBeGreaterThan(0.9);
    expect(training, `long tasks (ms) in ${seconds.toFixed(1)} s of training`).toEqual([]);
    await page.close();
  });
});
