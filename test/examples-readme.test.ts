/**
 * examples/README.md says how to run every example, both in a project that installed the package and in a clone,
 * and names only files there are. (test/examples-suite.ts runs them.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const EXAMPLES = path.resolve(import.meta.dirname, '..', 'examples');
const readme = fs.readFileSync(path.join(EXAMPLES, 'README.md'), 'utf8');

/** The sh code blocks under a `## heading`, joined. */
function commands(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `examples/README.md has a "${heading}" section`).toBeGreaterThan(0);
  const rest = readme.slice(start + heading.length + 5);
  const section = rest.slice(0, /^## /m.exec(rest)?.index ?? rest.length);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]).join('');
}

describe('examples/README.md', () => {
  const scripts = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.mjs'));

  it('finds the examples', () => {
    expect(scripts).toEqual(expect.arrayContaining(['xor.mjs', 'iris.mjs', 'regression.mjs', 'mnist.mjs']));
  });

  for (const [heading, prefix] of [
    ['From an installed package', ''],
    ['From a clone of this repository', 'examples/'],
  ]) {
    it(`"${heading}" runs every example, and only files that exist`, () => {
      const lines = commands(heading);
      const run = [...lines.matchAll(/^node (\S+\.mjs)/gm)].map((m) => m[1]);
      expect(new Set(run)).toEqual(new Set(scripts.map((f) => `${prefix}${f}`)));
      expect(lines).toMatch(new RegExp(`^npx vite ${prefix}worker-page`, 'm'));
      expect(fs.existsSync(path.join(EXAMPLES, 'worker-page', 'index.html'))).toBe(true);
    });
  }
});
