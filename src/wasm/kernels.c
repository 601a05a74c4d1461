// The wasm backend's kernels: WebAssembly SIMD (f32x4) matmuls and the elementwise work of a training step, compiled
// by scripts/build-wasm.mjs with clang for wasm32 into src/wasm/kernels-embedded.ts. Freestanding C: no libc, no
// static data and no stack, so that several threads can run one module on one shared memory.
//
// Every kernel that may run on several threads takes (part, parts) and does only its share. A share is a set of whole
// outputs, each computed exactly as one thread would compute it, so results never depend on the number of threads.
// Pointers are byte offsets into the memory that src/wasm/memory.ts hands out, 16-byte aligned.

#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef unsigned int u32;

// c + a·b on four lanes: one fused (or not: the engine's choice) multiply-add where the build has relaxed SIMD, else a
// multiply and an add, each rounded.
#ifdef __wasm_relaxed_simd__
typedef float f32x4 __attribute__((__vector_size__(16)));
#define MADD(c, a, b) ((v128_t)__builtin_wasm_relaxed_madd_f32x4((f32x4)(a), (f32x4)(b), (f32x4)(c)))
#else
#define MADD(c, a, b) wasm_f32x4_add(c, wasm_f32x4_mul(a, b))
#endif

/** Rows of a and b a matmul block keeps in the L1 cache between passes over the outputs. */
#define KC 256

static int min(int a, int b) { return a < b ? a : b; }

/** [begin, end) of part `part` of `parts` over count units of `unit` items each: whole units per part. */
static void share(int count, int unit, int part, int parts, int* begin, int* end) {
  int units = (count + unit - 1) / unit;
  int lo = (int)((long long)units * part / parts) * unit;
  int hi = (int)((long long)units * (part + 1) / parts) * unit;
  *begin = min(lo, count);
  *end = min(hi, count);
}

// c(m, n) = A · b, with A(i, p) = a[i·rs + p·ps] and b (k, n) row-major: rs = k, ps = 1 is a row-major A (the nn
// form), rs = 1, ps = m a transposed one (the tn form). A layer's forward pass runs it on the transposed weights.
// Each output is the float32 sum of A(i, p)·b(p, j) for p = 0 .. k-1 in that order, then + bias[j] where bias is
// given. The columns of c are shared between threads in whole blocks of 8.
//
// As in GotoBLAS: k is cut into blocks of KC; for each, a thread copies its columns of b into panels of 8 columns
// (KC × 8 contiguous floats) and, for each 4 rows of c, those rows of A into one panel (KC × 4), so that the inner
// loop reads two short contiguous streams that stay in the cache instead of a new page of memory per p. Blocks of
// 4 rows × 8 columns are computed together (eight f32x4 sums): each b vector loaded is used 4 times, each A value 8.
// `scratch` holds every thread's panels, `stride` floats apart: KC · (8 + its columns rounded up to 8).

/** The 4 × 8 block at c from packed panels: ap (kc × 4) and bp (kc × 8). */
static void block4x8(float* c, int n, const float* ap, const float* bp, int kc, int first) {
  v128_t c00, c01, c10, c11, c20, c21, c30, c31;
  if (first) {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = wasm_f32x4_splat(0);
  } else {
    c00 = wasm_v128_load(c), c01 = wasm_v128_load(c + 4);
    c10 = wasm_v128_load(c + n), c11 = wasm_v128_load(c + n + 4);
    c20 = wasm_v128_load(c + 2 * n), c21 = wasm_v128_load(c + 2 * n + 4);
    c30 = wasm_v128_load(c + 3 * n), c31 = wasm_v128_load(c + 3 * n + 4);
  }
  for (int p = 0; p < kc; p++, ap += 4, bp += 8) {
    v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
    v128_t a0 = wasm_v128_load32_splat(ap), a1 = wasm_v128_load32_splat(ap + 1);
    v128_t a2 = wasm_v128_load32_splat(ap + 2), a3 = wasm_v128_load32_splat(ap + 3);
    c00 = MADD(c00, a0, b0), c01 = MADD(c01, a0, b1);
    c10 = MADD(c10, a1, b0), c11 = MADD(c11, a1, b1);
    c20 = MADD(c20, a2, b0), c21 = MADD(c21, a2, b1);
    c30 = MADD(c30, a3, b0), c31 = MADD(c31, a3, b1);
  }
  wasm_v128_store(c, c00), wasm_v128_store(c + 4, c01);
  wasm_v128_store(c + n, c10), wasm_v128_store(c + n + 4, c11);
  wasm_v128_store(c + 2 * n, c20), wasm_v128_store(c + 2 * n + 4, c21);
  wasm_v128_store(c + 3 * n, c30), wasm_v128_store(c + 3 * n + 4, c31);
}

