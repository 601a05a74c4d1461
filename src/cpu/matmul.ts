/**
 * The matmuls of the CPU reference: shaders/matmul.wgsl's nt, tn and nn forms. Its epilogues have their own
 * references: biasAdd and columnSum (bias.ts), relu and reluBackward (activations.ts), sgdUpdate (updates.ts).
 *
 * Matrices are row-major; weights use nn.Linear's layout (out, in), so a layer's forward pass is y = x · Wᵀ + b and
 * its backward pass needs dW = dYᵀ · x and dx = dY · W. Every output is a sum over p = 0 .. k-1 in that order, in
 * float64 from +0, rounded once to float32: a plain triple loop's value, the more accurate side of every parity test,
 * with a NaN or an infinity reaching the outputs it reaches in the GPU's kernels (test/nonfinite.test.ts). Each form
 * computes a small block of outputs at once so that every value loaded is used several times (bench/cpu.ts measures
 * them; bench/NOTES.md records why each is shaped as it is).
 */

/**
 * c = a · bᵀ: c is (m, n), a is (m, k), b is (n, k). A layer's forward pass. Kernel: shaders/matmul.wgsl, nt form.
 * Both operands are read along contiguous rows. A block of 2 × 4 outputs c[i..i+1, j..j+3] is computed together:
 * each value loaded from a is used four times and each from b twice, and the eight independent sums do not wait on
 * each other's additions.
 */
export function matmulNT(c: Float32Array, a: Float32Array, b: Float32Array, m: number, n: number, k: number): void {
  const n4 = n - (n % 4);
  for (let i = 0; i < m; i += 2) {
    // With m odd, the last row is paired with itself: computed twice, written twice with the same value.
    const i1 = i + 1 < m ? i + 1 : i;
    const a0 = i * k;
    const a1 = i1 * k;
    const c0 = i * n;
    const c1 = i1 * n;
    let j = 0;
    for (; j < n4; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0; // row i
      let s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0; // row i1
      for (let p = 0; p < k; p++) {
        const x0 = a[a0 + p];
        const x1 = a[a1 + p];
        const y0 = b[b0 + p];
        const y1 = b[b1 + p];
        const y2 = b[b2 + p];
        const y3 = b[b3 + p];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      c[c0 + j] = s00;
      c[c0 + j + 1] = s01;
      c[c0 + j + 2] = s02;
      c[c0 + j + 3] = s03;
      c[c1 + j] = s10;
      c[c1 + j + 1] = s11;
      c[c1 + j + 2] = s12;
      c[c1 + j + 3] = s13;
    }
    for (; j < n; j++) {
      const bRow = j * k;
      let s0 = 0;
      let s1 = 0;
      for (let p = 0; p < k; p++) {
        const y = b[bRow + p];
        s0 += a[a0 + p] * y;
        s1 += a[a1 + p] * y;
      }
      c[c0 + j] = s0;
      c[c1 + j] = s1;
    }
  }
}

/**
 * c = aᵀ · b: c is (m, n), a is (k, m), b is (k, n). A layer's weight gradient dW = dYᵀ · x.
 * Kernel: shaders/matmul.wgsl, tn form.
 */
export function matmulTN(c: Float32Array, a: Float32Array, b: Float32Array, m: number, n: number, k: number): void {
  matmulRowsOfB(c, a, b, m, n, k, 1, m); // a(i, p) = a[p·m + i]
}

/**
 * c = a · b: c is (m, n), a is (m, k), b is (k, n). A layer's input gradient dx = dY · W.
 * Kernel: shaders/matmul.wgsl, nn form.
 */
export function matmulNN(c: Float32Array, a: Float32Array, b: Float32Array, m: number, n: number, k: number): void {
  matmulRowsOfB(c, a, b, m, n, k, k, 1); // a(i, p) = a[i·k + p]
}

/**
 * c[i, j] = Σ_p a(i, p) · b[p, j] with a(i, p) = a[i·iStride + p·pStride]: the shared body of matmulTN and
 * matmulNN, which differ only in how a is laid out. For each output row i, the terms a(i, 0 .. k-1) are gathered once
 * into float64 (a strided column of a for matmulTN); then eight outputs c[i, j..j+7] are summed together, each a(i, p)
 * used eight times, with eight contiguous values of row p of b.
 *
 * A zero a(i, p) is left out where row p of b is finite: its terms are then exact zeros, and adding ±0 changes no
 * sum (each starts at +0 and round-to-nearest never makes one -0), so the bits are a plain loop's. ReLU zeroes most
 * of a layer's gradient, so this keeps the weight-gradient matmul about a third faster. Where row p holds an Inf or
 * NaN, 0 · b is NaN and is added, as a plain loop adds it.
 */
function matmulRowsOfB(
  c: Float32Array,
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  iStride: number,
  pStride: number,
): void {
  const rowOf = new Int32Array(k);
  const scale = new Float64Array(k);
  const finiteRow = new Uint8Array(k);
  for (let p = 0; p < k; p++) {
    let ok = 1;
    for (let j = p * n, end = j + n; j < end; j++)
      if (b[j] - b[j] !== 0) {
        ok = 0;
        break;
      } // x - x is NaN for Inf and NaN
    finiteRow[p] = ok;
  }
  const n8 = n - (n % 8);
  for (let i = 0; i < m; i++) {
    let count = 0;
    for (let p = 0; p < k; p++) {
      const v = a[i * iStride + p * pStride];
      if (v === 0 && finiteRow[p]) continue;
      rowOf[count] = p * n;
      scale[count] = v;
      count++;
    }
    const cRow = i * n;
    let j = 0;
    for (; j < n8; j += 8) {
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0,
        s4 = 0,
        s5 = 0,
        s6 = 0,
        s7 = 0;
      for (let t = 0; t < count; t++) {
        const v = scale[t];
        const bj = rowOf[t] + j;
        s0 += v * b[bj];
        s1 += v * b[bj + 1];
        s2 += v * b[bj + 2];
        s3 += v * b[bj + 3];
        s4 += v * b[bj + 4];
        s5 += v * b[bj + 5];
        s6 += v * b[bj + 6];
        s7 += v * b[bj + 7];
      }
      c[cRow + j] = s0;
      c[cRow + j + 1] = s1;
      c[cRow + j + 2] = s2;
      c[cRow + j + 3] = s3;
      c[cRow + j + 4] = s4;
      c[cRow + j + 5] = s5;
      c[cRow + j + 6] = s6;
      c[cRow + j + 7] = s7;
    }
    for (; j < n; j++) {
      let sum = 0;
      for (let t = 0; t < count; t++) sum += scale[t] * b[rowOf[t] + j];
      c[cRow + j] = sum;
    }
  }
}
