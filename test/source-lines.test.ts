/**
 * What the formatter leaves to people: it wraps code at 120 characters, but not comments or strings, so no line of
 * src/ (the generated embedded files aside) may be longer.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const GENERATED = ['shaders-embedded.ts', 'kernels-embedded.ts'];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return entry.name.endsWith('.ts') && !GENERATED.includes(entry.name) ? [file] : [];
  });
}

describe('the sources', () => {
  it('have no line longer than 120 characters', () => {
    const files = sources('src');
    expect(files.length).toBeGreaterThan(50);
    const long = files.flatMap((file) =>
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => ([...line].length > 120 ? [`${file}:${i + 1} (${[...line].length})`] : [])),
    );
    expect(long).toEqual([]);
  });
});
