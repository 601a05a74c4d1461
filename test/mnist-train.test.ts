import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { cli } from './cli-runner.js';

// The accuracy bar, as a person would run it: five epochs of the full MNIST training set with the default flags, on
// the fast CPU backend (about 11 s on 2 cores; the reference takes 80 s, and ends at 97.62%: docs/accuracy.md).
it('npm run train -- --backend wasm --epochs 5 reaches at least 97.3% test accuracy on MNIST', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-'));
  const report = path.join(dir, 'report.json');
  const { code, stderr } = cli('train', '--backend', 'wasm', '--epochs', '5', '--report', report);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const json = JSON.parse(fs.readFileSync(report, 'utf8'));
  expect(json.trainSamples).toBe(60000);
  expect(json.testAccuracy).toBeGreaterThanOrEqual(0.973);
  fs.rmSync(dir, { recursive: true });
});