/** One row of eight outputs (the rows of c below a multiple of 4): A as it is, b from its panel. */
static void block1x8(float* c, const float* a, int ps, const float* bp, int kc, int first) {
  v128_t c0 = first ? wasm_f32x4_splat(0) : wasm_v128_load(c);
  v128_t c1 = first ? wasm_f32x4_splat(0) : wasm_v128_load(c + 4);
  for (int p = 0; p < kc; p++, bp += 8) {
    v128_t x = wasm_f32x4_splat(a[p * ps]);
    c0 = MADD(c0, x, wasm_v128_load(bp));
    c1 = MADD(c1, x, wasm_v128_load(bp + 4));
  }
  wasm_v128_store(c, c0), wasm_v128_store(c + 4, c1);
}

/** One output, for the columns right of a multiple of 8: the same float32 sum in the same order. */
static void single(float* c, const float* a, int ps, const float* b, int n, int kc, int first) {
  float sum = first ? 0 : *c;
  for (int p = 0; p < kc; p++) sum += a[p * ps] * b[p * n];
  *c = sum;
}

EXPORT(matmul)
void matmul(float* c, const float* a, const float* b, const float* bias, int m, int n, int k, int rs, int ps,
            float* scratch, int stride, int part, int parts) {
  int j0, j1;
  share(n, 8, part, parts, &j0, &j1);
  int panels = (j1 - j0) / 8;
  int j8 = j0 + panels * 8;
  int m4 = m / 4 * 4;
  float* ap = scratch + part * stride;
  float* bp = ap + 4 * KC;
  if (k == 0) {
    for (int i = 0; i < m; i++)
      for (int j = j0; j < j1; j++) c[i * n + j] = 0;
  }
  for (int p0 = 0; p0 < k; p0 += KC) {
    int kc = min(KC, k - p0);
    int first = p0 == 0;
    const float* ak = a + p0 * ps;
    const float* bk = b + p0 * n;
    for (int t = 0; t < panels; t++) {
      float* panel = bp + t * kc * 8;
      const float* from = bk + j0 + t * 8;
      for (int p = 0; p < kc; p++) {
        wasm_v128_store(panel + p * 8, wasm_v128_load(from + p * n));
        wasm_v128_store(panel + p * 8 + 4, wasm_v128_load(from + p * n + 4));
      }
    }
    for (int i = 0; i < m4; i += 4) {
      const float* rows = ak + i * rs;
      for (int p = 0; p < kc; p++)
        for (int r = 0; r < 4; r++) ap[p * 4 + r] = rows[r * rs + p * ps];
      for (int t = 0; t < panels; t++) block4x8(c + i * n + j0 + t * 8, n, ap, bp + t * kc * 8, kc, first);
    }
    for (int i = m4; i < m; i++)
      for (int t = 0; t < panels; t++) block1x8(c + i * n + j0 + t * 8, ak + i * rs, ps, bp + t * kc * 8, kc, first);
    for (int i = 0; i < m; i++)
      for (int j = j8; j < j1; j++) single(c + i * n + j, ak + i * rs, ps, bk + j, n, kc, first);
  }
  if (bias) {
    for (int i = 0; i < m; i++)
      for (int j = j0; j < j1; j++) c[i * n + j] += bias[j];
  }
}

/** t (cols, rows) = sᵀ for s (rows, cols): a layer's weights (out, in) laid out for the forward matmul. */
EXPORT(transpose)
void transpose(float* t, const float* s, int rows, int cols, int part, int parts) {
  int r0, r1;
  share(rows, 8, part, parts, &r0, &r1);
  for (int c0 = 0; c0 < cols; c0 += 32) {
    int c1 = min(c0 + 32, cols);
    for (int r = r0; r < r1; r++)
      for (int c = c0; c < c1; c++) t[c * rows + r] = s[r * cols + c];
  }
}

/** out[j] = Σ_r x[r, j] (float32, r ascending): the bias gradient; out is (n), x is (rows, n). */
EXPORT(column_sum)
void column_sum(float* out, const float* x, int rows, int n, int part, int parts) {
  int j0, j1;
  share(n, 4, part, parts, &j0, &j1);
  int j4 = j0 + (j1 - j0) / 4 * 4;
  for (int j = j0; j < j4; j += 4) {
    v128_t s = wasm_f32x4_splat(0);
    for (int r = 0; r < rows; r++) s = wasm_f32x4_add(s, wasm_v128_load(x + r * n + j));
    wasm_v128_store(out + j, s);
  }
  for (int j = j4; j < j1; j++) {
    float s = 0;
    for (int r = 0; r < rows; r++) s += x[r * n + j];
    out[j] = s;
  }
}

