/**
 * A page that trains on the CPU on its main thread never freezes: while a 20-256-256-2 network trains two epochs at
 * batch 32 and is evaluated after each (test/e2e-cpu-page.ts, bundled by Vite and served as files), no task of the
 * page's main thread works for 50 ms (by the thread's own clock in Chromium's trace), and the Long Tasks API reports
 * no long task where the machine gave the thread a core.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, ROOT } from './e2e-browser.js';
import { type StaticServer, serveStatic } from './e2e-server.js';

const PAGE = path.join(ROOT, 'test', 'output', 'cpu-page');

let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  fs.rmSync(PAGE, { recursive: true, force: true });
  fs.mkdirSync(PAGE, { recursive: true });
  // Vite's library build: the page's script with the library in it, one ES module.
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir: PAGE,
      lib: { entry: path.join(ROOT, 'test', 'e2e-cpu-page.ts'), formats: ['es'], fileName: () => 'page.js' },
    },
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

/** A task of the page's main thread in Chromium's trace: its wall-clock and thread (CPU) milliseconds. */
interface TracedTask {
  wallMs: number;
  cpuMs: number;
}

type TraceEvent = { name: string; ph: string; pid: number; tid: number; ts: number; dur?: number; tdur?: number } & {
  args?: { name?: string };
};

/** The main-thread tasks of the page between its performance marks training-start and training-end. */
function trainingTasks(trace: Buffer): TracedTask[] {
  const parsed = JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  const main = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const mark = (name: string) => events.find((e) => e.name === name && e.pid === main?.pid)?.ts;
  const [from, to] = [mark('training-start'), mark('training-end')];
  if (!main || from === undefined || to === undefined) throw new Error('the trace has no main thread or no marks');
  return events
    .filter(
      (e) =>
        e.name === 'ThreadControllerImpl::RunTask' &&
        e.pid === main.pid &&
        e.tid === main.tid &&
        e.ts + (e.dur ?? 0) > from,
    )
    .filter((e) => e.ts < to)
    .map((e) => ({ wallMs: (e.dur ?? 0) / 1000, cpuMs: (e.tdur ?? 0) / 1000 }));
}

describe('training on the CPU in a page', () => {
  it('leaves no task over 50 ms on the main thread, the evaluation after each epoch included', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.url);
    await page.waitForFunction(() => 'runTraining' in globalThis, null, { timeout: 30_000 });
    await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing'] });
    const result = await page.evaluate(() =>
      (globalThis as unknown as { runTraining: () => Promise<Record<string, number | number[]>> }).runTraining(),
    );
    const tasks = trainingTasks(await browser.stopTracing());
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
    expect(tasks.length, 'tasks while training').toBeGreaterThan(20);
    // The work of every task, by the thread's own clock: what the library holds the thread for.
    const busiest = Math.max(...tasks.map((task) => task.cpuMs));
    expect(busiest, 'the most CPU time of one task while training, ms').toBeLessThan(50);
    // The Long Tasks API times tasks by the wall clock, which on a machine whose cores other processes share also
    // counts the time the thread waited for one. Where it had a core for most of the training (its tasks' thread time
    // at least 80% of their wall time), the browser reports no long task at all.
    const wall = tasks.reduce((sum, task) => sum + task.wallMs, 0);
    const cpu = tasks.reduce((sum, task) => sum + task.cpuMs, 0);
    const report = `long tasks (ms) ${JSON.stringify(training)} in ${seconds.toFixed(1)} s of training, its tasks' thread time ${((100 * cpu) / wall).toFixed(0)}% of their wall time`;
    if (cpu >= 0.8 * wall) expect(training, report).toEqual([]);
    else
      console.log(`a machine busy with other work: ${report}; the most thread time of a task ${busiest.toFixed(1)} ms`);
    await page.close();
  });
});
