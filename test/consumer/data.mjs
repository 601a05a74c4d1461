// Three clusters of colours in four features, from a fixed formula: the same rows in Node and in the page.
export function clusters(count, offset = 0) {
  const names = ['red', 'green', 'blue'];
  const x = [];
  const y = [];
  for (let i = offset; i < offset + count; i++) {
    const c = i % 3;
    const wobble = (k) => Math.sin(i * 12.9898 + k * 78.233) * 0.35;
    x.push([c === 0 ? 1 : 0, c === 1 ? 1 : 0, c === 2 ? 1 : 0, c / 2].map((v, k) => v + wobble(k)));
    y.push(names[c]);
  }
  return { x, y };
}
