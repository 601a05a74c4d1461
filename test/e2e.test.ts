/**
 * The browser demo, end to end: Vite builds it, a plain static server serves it on 127.0.0.1, and Debian's Chromium
 * (headless, driven by playwright-core) uses it as a person would: it trains a small network on WebGPU (SwiftShader)
 * on a subset of MNIST, watches the first layer's weights change, draws a digit with the mouse, saves and loads the
 * model, trains a second run with another optimiser and activation and compares the two, opens the shared link,
 * trains on a CSV table dropped on the page, counts the GPU buffers after every run, and, in a second browser
 * without WebGPU, reads the message that says so, trains on the CPU instead, and races three learning rates there.
 * The second browser gets the same build from `vite preview`, which sends the .gz files with Content-Encoding: gzip
 * (the browser unzips them before the page sees them), so the page is shown to read MNIST from either kind of server.
 * Screenshots go to test/output/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu/backend.js';
import { decodeModel } from '../src/io/model-codec.js';
import { makeSpec } from '../src/model/spec.js';
import { train } from '../src/train/trainer.js';
import { buildDemo, launchChromium, ROOT, WEBGPU, watchPage } from './e2e-browser.js';
import { type StaticServer, serveStatic } from './e2e-server.js';

const OUTPUT = path.join(ROOT, 'test', 'output');
const BUILD = path.join(OUTPUT, 'demo-build');
/** A small run SwiftShader trains in seconds: 2,000 training digits, 500 test digits, 784-32-10, two epochs. */
const SMALL_RUN = '?train=2000&test=500';
const SETTINGS = { hidden: '32', batch: '32', lr: '0.1', epochs: '2', seed: '1' };
/** The second run: another optimiser and activation, one epoch. */
const SECOND = { optimizer: 'adam', activation: 'tanh' };

/**
 * Whether the library's epoch records carry the training accuracy: the page shows it exactly when they do (it
 * computes none of its own), so this asks the trainer, on a tiny table on the CPU.
 */
async function libraryReportsTrainAccuracy(): Promise<boolean> {
  const set = { inputs: new Uint8Array([0, 255, 255, 0]), labels: new Uint8Array([0, 1]), count: 2, features: 2 };
  const result = await train(
    new CpuBackend(),
    makeSpec([2, 2]),
    { train: set, test: set },
    { epochs: 1, batch: 2, learningRate: 0.1, seed: 1, logEvery: 1 },
  );
  return 'trainAccuracy' in result.history[0];
}

/** Three clusters of points around (0, 0), (4, 0) and (0, 4), named by colour: a table any classifier learns. */
function clustersCsv(rows: number): string {
  const centres: [string, number, number][] = [
    ['red', 0, 0],
    ['green', 4, 0],
    ['blue', 0, 4],
  ];
  const lines = ['x,y,colour'];
  for (let i = 0; i < rows; i++) {
    const [name, cx, cy] = centres[i % 3];
    // A fixed wobble instead of random numbers: the same file every run.
    lines.push(`${(cx + Math.sin(i * 1.7)).toFixed(3)},${(cy + Math.cos(i * 2.3)).toFixed(3)},${name}`);
  }
  return lines.join('\n');
}

/** Drops a file on the page as a person drags it from their desktop. */
async function dropFile(page: Page, name: string, text: string): Promise<void> {
  const transfer = await page.evaluateHandle(
    ([fileName, body]) => {
      const data = new DataTransfer();
      data.items.add(new File([body], fileName, { type: 'text/csv' }));
      return data;
    },
    [name, text],
  );
  await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: transfer });
}

/**
 * The curves a chart draws: "run:kind" to the number of points. Charts redraw on the next animation frame, so this
 * reads them after one.
 */
async function curves(page: Page, chart: string): Promise<Map<string, number>> {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  const text = (await page.getAttribute(chart, 'data-curves')) ?? '';
  return new Map(
    text
      .split(',')
      .filter(Boolean)
      .map((entry) => {
        const [run, kind, points] = entry.split(':');
        return [`${run}:${kind}`, Number(points)];
      }),
  );
}

let server: StaticServer;
/** The same build through `vite preview`, as `npx vite preview demo` serves it after `npm run build:demo`. */
let previewUrl: string;
let previewServer: PreviewServer | undefined;

