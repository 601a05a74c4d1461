/**
 * Every relative link and #anchor in README.md and docs/*.md leads somewhere: the file exists, and an anchor names a
 * heading of the file it points into (as GitHub makes anchors of headings).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const pages = [
  'README.md',
  'examples/README.md',
  ...fs
    .readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The text outside fenced code blocks and inline code, where a link is a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchors of a file's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} +(.+?) *#* *$/gm)) {
    const base = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Every link target in a page's prose: [text](target) and ![alt](target), without a title. */
function linksOf(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?: +"[^"]*")?\)/g)].map((m) => m[1]);
}

describe('links in the README and docs', () => {
  it('finds the pages and their links', () => {
    expect(pages).toContain('docs/api.md');
    expect(linksOf(fs.readFileSync(path.join(root, 'README.md'), 'utf8')).length).toBeGreaterThan(10);
  });

  it('makes GitHub anchors of headings', () => {
    expect([
      ...anchorsOf("# A table's model in PyTorch\n## In a page\n## In a page\n```sh\n# not a heading\n```"),
    ]).toEqual(['a-tables-model-in-pytorch', 'in-a-page', 'in-a-page-1']);
  });

  for (const page of pages) {
    it(`${page}: every relative link and anchor resolves`, () => {
      const broken: string[] = [];
      for (const target of linksOf(fs.readFileSync(path.join(root, page), 'utf8'))) {
        if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:: outside the repository by intent
        const [file, anchor] = target.split('#');
        const resolved = file
          ? path.resolve(root, path.dirname(page), decodeURIComponent(file))
          : path.join(root, page);
        if (!resolved.startsWith(root + path.sep)) {
          broken.push(`${target} (outside the repository)`);
          continue;
        }
        if (!fs.existsSync(resolved)) {
          broken.push(`${target} (no such file)`);
          continue;
        }
        if (anchor !== undefined && !anchorsOf(fs.readFileSync(resolved, 'utf8')).has(anchor))
          broken.push(`${target} (no heading makes #${anchor})`);
      }
      expect(broken).toEqual([]);
    });
  }
});
