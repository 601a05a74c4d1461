// matmul: the matrix-product family, c = op(a) · op(b) with a fused epilogue. One file for every variant: the
// pipeline-overridable constants below are set per variant (src/gpu/matmul-variants.ts, variantConstants, which also
// checks what the WGSL assumes of them) when its pipeline is created, so every size is a constant of the compiled
// pipeline: loops over them unroll and register arrays have fixed sizes. CPU references, by operand layout:
//   nt (A_KM false, B_KN false): c = a · bᵀ  matmulNT: a layer's forward pass y = x · Wᵀ (+ bias, ReLU)
//   tn (A_KM true,  B_KN true):  c = aᵀ · b  matmulTN: the weight gradient dW = dYᵀ · x (+ bias gradient, SGD)
//   nn (A_KM false, B_KN true):  c = a · b   matmulNN: the input gradient dx = dY · W (+ the ReLU's mask)
// Epilogue flags (d.flags), their values from src/gpu/kernels/matmul.ts, applied in this order:
//   BIAS      c[i, j] += e[e_off + j]                                     biasAdd
//   RELU      c = max(c, 0)                                               relu
//   MASK      c[i, j] = 0 where !(e[e_off + i·n + j] > 0)                 reluBackward
//   BIAS_GRAD c[e_off + i] = Σ_p a[p, i] (tn only: a is [k, m]; in c)     columnSum
//   UPDATE    c -= lr · result instead of c = result, bias gradient too   sgdUpdate
//             (lr: the model's rate, models[row].lr)
//
// Bindings (outputs, inputs, sizes), row-major, offsets in elements:
//   0 c:      [m, n] read_write at d.c_off
//   1 a:      [m, k] (or [k, m] with A_KM) read at d.a_off, as vec4: buffers are sized in 16-byte units
//   2 b:      [n, k] (or [k, n] with B_KN) read at d.b_off, as vec4
//   3 e:      the epilogue operand, read at d.e_off: the bias [n] (BIAS) or the mask [m, n] (MASK); bind any buffer
//             otherwise
//   4 models: the model table (src/gpu/tables.ts), row entry.at · K + model: runs (0: the workgroup returns at
//             once) and lr (UPDATE)
//   5 d:      Dims uniform
//   6 entry:  Step uniform, dynamic offset (the step table, src/gpu/tables.ts); only entry.at is read
// Models: workgroup z is the model (K = num_workgroups.z); each operand of model z starts z · its stride (d.c_stride,
// d.a_stride, d.b_stride, d.e_stride, in elements, multiples of 4; 0 for an operand the models share) after its offset.
// Dispatch: (ceil(n / TN), ceil(m / TM), K) workgroups of WG = (TM / RM) · (TN / RN) · SK threads.
//
// A workgroup owns a TM x TN block of c and walks k in tiles TK deep. Each tile is loaded from memory into registers
// while the previous one is being multiplied (prefetch), then stored into workgroup memory as [TK][TM] and [TK][TN],
// each row padded by one vec4 (so the transposing stores below do not all hit one bank). The threads form SK slices of
// (TM / RM) x (TN / RN); slice s multiplies k rows s·TK/SK .. (s+1)·TK/SK - 1 of every tile (split-K inside the
// workgroup: small outputs still keep many threads busy on a long k). Thread (tx, ty) accumulates RM x RN results in
// registers, as up to four 4 x 4 blocks (h, g < RM / 4, RN / 4): rows 4·(ty + WM·h) + 0..3 and columns
// 4·(tx + WN·g) + 0..3, so neighbouring threads read neighbouring 16-byte words of workgroup memory. The blocks and the
// prefetch registers are named variables, not arrays indexed in loops: a compiler that does not unroll (SwiftShader)
// would otherwise keep them in memory. At the end, slices 1.. hand their sums to slice 0 through workgroup memory, and
// slice 0 adds them in slice order (deterministic) and runs the epilogue.
// DIRECT (the micro tile, a software adapter's): no workgroup memory and no barrier. Each thread loads the 4 rows of
// a and 4 columns of b of its own 4 x 4 block straight from storage, 4 k at a time (0.5 loads per multiply-add), and
// the bias-gradient threads sum their column of a after the k loop; a thread whose block lies outside c (a narrow
// output) loads nothing. On SwiftShader this took a 13-16-3 network's step of 16 models about 30% shorter than
// staging tiles through workgroup memory. Same products, same k order.
// Loads: an operand stored along m or n (tn's a, b; nn's b) loads quads, 4 consecutive elements along that dimension,
// stored as one vec4. An operand stored along k (nt's a and b, nn's a) loads 4 x 4 blocks (4 rows, 4 consecutive k),
// transposed in registers so workgroup memory is written in whole vec4s too.
// Modes: VEC4 and not CHECKED is the fast path, for m % TM, n % TN and k % TK all 0 and vec4-aligned operands (offsets
// and contiguous dimensions multiples of 4). VEC4 and CHECKED (edge) loads whole quads with bounds checks: with the
// contiguous dimension a multiple of 4, a quad is either all inside or all outside. Without VEC4 (scalar) every
// element is loaded and checked on its own: any shape, any offset. Outside the matrices, loads read zero and nothing
// is stored.

