// Points in a square around a circle of radius 1, each labelled inside or outside it: a round boundary to learn.
// The same seed gives the same points, so the worker's training points and the page's test points never change.
export function points(count, seed) {
  let state = seed;
  const random = () => (state = (state * 16807) % 2147483647) / 2147483647; // a tiny seeded generator
  const x = [];
  const y = [];
  for (let i = 0; i < count; i++) {
    const point = [3 * random() - 1.5, 3 * random() - 1.5];
    x.push(point);
    y.push(Math.hypot(...point) < 1 ? 'inside' : 'outside');
  }
  return { x, y };
}
