// Writes a CSV table of random numbers for timing readCsvFile on a large file:
//   node bench/make-table.mjs OUT.csv [ROWS=1000000] [FEATURES=28]
// Features are decimals with up to six places, the last column a 0/1 label; the same seed gives the same file.
import fs from 'node:fs';

const [out, rowsArg = '1000000', featuresArg = '28'] = process.argv.slice(2);
if (!out) {
  console.error('usage: node bench/make-table.mjs OUT.csv [ROWS] [FEATURES]');
  process.exit(2);
}
const rows = Number(rowsArg);
const features = Number(featuresArg);

// A small seeded generator (mulberry32), so that runs time the same file.
let state = 12345;
const random = () => {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const fd = fs.openSync(out, 'w');
const header = [...Array.from({ length: features }, (_, j) => `f${j}`), 'label'].join(',');
let batch = [`${header}\n`];
for (let r = 0; r < rows; r++) {
  let sum = 0;
  const cells = Array.from({ length: features }, () => {
    const x = random() * 20 - 10;
    sum += x;
    return x.toFixed(6);
  });
  cells.push(sum > 0 ? '1' : '0');
  batch.push(`${cells.join(',')}\n`);
  if (batch.length === 10000) {
    fs.writeSync(fd, batch.join(''));
    batch = [];
  }
}
fs.writeSync(fd, batch.join(''));
fs.closeSync(fd);