struct Dims {
  m: u32, n: u32, k: u32, flags: u32,
  c_off: u32, a_off: u32, b_off: u32, e_off: u32,
  c_stride: u32, a_stride: u32, b_stride: u32, e_stride: u32,
}
struct Step { start: u32, slot: u32, at: u32 }
struct Model {
  runs: u32, run: u32, lr: f32, rows: u32, opt: vec4f, settings: array<f32, 8>, seed: u32, threshold: u32, scale: f32,
  unused: u32,
}

override TM: u32; // rows of c per workgroup
override TN: u32; // columns of c per workgroup
override TK: u32; // depth of a k tile
override RM: u32; // rows per thread, 4 or 8
override RN: u32; // columns per thread, 4 or 8
override SK: u32; // k slices per workgroup
override A_KM: bool; // a is stored [k, m] (else [m, k])
override B_KN: bool; // b is stored [k, n] (else [n, k])
override VEC4: bool; // operands are loaded as whole vec4
override CHECKED: bool; // tiles may cross the matrices' edges
override DIRECT: bool; // each thread loads its own operands from storage: no workgroup memory (SK = 1, RM = RN = 4)

// d.flags, their values from src/gpu/kernels/matmul.ts:
override BIAS: u32;
override RELU: u32;
override MASK: u32;
override BIAS_GRAD: u32;
override UPDATE: u32;

override WM = TM / RM; // threads of a slice along m
override WN = TN / RN; // threads of a slice along n
override SLICE = WM * WN;
override WG = SLICE * SK;
override KS = TK / SK; // k rows of each tile per slice
override SA = TM / 4u + 1u; // vec4 per padded row of the a tile
override SB = TN / 4u + 1u;
override B_BASE = TK * SA; // the b tile follows the a tile in workgroup memory
// Load units per tile: quads along m (n), or 4 x 4 blocks when the operand is stored along k. One unit per thread at
// most, so the prefetch registers are four named vec4 per operand.
override UA = select(TM * TK / 16u, TM * TK / 4u, A_KM);
override UB = select(TN * TK / 16u, TN * TK / 4u, B_KN);
override NV = RM * RN / 4u; // vec4 accumulators per thread
// Workgroup memory: the two tiles, reused after the k loop for the slices' partial sums.
override SMEM = max(TK * (SA + SB), (SK - 1u) * NV * SLICE);

@group(0) @binding(0) var<storage, read_write> c: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read> e: array<f32>;
@group(0) @binding(4) var<storage, read> models: array<Model>;
@group(0) @binding(5) var<uniform> d: Dims;
@group(0) @binding(6) var<uniform> entry: Step;

var<workgroup> smem: array<vec4f, SMEM>;
// This workgroup's model: its operands' element offsets and its rate.
var<private> c_base: u32;
var<private> a_base: u32;
var<private> b_base: u32;
var<private> e_base: u32;
var<private> lr: f32;

// Elements col..col+3 of row `row` of a, seen as stored: [rows, width] at d.a_off. Zero outside.
fn fetch_a(row: u32, col: u32, rows: u32, width: u32) -> vec4f {
  let at = a_base + row * width + col;
  if (VEC4) {
    if (CHECKED && (row >= rows || col >= width)) { return vec4f(); }
    return a[at / 4u];
  }
  var v = vec4f();
  if (row < rows) {
    if (col < width) { v.x = a[at / 4u][at % 4u]; }
    if (col + 1u < width) { v.y = a[(at + 1u) / 4u][(at + 1u) % 4u]; }
    if (col + 2u < width) { v.z = a[(at + 2u) / 4u][(at + 2u) % 4u]; }
    if (col + 3u < width) { v.w = a[(at + 3u) / 4u][(at + 3u) % 4u]; }
  }
  return v;
}

