import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Every module the file reaches through static imports and re-exports (type-only ones left out), by path. */
function staticGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (file: string) => {
    if (graph.has(file)) return;
    const source = fs.readFileSync(file, 'utf8');
    const specifiers = [...source.matchAll(/^(?:import|export)(?!\s+type\b)[^'";]*?from\s+'([^']+)'/gms)].map(
      (m) => m[1],
    );
    graph.set(file, specifiers);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts'));
    }
  };
  visit(path.join(ROOT, entry));
  return graph;
}

describe('the main entry', () => {
  it('reaches no Node module and not Dawn, so a page bundle never pulls them in', () => {
    const graph = staticGraph('src/index.ts');
    expect(graph.size).toBeGreaterThan(20); // the walk follows the entry's modules
    const outside = [...graph].flatMap(([file, specifiers]) =>
      specifiers.filter((s) => !s.startsWith('.')).map((s) => `${path.relative(ROOT, file)} imports ${s}`),
    );
    expect(outside.filter((line) => / imports (node:|webgpu$|fs$|path$|url$)/.test(line))).toEqual([]);
  });

  it('while the Node entry does reach them (the walk sees what it is meant to find)', () => {
    const graph = staticGraph('src/node.ts');
    const specifiers = [...graph.values()].flat();
    expect(specifiers.some((s) => s.startsWith('node:'))).toBe(true);
  });
});
