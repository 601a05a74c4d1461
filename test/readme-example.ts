/** The README's "Use it from your code" example, as the code block that stands under that heading. */
export interface Example {
  language: 'js' | 'ts';
  code: string;
}

export function readmeExample(readme: string): Example {
  const heading = /^#+ Use it from your code\s*$/im.exec(readme);
  if (!heading) throw new Error('README.md has no "Use it from your code" heading');
  const rest = readme.slice(heading.index + heading[0].length);
  const block = /^```(js|javascript|ts|typescript)\n([\s\S]*?)^```$/m.exec(rest);
  const next = /^#+ /m.exec(rest);
  if (!block || (next && next.index < block.index))
    throw new Error('no js or ts code block under "Use it from your code" in README.md');
  return { language: block[1].startsWith('t') ? 'ts' : 'js', code: block[2] };
}

/** The command lines of the README's "From the command line" section: its sh block, without comments. */
export function readmeCommandLines(readme: string): string[] {
  const heading = /^#+ From the command line\s*$/im.exec(readme);
  if (!heading) throw new Error('README.md has no "From the command line" heading');
  const block = /^```sh\n([\s\S]*?)^```$/m.exec(readme.slice(heading.index + heading[0].length));
  if (!block) throw new Error('no sh code block under "From the command line" in README.md');
  return block[1]
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '');
}

/** The tarball the README's install section installs (`npm install ./NAME.tgz`). */
export function readmeTarball(readme: string): string {
  const install = /^npm install \.\/(\S+\.tgz)$/m.exec(readme);
  if (!install) throw new Error('README.md has no `npm install ./NAME.tgz` line');
  return install[1];
}

/** The js code blocks of a README section, in order, up to the next heading. */
export function readmeScripts(readme: string, heading: string): string[] {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "${heading}" heading`);
  const rest = readme.slice(start + heading.length + 2);
  const next = /^#+ /m.exec(rest);
  const section = next ? rest.slice(0, next.index) : rest;
  return [...section.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}