fn fetch_b(row: u32, col: u32, rows: u32, width: u32) -> vec4f {
  let at = b_base + row * width + col;
  if (VEC4) {
    if (CHECKED && (row >= rows || col >= width)) { return vec4f(); }
    return b[at / 4u];
  }
  var v = vec4f();
  if (row < rows) {
    if (col < width) { v.x = b[at / 4u][at % 4u]; }
    if (col + 1u < width) { v.y = b[(at + 1u) / 4u][(at + 1u) % 4u]; }
    if (col + 2u < width) { v.z = b[(at + 2u) / 4u][(at + 2u) % 4u]; }
    if (col + 3u < width) { v.w = b[(at + 3u) / 4u][(at + 3u) % 4u]; }
  }
  return v;
}

// The 4 x 4 block of products a[r] · b[s]: column r of the matrix is row r of the block.
fn outer(av: vec4f, bv: vec4f) -> mat4x4f {
  return mat4x4f(bv * av.x, bv * av.y, bv * av.z, bv * av.w);
}

// A slice's block parked in workgroup memory for slice 0, and read back: 4 vec4 SLICE apart from `at`.
fn park(at: u32, m: mat4x4f) {
  smem[at] = m[0];
  smem[at + SLICE] = m[1];
  smem[at + 2u * SLICE] = m[2];
  smem[at + 3u * SLICE] = m[3];
}

fn unpark(at: u32) -> mat4x4f {
  return mat4x4f(smem[at], smem[at + SLICE], smem[at + 2u * SLICE], smem[at + 3u * SLICE]);
}

// The epilogue for one result c[i, j] = v.
fn emit_one(v_in: f32, i: u32, j: u32) {
  if (CHECKED && (i >= d.m || j >= d.n)) { return; }
  let flags = d.flags;
  var v = v_in;
  if ((flags & BIAS) != 0u) { v += e[e_base + j]; }
  if ((flags & RELU) != 0u) { v = select(0.0, v, v > 0.0); }
  if ((flags & MASK) != 0u && !(e[e_base + i * d.n + j] > 0.0)) { v = 0.0; }
  let at = c_base + i * d.n + j;
  if ((flags & UPDATE) != 0u) { c[at] -= lr * v; } else { c[at] = v; }
}

// One row of a block: columns j0...
fn emit_row(v: vec4f, i: u32, j0: u32) {
  emit_one(v.x, i, j0);
  emit_one(v.y, i, j0 + 1u);
  emit_one(v.z, i, j0 + 2u);
  emit_one(v.w, i, j0 + 3u);
}