beforeAll(async () => {
  fs.mkdirSync(OUTPUT, { recursive: true });
  buildDemo(BUILD);
  server = await serveStatic(BUILD);
  previewServer = await preview({
    configFile: path.join(ROOT, 'demo', 'vite.config.ts'),
    build: { outDir: BUILD },
    preview: { host: '127.0.0.1', port: 0, open: false },
    logLevel: 'warn',
  });
  previewUrl = previewServer.resolvedUrls?.local[0] ?? '';
  expect(previewUrl, 'vite preview listens on 127.0.0.1').toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
});

afterAll(async () => {
  await server?.close();
  await previewServer?.close();
});

const stateOf = (page: Page) => page.getAttribute('#status', 'data-state');

async function waitForState(page: Page, states: string[], timeout: number): Promise<string> {
  await page.waitForFunction(
    (wanted) => wanted.includes(document.getElementById('status')?.dataset.state ?? ''),
    states,
    { timeout, polling: 100 },
  );
  return (await stateOf(page))!;
}

async function fill(page: Page, settings: Record<string, string>): Promise<void> {
  for (const [id, value] of Object.entries(settings)) await page.fill(`#${id}`, value);
}

/** A vertical stroke down the middle of the pad, as a person draws a 1: press, eleven moves, release. */
async function drawOne(page: Page): Promise<void> {
  await page.locator('#pad').scrollIntoViewIfNeeded();
  const box = (await page.locator('#pad').boundingBox())!;
  const x = box.x + box.width * 0.52;
  await page.mouse.move(x - box.width * 0.04, box.y + box.height * 0.2);
  await page.mouse.down();
  for (let i = 1; i <= 11; i++)
    await page.mouse.move(x - box.width * 0.04 * (1 - i / 11), box.y + box.height * (0.2 + 0.055 * i));
  await page.mouse.up();
}

async function probabilities(page: Page): Promise<number[]> {
  return page.$$eval('#probabilities .prob', (rows) => rows.map((row) => Number((row as HTMLElement).dataset.p)));
}