/** y = x > 0 ? x : 0 over count values (a NaN gives 0, as the reference's comparison does); y may be x. */
EXPORT(relu)
void relu(float* y, const float* x, int count, int part, int parts) {
  int i0, i1;
  share(count, 4, part, parts, &i0, &i1);
  int i4 = i0 + (i1 - i0) / 4 * 4;
  v128_t zero = wasm_f32x4_splat(0);
  for (int i = i0; i < i4; i += 4) wasm_v128_store(y + i, wasm_f32x4_pmax(zero, wasm_v128_load(x + i)));
  for (int i = i4; i < i1; i++) y[i] = x[i] > 0 ? x[i] : 0;
}

/** dx = x > 0 ? dy : 0 over count values; dx may be dy. */
EXPORT(relu_backward)
void relu_backward(float* dx, const float* dy, const float* x, int count, int part, int parts) {
  int i0, i1;
  share(count, 4, part, parts, &i0, &i1);
  int i4 = i0 + (i1 - i0) / 4 * 4;
  v128_t zero = wasm_f32x4_splat(0);
  for (int i = i0; i < i4; i += 4) {
    v128_t keep = wasm_f32x4_gt(wasm_v128_load(x + i), zero);
    wasm_v128_store(dx + i, wasm_v128_and(wasm_v128_load(dy + i), keep));
  }
  for (int i = i4; i < i1; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}

// The optimiser updates: the reference's loops (src/cpu/updates.ts) in the same float64 arithmetic, each stored value
// rounded to float32 once, and each stored value read back as the reference reads it, so their results are bitwise the
// reference's. Every array is laid out like the parameters; threads share the elements.

EXPORT(sgd_update)
void sgd_update(float* params, const float* grads, double lr, double weight_decay, int count, int part, int parts) {
  int i0, i1;
  share(count, 4, part, parts, &i0, &i1);
  if (weight_decay == 0) {
    for (int i = i0; i < i1; i++) params[i] = (float)((double)params[i] - lr * (double)grads[i]);
  } else {
    for (int i = i0; i < i1; i++) {
      double p = params[i];
      params[i] = (float)(p - lr * ((double)grads[i] + weight_decay * p));
    }
  }
}

EXPORT(momentum_update)
void momentum_update(float* params, float* buffer, const float* grads, double lr, double momentum, double dampening,
                     double weight_decay, int nesterov, int first, int count, int part, int parts) {
  int i0, i1;
  share(count, 4, part, parts, &i0, &i1);
  for (int i = i0; i < i1; i++) {
    double p = params[i];
    double g = (double)grads[i] + weight_decay * p;
    buffer[i] = (float)(first ? g : momentum * (double)buffer[i] + (1 - dampening) * g);
    double direction = nesterov ? g + momentum * (double)buffer[i] : (double)buffer[i];
    params[i] = (float)(p - lr * direction);
  }
}

EXPORT(adam_update)
void adam_update(float* params, float* exp_avg, float* exp_avg_sq, const float* grads, double beta1, double beta2,
                 double eps, double coupled, double decay, int decoupled, double step_size, double bc2_sqrt, int count,
                 int part, int parts) {
  int i0, i1;
  share(count, 4, part, parts, &i0, &i1);
  for (int i = i0; i < i1; i++) {
    if (decoupled) params[i] = (float)((double)params[i] * decay);
    double p = params[i];
    double g = (double)grads[i] + coupled * p;
    exp_avg[i] = (float)(beta1 * (double)exp_avg[i] + (1 - beta1) * g);
    exp_avg_sq[i] = (float)(beta2 * (double)exp_avg_sq[i] + (1 - beta2) * g * g);
    double denom = __builtin_sqrt((double)exp_avg_sq[i]) / bc2_sqrt + eps;
    params[i] = (float)(p - (step_size * (double)exp_avg[i]) / denom);
  }
}

/** momentum_buffer and grad_avg are 0 where the settings have no such slot (no momentum, not centred). */
EXPORT(rmsprop_update)
void rmsprop_update(float* params, float* square_avg, float* momentum_buffer, float* grad_avg, const float* grads,
                    double lr, double alpha, double eps, double weight_decay, double momentum, int count, int part,
                    int parts) {
  int i0, i1;
  share(count, 4, part, parts, &i0, &i1);
  for (int i = i0; i < i1; i++) {
    double p = params[i];
    double g = (double)grads[i] + weight_decay * p;
    square_avg[i] = (float)(alpha * (double)square_avg[i] + (1 - alpha) * g * g);
    double variance = square_avg[i];
    if (grad_avg) {
      grad_avg[i] = (float)(alpha * (double)grad_avg[i] + (1 - alpha) * g);
      variance -= (double)grad_avg[i] * (double)grad_avg[i];
    }
    double avg = __builtin_sqrt(variance) + eps;
    if (momentum_buffer) {
      momentum_buffer[i] = (float)(momentum * (double)momentum_buffer[i] + g / avg);
      params[i] = (float)(p - lr * (double)momentum_buffer[i]);
    } else {
      params[i] = (float)(p - (lr * g) / avg);
    }
  }
}