// The epilogue for one 4 x 4 block of results at rows i0.., columns j0..., written out so that no index is dynamic.
fn emit(m: mat4x4f, i0: u32, j0: u32) {
  emit_row(m[0], i0, j0);
  emit_row(m[1], i0 + 1u, j0);
  emit_row(m[2], i0 + 2u, j0);
  emit_row(m[3], i0 + 3u, j0);
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let row = entry.at * groups.z + wg.z; // this model's row of the model table: only two of its fields are read
  if (models[row].runs == 0u) { return; } // the whole workgroup, before any barrier
  c_base = d.c_off + wg.z * d.c_stride;
  a_base = d.a_off + wg.z * d.a_stride;
  b_base = d.b_off + wg.z * d.b_stride;
  e_base = d.e_off + wg.z * d.e_stride;
  lr = models[row].lr;
  let row0 = wg.y * TM;
  let col0 = wg.x * TN;
  let slice = li / SLICE;
  let lane = li % SLICE;
  // Neighbouring threads take neighbouring blocks along n; in DIRECT, along the narrower of m and n, so that a narrow
  // output's busy blocks share SIMD lanes (a software adapter runs 4 neighbouring invocations together).
  let down = DIRECT && d.n < d.m;
  let tx = select(lane % WN, lane / WM, down);
  let ty = select(lane / WN, lane % WM, down);
  // The operands as stored.
  let a_rows = select(d.m, d.k, A_KM);
  let a_width = select(d.k, d.m, A_KM);
  let b_rows = select(d.n, d.k, B_KN);
  let b_width = select(d.k, d.n, B_KN);
  // Which load unit this thread takes: b's are counted from the middle of the workgroup, so that when there are
  // fewer units than threads, different threads load a and b.
  let ua = li;
  let ub = (li + WG / 2u) % WG;
  // One thread per row of the tile sums a's columns for the bias gradient, in the first column of workgroups only.
  let bias_grad = (d.flags & BIAS_GRAD) != 0u && wg.x == 0u && li < TM;
  var col_sum = 0.0;

  // Results: the 4 x 4 blocks (h, g) at rows 4·(ty + WM·h), columns 4·(tx + WN·g); h, g < 2 used as RM, RN say.
  var c00: mat4x4f;
  var c01: mat4x4f;
  var c10: mat4x4f;
  var c11: mat4x4f;
  // Prefetch registers: one quad (ra0) or one 4 x 4 block (ra0..ra3, one row each) per operand.
  var ra0: vec4f;
  var ra1: vec4f;
  var ra2: vec4f;
  var ra3: vec4f;
  var rb0: vec4f;
  var rb1: vec4f;
  var rb2: vec4f;
  var rb3: vec4f;
  let tiles = (d.k + TK - 1u) / TK;

  if (DIRECT) {
    let i0 = row0 + 4u * ty;
    let j0 = col0 + 4u * tx;
    // A block wholly outside c (a narrow output) loads nothing.
    let outside = i0 >= d.m || j0 >= d.n;
    for (var t = 0u; t < select(tiles, 0u, outside); t++) {
      let k0 = t * TK;
      // The block's 4 rows of a and 4 columns of b at k0 .. k0 + 3, as stored.
      if (A_KM) {
        ra0 = fetch_a(k0, i0, a_rows, a_width);
        ra1 = fetch_a(k0 + 1u, i0, a_rows, a_width);
        ra2 = fetch_a(k0 + 2u, i0, a_rows, a_width);
        ra3 = fetch_a(k0 + 3u, i0, a_rows, a_width);
      } else {
        let q0 = fetch_a(i0, k0, a_rows, a_width);
        let q1 = fetch_a(i0 + 1u, k0, a_rows, a_width);
        let q2 = fetch_a(i0 + 2u, k0, a_rows, a_width);
        let q3 = fetch_a(i0 + 3u, k0, a_rows, a_width);
        ra0 = vec4f(q0.x, q1.x, q2.x, q3.x);
        ra1 = vec4f(q0.y, q1.y, q2.y, q3.y);
        ra2 = vec4f(q0.z, q1.z, q2.z, q3.z);
        ra3 = vec4f(q0.w, q1.w, q2.w, q3.w);
      }
      if (B_KN) {
        rb0 = fetch_b(k0, j0, b_rows, b_width);
        rb1 = fetch_b(k0 + 1u, j0, b_rows, b_width);
        rb2 = fetch_b(k0 + 2u, j0, b_rows, b_width);
        rb3 = fetch_b(k0 + 3u, j0, b_rows, b_width);
      } else {
        let q0 = fetch_b(j0, k0, b_rows, b_width);
        let q1 = fetch_b(j0 + 1u, k0, b_rows, b_width);
        let q2 = fetch_b(j0 + 2u, k0, b_rows, b_width);
        let q3 = fetch_b(j0 + 3u, k0, b_rows, b_width);
        rb0 = vec4f(q0.x, q1.x, q2.x, q3.x);
        rb1 = vec4f(q0.y, q1.y, q2.y, q3.y);
        rb2 = vec4f(q0.z, q1.z, q2.z, q3.z);
        rb3 = vec4f(q0.w, q1.w, q2.w, q3.w);
      }
      c00 += outer(ra0, rb0);
      c00 += outer(ra1, rb1);
      c00 += outer(ra2, rb2);
      c00 += outer(ra3, rb3);
    }
    if (bias_grad) {
      // Σ_p a[p, row0 + li], p ascending (a is [k, m] here), as the tiled path adds it.
      let i = row0 + li;
      for (var p = 0u; p < d.k; p++) {
        let at = a_base + p * a_width + i;
        if (i < a_width) { col_sum += a[at / 4u][at % 4u]; }
      }
    }
  } else {
    for (var t = 0u; t <= tiles; t++) {
      if (t > 0u) {
        // Registers (tile t - 1) to workgroup memory.
        if (ua < UA) {
          if (A_KM) {
            smem[(ua / (TM / 4u)) * SA + ua % (TM / 4u)] = ra0;
          } else {
            let ib = ua / (TK / 4u);
            let p4 = (ua % (TK / 4u)) * 4u;
            smem[p4 * SA + ib] = vec4f(ra0.x, ra1.x, ra2.x, ra3.x);
            smem[(p4 + 1u) * SA + ib] = vec4f(ra0.y, ra1.y, ra2.y, ra3.y);
            smem[(p4 + 2u) * SA + ib] = vec4f(ra0.z, ra1.z, ra2.z, ra3.z);
            smem[(p4 + 3u) * SA + ib] = vec4f(ra0.w, ra1.w, ra2.w, ra3.w);
          }
        }
        if (ub < UB) {
          if (B_KN) {
            smem[B_BASE + (ub / (TN / 4u)) * SB + ub % (TN / 4u)] = rb0;
          } else {
            let jb = ub / (TK / 4u);
            let p4 = (ub % (TK / 4u)) * 4u;
            smem[B_BASE + p4 * SB + jb] = vec4f(rb0.x, rb1.x, rb2.x, rb3.x);
            smem[B_BASE + (p4 + 1u) * SB + jb] = vec4f(rb0.y, rb1.y, rb2.y, rb3.y);
            smem[B_BASE + (p4 + 2u) * SB + jb] = vec4f(rb0.z, rb1.z, rb2.z, rb3.z);
            smem[B_BASE + (p4 + 3u) * SB + jb] = vec4f(rb0.w, rb1.w, rb2.w, rb3.w);
          }
        }
        workgroupBarrier();
      }
      if (t < tiles) {
        // Tile t from memory into registers: in flight while tile t - 1 is multiplied below.
        let k0 = t * TK;
        if (ua < UA) {
          if (A_KM) {
            ra0 = fetch_a(k0 + ua / (TM / 4u), row0 + (ua % (TM / 4u)) * 4u, a_rows, a_width);
          } else {
            let i = row0 + (ua / (TK / 4u)) * 4u;
            let p = k0 + (ua % (TK / 4u)) * 4u;
            ra0 = fetch_a(i, p, a_rows, a_width);
            ra1 = fetch_a(i + 1u, p, a_rows, a_width);
            ra2 = fetch_a(i + 2u, p, a_rows, a_width);
            ra3 = fetch_a(i + 3u, p, a_rows, a_width);
          }
        }
        if (ub < UB) {
          if (B_KN) {
            rb0 = fetch_b(k0 + ub / (TN / 4u), col0 + (ub % (TN / 4u)) * 4u, b_rows, b_width);
          } else {
            let j = col0 + (ub / (TK / 4u)) * 4u;
            let p = k0 + (ub % (TK / 4u)) * 4u;
            rb0 = fetch_b(j, p, b_rows, b_width);
            rb1 = fetch_b(j + 1u, p, b_rows, b_width);
            rb2 = fetch_b(j + 2u, p, b_rows, b_width);
            rb3 = fetch_b(j + 3u, p, b_rows, b_width);
          }
        }
      }
      if (t > 0u) {
        if (bias_grad) {
          for (var p = 0u; p < TK; p++) { col_sum += smem[p * SA + li / 4u][li % 4u]; }
        }
        for (var kk = 0u; kk < KS; kk++) {
          let p = slice * KS + kk;
          let a0 = smem[p * SA + ty];
          let b0 = smem[B_BASE + p * SB + tx];
          c00 += outer(a0, b0);
          if (RN > 4u) {
            let b1 = smem[B_BASE + p * SB + tx + WN];
            c01 += outer(a0, b1);
            if (RM > 4u) {
              let a1 = smem[p * SA + ty + WM];
              c10 += outer(a1, b0);
              c11 += outer(a1, b1);
            }
          } else if (RM > 4u) {
            c10 += outer(smem[p * SA + ty + WM], b0);
          }
        }
        workgroupBarrier();
      }
    }
  }

  if (SK > 1u) {
    // Slices 1.. park their blocks; slice 0 adds them in slice order.
    if (slice > 0u) {
      let at = (slice - 1u) * NV * SLICE + lane;
      park(at, c00);
      if (RN > 4u) { park(at + 4u * SLICE, c01); }
      if (RM > 4u) { park(at + RN * SLICE, c10); }
      if (RM > 4u && RN > 4u) { park(at + 12u * SLICE, c11); }
    }
    workgroupBarrier();
    if (slice == 0u) {
      for (var s = 1u; s < SK; s++) {
        let at = (s - 1u) * NV * SLICE + lane;
        c00 += unpark(at);
        if (RN > 4u) { c01 += unpark(at + 4u * SLICE); }
        if (RM > 4u) { c10 += unpark(at + RN * SLICE); }
        if (RM > 4u && RN > 4u) { c11 += unpark(at + 12u * SLICE); }
      }
    }
  }
  if (slice > 0u) { return; }

  let i0 = row0 + 4u * ty;
  let j0 = col0 + 4u * tx;
  emit(c00, i0, j0);
  if (RN > 4u) { emit(c01, i0, j0 + 4u * WN); }
  if (RM > 4u) { emit(c10, i0 + 4u * WM, j0); }
  if (RM > 4u && RN > 4u) { emit(c11, i0 + 4u * WM, j0 + 4u * WN); }
  if (bias_grad && row0 + li < d.m) {
    let at = d.e_off + wg.z * d.c_stride + row0 + li; // the bias gradient lies in c, at d.e_off of the model's c
    if ((d.flags & UPDATE) != 0u) { c[at] -= lr * col_sum; } else { c[at] = col_sum; }
  }
}