describe('the demo with WebGPU (SwiftShader)', () => {
  let browser: Browser;
  let page: Page;
  let watch: ReturnType<typeof watchPage>;

  beforeAll(async () => {
    browser = await launchChromium(WEBGPU);
    page = await browser.newPage({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
    watch = watchPage(page, server.url.slice(0, -1));
    await page.goto(server.url + SMALL_RUN);
    await waitForState(page, ['ready', 'error'], 60_000);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('loads MNIST from its own server and shows the WebGPU adapter', async () => {
    expect(await page.textContent('#status')).toMatch(/^Ready/);
    expect(await page.getAttribute('#adapter', 'data-kind')).toBe('webgpu');
    expect(await page.textContent('#adapter')).toMatch(/WebGPU · .*swiftshader/i);
    expect(await page.isHidden('#notice')).toBe(true);
    expect(await page.inputValue('#backend')).toBe('webgpu');
    expect(await page.textContent('#data-note')).toContain(
      'first 2,000 of 60,000 training digits and 500 of 10,000 test digits',
    );
    expect(server.requests).toContain('/mnist/train-images-idx3-ubyte.gz');
  });

  it('trains without freezing the page: the loss falls, it pauses and resumes, and an accuracy appears', async () => {
    await fill(page, SETTINGS);
    expect(await page.textContent('#architecture')).toBe('784 → 32 → 10 · 25,450 parameters');
    await page.click('#start');
    await page.waitForFunction(() => document.getElementById('stat-loss')?.dataset.last !== undefined, null, {
      timeout: 60_000,
    });

    // The page answers while the GPU trains: a round trip through its main thread stays short.
    let slowest = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await page.evaluate(() => document.getElementById('stat-step')?.textContent);
      slowest = Math.max(slowest, performance.now() - t0);
    }
    expect(slowest, 'main-thread round trip during training, ms').toBeLessThan(2000);

    await page.click('#pause');
    expect(await waitForState(page, ['paused'], 10_000)).toBe('paused');
    expect(await page.textContent('#pause')).toBe('Resume');
    // The steps in flight when Pause was pressed land first; then the page says it stands still.
    await page.waitForSelector('#status[data-halted="true"]', { timeout: 30_000 });
    expect(await page.textContent('#status')).toMatch(/^Paused at epoch 1, step \d+\./);
    const stepWhenPaused = await page.textContent('#stat-step');
    await page.waitForTimeout(800);
    expect(await page.textContent('#stat-step'), 'no steps while paused').toBe(stepWhenPaused);
    await page.click('#pause');

    expect(await waitForState(page, ['done', 'error'], 120_000), (await page.textContent('#status'))!).toBe('done');
    const first = Number(await page.getAttribute('#stat-loss', 'data-first'));
    const last = Number(await page.getAttribute('#stat-loss', 'data-last'));
    expect(first).toBeGreaterThan(1); // near ln 10 = 2.3 at the start
    expect(last, `loss ${first} → ${last}`).toBeLessThan(0.6 * first);
    const accuracy = Number(await page.getAttribute('#stat-accuracy', 'data-value'));
    expect(await page.textContent('#stat-accuracy')).toMatch(/^\d+\.\d\d%$/);
    expect(accuracy).toBeGreaterThan(0.75); // 85% with these settings; chance is 10%
    expect(await page.textContent('#stat-epoch')).toBe('2 / 2');
    expect(Number(await page.getAttribute('#stat-speed', 'data-value'))).toBeGreaterThan(0);

    // The confusion matrix is counted on the CPU from the weights the GPU trained: it agrees with the GPU's own
    // evaluation (to a tie or two in the argmax).
    const correct = Number(await page.getAttribute('#confusion', 'data-correct'));
    expect(Number(await page.getAttribute('#confusion', 'data-total'))).toBe(500);
    expect(Math.abs(correct / 500 - accuracy)).toBeLessThanOrEqual(2 / 500);
    expect(await page.locator('#confusion tr').count()).toBe(11);
    expect(Number(await page.getAttribute('#mistakes', 'data-count'))).toBe(500 - correct);
    expect(await page.locator('#mistakes figure').count()).toBe(Math.min(40, 500 - correct));

    // The first layer's weights, one 28x28 image per hidden unit, drawn after each epoch: they changed between them.
    expect(await page.getAttribute('#weights', 'data-units')).toBe('32');
    const epochs = (await page.getAttribute('#weights', 'data-epochs'))!.split(',');
    expect(epochs.map((e) => e.split(':')[0])).toEqual(['1', '2']);
    expect(epochs[0].split(':')[1], 'the weight images after epochs 1 and 2').not.toBe(epochs[1].split(':')[1]);
    expect(Number(await page.getAttribute('#weights', 'data-updates'))).toBeGreaterThanOrEqual(3);

    // The run stays in the table of runs and on the charts.
    const row = page.locator('#run-rows tr[data-run="1"]');
    expect(await row.getAttribute('data-status')).toBe('done');
    expect(Number(await row.getAttribute('data-test-accuracy'))).toBe(accuracy);
    const loss = await curves(page, '#loss-chart');
    expect(loss.get('1:training loss')).toBeGreaterThanOrEqual(50); // 62 steps an epoch, a point every chunk
    expect(loss.get('1:test loss')).toBe(2);
    expect((await curves(page, '#epoch-chart')).get('1:test accuracy')).toBe(2);

    // Training accuracy beside the test accuracy, exactly where the library's epoch records have it.
    const reported = await libraryReportsTrainAccuracy();
    expect((await curves(page, '#epoch-chart')).get('1:training accuracy')).toBe(reported ? 2 : undefined);
    expect((await row.getAttribute('data-train-accuracy')) !== null).toBe(reported);
    expect(await page.textContent('#stat-train-accuracy')).toMatch(reported ? /^\d+\.\d\d%$/ : /^–$/);
  });

  it('reads a digit drawn with the mouse', async () => {
    expect(await page.getAttribute('#prediction', 'data-digit')).toBe('');
    await drawOne(page);
    await page.waitForFunction(() => document.getElementById('prediction')?.dataset.digit !== '', null, {
      timeout: 10_000,
    });
    const probs = await probabilities(page);
    expect(probs).toHaveLength(10);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(
      await page.getAttribute('#prediction', 'data-digit'),
      `probabilities ${probs.map((p) => p.toFixed(3))}`,
    ).toBe('1');
    expect(await page.textContent('#prediction')).toBe('1');
    expect(await page.getAttribute('#activations', 'data-layers'), 'one hidden layer of 32 units').toBe('32');
    await page.screenshot({ path: path.join(OUTPUT, 'demo-e2e.png'), fullPage: true });
  });

  it('saves the model as the CLI does, and loads it back', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    expect(download.suggestedFilename()).toBe('mnist-784-32-10.safetensors');
    const file = path.join(OUTPUT, 'demo-e2e-model.safetensors');
    await download.saveAs(file);
    const { spec, params } = decodeModel(new Uint8Array(fs.readFileSync(file)), file);
    expect(spec.layers).toEqual([784, 32, 10]);
    expect(params.every(Number.isFinite)).toBe(true);

    const correctBefore = await page.getAttribute('#confusion', 'data-correct');
    await page.click('#reset');
    expect(await stateOf(page)).toBe('ready');
    expect(await page.textContent('#stat-accuracy')).toBe('–');
    // No model, so no answer (the prediction is redrawn on the next animation frame).
    await page.waitForFunction(() => document.getElementById('prediction')?.dataset.digit === '', null, {
      timeout: 5_000,
    });

    await page.setInputFiles('#load', file);
    await page.waitForFunction(() => document.getElementById('model-status')?.dataset.loaded !== undefined, null, {
      timeout: 30_000,
    });
    expect(await page.textContent('#model-status')).toMatch(
      /^Loaded demo-e2e-model\.safetensors \(784-32-10\): \d+\.\d\d% of 500/,
    );
    expect(await page.getAttribute('#confusion', 'data-correct')).toBe(correctBefore);
    // The drawing is still there, read with the loaded model on the next animation frame.
    await page.waitForFunction(() => document.getElementById('prediction')?.dataset.digit === '1', null, {
      timeout: 5_000,
    });
  });

  it('stops a run part-way on Reset, and clears what it showed', async () => {
    await page.click('#start');
    await page.waitForFunction(() => document.getElementById('stat-loss')?.dataset.last !== undefined, null, {
      timeout: 60_000,
    });
    await page.click('#reset');
    expect(await stateOf(page)).toBe('ready');
    await page.waitForTimeout(1500); // long enough for a chunk in flight to land, and be ignored
    expect(await stateOf(page)).toBe('ready');
    expect(await page.textContent('#stat-step')).toBe('–');
    expect(await page.getAttribute('#stat-loss', 'data-last')).toBeNull();
    expect(await page.isDisabled('#save')).toBe(true);
    expect(await page.isEnabled('#start')).toBe(true);
  });

  it('compares a second run with another optimiser and activation: both curves and both rows', async () => {
    await page.selectOption('#optimizer', SECOND.optimizer);
    expect(await page.inputValue('#lr'), "Adam's default rate").toBe('0.001');
    expect(await page.isVisible('#beta1')).toBe(true);
    expect(await page.isVisible('#momentum')).toBe(false);
    await page.selectOption('#activation', SECOND.activation);
    await fill(page, { lr: '0.003', epochs: '1' });
    await page.click('#start');
    expect(await waitForState(page, ['done', 'error'], 120_000), (await page.textContent('#status'))!).toBe('done');

    // Run 1 (SGD, ReLU), run 2 (stopped by Reset above) and run 3 (Adam, tanh) are all in the table.
    expect(await page.locator('#run-rows tr').count()).toBe(3);
    expect(await page.getAttribute('#run-rows tr[data-run="2"]', 'data-status')).toBe('stopped');
    const third = page.locator('#run-rows tr[data-run="3"]');
    expect(await third.getAttribute('data-status')).toBe('done');
    expect(Number(await third.getAttribute('data-test-accuracy'))).toBeGreaterThan(0.75);
    expect(await third.textContent()).toContain('adam lr 0.003 · tanh · 784-32-10');
    expect(await page.textContent('#run-legend li[data-run="1"]')).toContain('sgd lr 0.1 · relu · 784-32-10');
    const loss = await curves(page, '#loss-chart');
    expect(loss.get('1:training loss')).toBeGreaterThanOrEqual(50);
    expect(loss.get('3:training loss')).toBeGreaterThanOrEqual(25);
    const accuracy = await curves(page, '#epoch-chart');
    expect([accuracy.get('1:test accuracy'), accuracy.get('3:test accuracy')]).toEqual([2, 1]);
    await page.screenshot({ path: path.join(OUTPUT, 'demo-e2e-compare.png'), fullPage: true });
    await page
      .locator('#progress-title')
      .locator('..')
      .screenshot({ path: path.join(OUTPUT, 'demo-e2e-charts.png') });

    // Hidden, a run leaves the charts but stays in the table; removed, it leaves both.
    await page.click('#run-rows tr[data-run="1"] .run-show');
    await page.waitForFunction(
      () => !document.getElementById('loss-chart')?.dataset.curves?.includes('1:training loss'),
      null,
      { timeout: 5_000 },
    );
    expect(await page.locator('#run-rows tr').count()).toBe(3);
    await page.click('#run-rows tr[data-run="2"] .run-remove');
    await page.waitForFunction(() => document.querySelectorAll('#run-rows tr').length === 2, null, { timeout: 5_000 });
    await page.click('#run-rows tr[data-run="1"] .run-show');
    await page.waitForFunction(
      () => document.getElementById('loss-chart')?.dataset.curves?.includes('1:training loss'),
      null,
      { timeout: 5_000 },
    );
  });

  it('records the settings in the address: the link opens the page with them, and the CLI command matches', async () => {
    const link = page.url();
    expect(new URL(link).searchParams.get('optimizer')).toBe('adam');
    const command = await page.textContent('#cli-command');
    expect(command).toBe(
      'npm run train -- --hidden 32 --batch-size 32 --learning-rate 0.003 --optimizer adam --activation tanh --train-limit 2000 --backend webgpu',
    );
    const other = await browser.newPage();
    await other.goto(link);
    await waitForState(other, ['ready', 'error'], 60_000);
    const values = await Promise.all(
      [
        'hidden',
        'batch',
        'lr',
        'epochs',
        'seed',
        'optimizer',
        'activation',
        'loss',
        'schedule',
        'beta1',
        'weight-decay',
      ].map((id) => other.inputValue(`#${id}`)),
    );
    expect(values).toEqual([
      '32',
      '32',
      '0.003',
      '1',
      '1',
      'adam',
      'tanh',
      'softmax-cross-entropy',
      'constant',
      '0.9',
      '0',
    ]);
    expect(await other.textContent('#cli-command')).toBe(command);
    expect(await other.textContent('#data-note')).toContain('first 2,000 of 60,000 training digits');
    await other.close();
  });

  it('trains on a CSV table dropped on the page, which never leaves it', async () => {
    // Every line the page shows while it reads the file (a new text node each time the line is set).
    await page.evaluate(() => {
      const lines: string[] = [];
      Object.assign(window, { readingLines: lines });
      new MutationObserver((records) => {
        for (const record of records) record.addedNodes.forEach((node) => lines.push(node.textContent ?? ''));
      }).observe(document.getElementById('table-reading')!, { childList: true });
    });
    await dropFile(page, 'clusters.csv', clustersCsv(90));
    await page.waitForSelector('#table-options:not([hidden])', { timeout: 5_000 });
    // A file of 2 kB is read in one chunk: the line shows 0%, then 100%, and is hidden once the table is read.
    expect(await page.evaluate(() => (window as unknown as { readingLines: string[] }).readingLines)).toEqual([
      'Reading clusters.csv: 0% (0.0 of 0.0 MB)',
      'Reading clusters.csv: 100% (0.0 of 0.0 MB)',
    ]);
    expect(await page.isHidden('#table-reading')).toBe(true);
    expect(await page.inputValue('#target')).toBe('colour');
    expect(await page.textContent('#data-note')).toMatch(
      /^clusters\.csv: 90 rows of 3 columns; 72 train, the other 18/,
    );
    expect(await page.isHidden('#draw'), 'no drawing pad for a table').toBe(true);
    // The CLI's defaults for a table: Adam at 0.001, a batch of min(200, rows), 200 epochs.
    expect([
      await page.inputValue('#optimizer'),
      await page.inputValue('#lr'),
      await page.inputValue('#batch'),
      await page.inputValue('#epochs'),
    ]).toEqual(['adam', '0.001', '72', '200']);
    expect(await page.textContent('#architecture')).toBe('2 → 100 → 3 · 603 parameters');
    await fill(page, { lr: '0.05', epochs: '40' });
    expect(await page.textContent('#cli-command')).toBe(
      'npm run train -- --data clusters.csv --learning-rate 0.05 --epochs 40 --backend webgpu',
    );
    await page.click('#start');
    expect(await waitForState(page, ['done', 'error'], 120_000), (await page.textContent('#status'))!).toBe('done');
    const row = page.locator('#run-rows tr[data-run="4"]');
    expect(Number(await row.getAttribute('data-test-accuracy'))).toBeGreaterThanOrEqual(0.9);
    expect((await curves(page, '#epoch-chart')).get('4:test accuracy')).toBe(40);
    await page.screenshot({ path: path.join(OUTPUT, 'demo-e2e-table.png'), fullPage: true });
    await page.click('#use-mnist');
    expect(await page.isVisible('#draw')).toBe(true);
  });

  it('leaves no GPU buffer behind after any run: the count after each is the same', async () => {
    const counts = (await page.getAttribute('#adapter', 'data-buffers-after-runs'))!.split(',').map(Number);
    expect(counts).toHaveLength(4); // runs 1 to 4: finished, stopped, finished, a table
    expect(new Set(counts)).toEqual(new Set([counts[0]]));
  });

  it('asked nothing of any other server, and logged no errors', () => {
    expect(watch.outside).toEqual([]);
    expect(watch.errors).toEqual([]);
  });
});

describe('the demo without WebGPU', () => {
  let browser: Browser;
  /** The page of the first test, which the race goes on with (one page load for both). */
  let cpuPage: Page;

  beforeAll(async () => {
    // No --enable-unsafe-webgpu: headless Chromium on a machine without a GPU then offers no adapter.
    browser = await launchChromium([]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('reads MNIST through vite preview, says there is no adapter, in plain words, and trains on the CPU instead', async () => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    cpuPage = page;
    const watch = watchPage(page, previewUrl.slice(0, -1));
    const encodings = new Map<string, string | undefined>();
    page.on('response', (response) => {
      const { pathname } = new URL(response.url());
      if (pathname.endsWith('.gz')) encodings.set(pathname, response.headers()['content-encoding']);
    });
    await page.goto(`${previewUrl}${SMALL_RUN}&hidden=16&batch-size=32&epochs=1`);
    await waitForState(page, ['ready', 'error'], 60_000);
    expect(await page.textContent('#data-note')).toContain(
      'first 2,000 of 60,000 training digits and 500 of 10,000 test digits',
    );
    // vite preview sent the digits gzip-encoded: the page got them unzipped by the browser, and read them.
    expect(encodings.get('/mnist/train-images-idx3-ubyte.gz')).toBe('gzip');
    expect(encodings.get('/mnist/t10k-labels-idx1-ubyte.gz')).toBe('gzip');
    expect(await page.isVisible('#notice')).toBe(true);
    expect(await page.textContent('#notice-headline')).toBe(
      'This browser has WebGPU, but it found no graphics adapter to use.',
    );
    expect(await page.getAttribute('#adapter', 'data-kind')).toBe('none');
    expect(await page.inputValue('#backend')).toBe('wasm');
    expect(await page.locator('#backend option[value="webgpu"]').isDisabled()).toBe(true);

    await page.click('#use-cpu');
    expect(await waitForState(page, ['done', 'error'], 60_000), (await page.textContent('#status'))!).toBe('done');
    expect(await page.getAttribute('#adapter', 'data-kind')).toBe('wasm');
    // vite preview serves the demo cross-origin isolated: the wasm backend trains on a Web Worker per core too.
    expect(await page.textContent('#adapter')).toMatch(/^WebAssembly relaxed SIMD \(\d+ threads?, in the browser\)$/);
    expect(Number(await page.getAttribute('#stat-accuracy', 'data-value'))).toBeGreaterThan(0.6);
    await drawOne(page);
    await page.waitForFunction(() => document.getElementById('prediction')?.dataset.digit !== '', null, {
      timeout: 10_000,
    });
    await page.screenshot({ path: path.join(OUTPUT, 'demo-e2e-no-webgpu.png'), fullPage: true });
    expect(watch.errors).toEqual([]);
  });

  it('races learning rates on the CPU: a curve per rate, the diverged one marked, the table best first', async () => {
    const page = cpuPage;
    const errors = watchPage(page, previewUrl.slice(0, -1)).errors;
    // The defaults: rates from three times the form's (SGD's 0.1) down to a tenth of it.
    expect(await page.inputValue('#race-setting')).toBe('learningRate');
    expect(await page.inputValue('#race-values')).toBe('0.3, 0.1, 0.03, 0.01');
    await page.fill('#race-values', '1e6, 0.1, 0.001');
    await page.click('#race-start');
    await page.waitForFunction(
      () => /^Race 1 done|^Training failed/.test(document.getElementById('status')?.textContent ?? ''),
      null,
      { timeout: 60_000, polling: 100 },
    );
    expect(await page.textContent('#status')).toMatch(
      /^Race 1 done in [\d.]+ s: learning rate 0\.1 ranks first \(validation \d+\.\d\d%\); its model gets \d+\.\d\d% of/,
    );
    // Runs 2, 3 and 4 are the rates 1e6, 0.1 and 0.001 (run 1 trained above); the table lists them best first.
    const rows = await page.$$eval('#run-rows tr[data-race="1"]', (trs) =>
      trs.map((tr) => {
        const { run, rank, score, status } = (tr as HTMLElement).dataset;
        return { run, rank, score: Number(score), status };
      }),
    );
    expect(rows.map((r) => [r.run, r.rank, r.status])).toEqual([
      ['3', '1', 'done'],
      ['4', '2', 'done'],
      ['2', '3', 'diverged'],
    ]);
    expect(rows[0].score).toBeGreaterThan(rows[1].score + 0.2);
    expect(rows[2].score).toBeNaN();
    expect(await page.textContent('#run-rows tr[data-run="2"] .run-race')).toContain('1 of 1 diverged');
    expect(await page.textContent('#run-rows tr[data-run="3"] .run-race')).toMatch(
      /^validation \d+\.\d\d% ± 0\.00 · loss \d\.\d{3} · 1 epoch$/,
    );
    // One curve of each kind per rate, in its colour; the diverged one ends where it diverged, with a mark there.
    const loss = await curves(page, '#loss-chart');
    for (const run of ['3', '4']) {
      expect(loss.get(`${run}:training loss`)).toBeGreaterThanOrEqual(25);
      expect(loss.get(`${run}:validation loss`)).toBe(1);
    }
    expect(loss.get('2:training loss')).toBeLessThan(loss.get('3:training loss')!);
    expect(loss.get('2:diverged')).toBe(1);
    expect(loss.get('3:diverged')).toBeUndefined();
    const accuracy = await curves(page, '#epoch-chart');
    expect(['2', '3', '4'].map((run) => accuracy.get(`${run}:validation accuracy`))).toEqual([0, 1, 1]);
    expect(await page.textContent('#run-legend li[data-run="2"]')).toBe('#2 Learning rate 1000000 · race 1 · diverged');
    // The best model is the page's now: it reads the digit drawn above.
    expect(await page.textContent('#model-status')).toBe('The best of race 1 (learning rate 0.1), 784-16-10.');
    await page.waitForFunction(() => document.getElementById('prediction')?.dataset.digit !== '', null, {
      timeout: 10_000,
    });
    await page
      .locator('#progress-title')
      .locator('..')
      .screenshot({ path: path.join(OUTPUT, 'demo-e2e-race.png') });

    // A longer race, stopped part-way: its curves stop growing, and its settings join the table as stopped.
    await fill(page, { epochs: '50' });
    await page.click('#race-start');
    await page.waitForFunction(
      () => /6:validation loss:[1-9]/.test(document.getElementById('loss-chart')?.dataset.curves ?? ''),
      null,
      {
        timeout: 30_000,
      },
    );
    await page.click('#race-stop');
    expect(await stateOf(page)).toBe('ready');
    await page.waitForFunction(() => document.querySelectorAll('#run-rows tr[data-race="2"]').length === 3, null, {
      timeout: 10_000,
    });
    const stopped = await curves(page, '#loss-chart');
    await page.waitForTimeout(500);
    expect(await curves(page, '#loss-chart'), 'no points after Stop').toEqual(stopped);
    expect(stopped.get('6:validation loss')).toBeLessThan(50);
    expect(
      await page.$$eval('#run-rows tr[data-race="2"]', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.status)),
    ).toEqual(['stopped', 'stopped', 'stopped']);
    expect(await page.textContent('#model-status')).toBe('No model: the race was stopped before it ended.');
    expect(await page.isEnabled('#race-start')).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('says the browser has no WebGPU at all where navigator.gpu is missing', async () => {
    const page = await browser.newPage();
    await page.addInitScript(() => {
      delete (Navigator.prototype as { gpu?: unknown }).gpu;
    });
    await page.goto(previewUrl + SMALL_RUN);
    await page.waitForSelector('#notice:not([hidden])', { timeout: 30_000 });
    expect(await page.evaluate(() => 'gpu' in navigator)).toBe(false);
    expect(await page.textContent('#notice-headline')).toBe(
      'This browser does not offer WebGPU, so the network cannot train on your GPU here.',
    );
    expect(await page.textContent('#use-cpu')).toBe('Train on the CPU instead');
    await page.close();
  });
});
