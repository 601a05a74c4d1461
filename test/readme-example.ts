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
