/**
 * A layer's bias, forward and backward, in the CPU reference: the BIAS and BIAS_GRAD epilogues of shaders/matmul.wgsl.
 * Matrices are row-major.
 */

/** y[r, j] += bias[j]: y is (rows, n), bias is (n). Kernel: matmul.wgsl's BIAS epilogue. */
export function biasAdd(y: Float32Array, bias: Float32Array, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const row = r * n;
    for (let j = 0; j < n; j++) y[row + j] += bias[j];
  }
}

/** out[j] = Σ_r x[r, j], the bias gradient: out is (n), x is (rows, n). Kernel: matmul.wgsl's BIAS_GRAD epilogue. */
export function columnSum(out: Float32Array, x: Float32Array, rows: number, n: number): void {
  const sums = new Float64Array(n); // summed in float64 like every other op, rounded once when stored
  for (let r = 0; r < rows; r++) {
    const row = r * n;
    for (let j = 0; j < n; j++) sums[j] += x[row + j];
  }
  out.set(sums);
}
