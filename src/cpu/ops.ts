/**
 * The CPU reference: one plain function per GPU kernel, same names as the files in shaders/, arguments in the order
 * outputs, inputs, sizes. Matrices are row-major. Weights use nn.Linear's layout [out, in], so a layer's forward pass
 * is y = x · Wᵀ + b and its backward pass needs dW = dYᵀ · x and dx = dY · W: the three matmul forms below.
 *
 * Sums are taken in JavaScript numbers (float64) and stored as float32, which makes this the more accurate side of
 * every parity test. Loop orders keep the innermost loop on contiguous memory.
 */

/**
 * Builds a training batch from the data set: rows order[start .. start+batch) of the byte images, normalised as
 * (byte / 255 - mean) / std, and their labels. Kernel: shaders/gather.wgsl.
 * x: [batch, features], labelsOut: [batch], pixels: [samples, features], labels: [samples].
 */
export function gather(
  x: Float32Array, labelsOut: Uint32Array,
  pixels: Uint8Array, labels: Uint8Array, order: Uint32Array,
  start: number, batch: number, features: number, mean: number, std: number,
): void {
  const scale = 1 / (255 * std);
  const shift = mean / std;
  for (let r = 0; r < batch; r++) {
    const sample = order[start + r];
    const src = sample * features;
    const dst = r * features;
    for (let f = 0; f < features; f++) x[dst + f] = pixels[src + f] * scale - shift;
    labelsOut[r] = labels[sample];
  }
}

/** c = a · bᵀ. c: [m, n], a: [m, k], b: [n, k]. Forward pass of a layer. Kernel: shaders/matmul_nt.wgsl. */
export function matmulNT(c: Float32Array, a: Float32Array, b: Float32Array, m: number, n: number, k: number): void {
  for (let i = 0; i < m; i++) {
    const aRow = i * k;
    for (let j = 0; j < n; j++) {
      const bRow = j * k;
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[aRow + p] * b[bRow + p];
      c[i * n + j] = sum;
    }
  }
}

/** c = aᵀ · b. c: [m, n], a: [k, m], b: [k, n]. Weight gradient dW = dYᵀ · x. Kernel: shaders/matmul_tn.wgsl. */
export function matmulTN(c: Float32Array, a: Float32Array, b: Float32Array, m: number, n: number, k: number): void {
  c.fill(0, 0, m * n);
  for (let p = 0; p < k; p++) {
    const bRow = p * n;
    for (let i = 0; i < m; i++) {
      const scale = a[p * m + i];
      if (scale === 0) continue; // ReLU zeroes many gradients: skipping them changes no result
      const cRow = i * n;
      for (let j = 0; j < n; j++) c[cRow + j] += scale * b[bRow + j];
    }
  }
}

/** c = a · b. c: [m, n], a: [m, k], b: [k, n]. Input gradient dx = dY · W. Kernel: shaders/matmul_nn.wgsl. */
export function matmulNN(c: Float32Array, a: Float32Array, b: Float32Array, m: number, n: number, k: number): void {
  c.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const cRow = i * n;
    for (let p = 0; p < k; p++) {
      const scale = a[i * k + p];
      if (scale === 0) continue;
      const bRow = p * n;
      for (let j = 0; j < n; j++) c[cRow + j] += scale * b[bRow + j];
    }
  }
}

/** y[r, j] += bias[j]. y: [rows, n], bias: [n]. Kernel: shaders/bias_add.wgsl. */
export function biasAdd(y: Float32Array, bias: Float32Array, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const row = r * n;
    for (let j = 0; j < n; j++) y[row + j] += bias[j];
  }
}

/** y = max(x, 0), elementwise over `count` values (y may be x). Kernel: shaders/relu.wgsl. */
export function relu(y: Float32Array, x: Float32Array, count: number): void {
  for (let i = 0; i < count; i++) y[i] = x[i] > 0 ? x[i] : 0;
}

/** dx = dy where the forward output y was positive, else 0 (dx may be dy). Kernel: shaders/relu_backward.wgsl. */
export function reluBackward(dx: Float32Array, dy: Float32Array, y: Float32Array, count: number): void {
  for (let i = 0; i < count; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
}

/**
 * Fused softmax and cross-entropy over a batch: returns the mean loss, -mean(log softmax(logits)[label]), and when
 * dLogits is given writes its gradient, (softmax - onehot(label)) / rows. Subtracting each row's maximum keeps exp()
 * finite for any logits. dLogits, logits: [rows, classes]; labels: [rows]. Kernel: shaders/softmax_xent.wgsl.
 */
export function softmaxCrossEntropy(
  dLogits: Float32Array | null, logits: Float32Array, labels: Uint32Array, rows: number, classes: number,
): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const row = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[row + c]);
    let sumExp = 0;
    for (let c = 0; c < classes; c++) sumExp += Math.exp(logits[row + c] - max);
    const label = labels[r];
    total += Math.log(sumExp) - (logits[row + label] - max);
    if (dLogits) {
      for (let c = 0; c < classes; c++) {
        const p = Math.exp(logits[row + c] - max) / sumExp;
        dLogits[row + c] = (p - (c === label ? 1 : 0)) / rows;
      }
    }
  }
  return total / rows;
}

/** out[j] = Σ_r x[r, j]: the bias gradient. out: [n], x: [rows, n]. Kernel: shaders/column_sum.wgsl. */
export function columnSum(out: Float32Array, x: Float32Array, rows: number, n: number): void {
  out.fill(0, 0, n);
  for (let r = 0; r < rows; r++) {
    const row = r * n;
    for (let j = 0; j < n; j++) out[j] += x[row + j];
  }
}

/** params -= lr · grads, over every parameter at once. Kernel: shaders/sgd_update.wgsl. */
export function sgdUpdate(params: Float32Array, grads: Float32Array, lr: number, count: number): void {
  for (let i = 0; i < count; i++) params[i] -= lr * grads[i];
}

/** How many rows have their largest logit at the label (first maximum wins). Kernel: shaders/argmax_count.wgsl. */
export function countCorrect(logits: Float32Array, labels: Uint32Array, rows: number, classes: number): number {
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const row = r * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[row + c] > logits[row + best]) best = c;
    if (best === labels[r]) correct++;
  }
  return correct;
}
