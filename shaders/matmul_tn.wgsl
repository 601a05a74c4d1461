// matmul_tn: c = aᵀ · b, optionally with the column sums of a: the weight gradient dW = dYᵀ · x of a layer, with its
// bias gradient db = Σ_rows dY folded in.
// CPU reference: ops.matmulTN (and ops.columnSum with flag BIAS).
//
// Bindings (outputs, inputs, sizes), row-major, offsets in elements:
//   0 c: [m, n] read_write at d.c_off; with BIAS also [m] at d.e_off (the weight and bias gradients, in the flat
//        gradient vector)
//   1 a: [k, m] read at d.a_off (dY, [rows, out])
//   2 b: [k, n] read at d.b_off (x, [rows, in])
//   3 d: Dims uniform
// With BIAS, b gets a virtual column n of ones: c[i, n] = Σ_p a[p, i] is the bias gradient, computed by the same
// tiles and accumulation as dW and stored to c[e_off + i]. No extra dispatch, no extra reduction code.
// Dispatch: (ceil((n + bias) / 64), ceil(m / 64), 1) workgroups of 16 x 16 threads, 4 x 4 outputs each (see
// matmul_nt.wgsl). Both operands are contiguous along m or n, so tiles load with consecutive threads on i or j.

struct Dims { m: u32, n: u32, k: u32, flags: u32, c_off: u32, a_off: u32, b_off: u32, e_off: u32 }

const BIAS = 1u;
const TM = 64u;
const TN = 64u;
const TK = 16u;

@group(0) @binding(0) var<storage, read_write> c: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<uniform> d: Dims;

var<workgroup> a_tile: array<f32, 1024>; // [TK][TM]
var<workgroup> b_tile: array<f32, 1024>; // [TK][TN]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * TM;
  let col0 = wg.x * TN;
  let bias = (d.flags & BIAS) != 0u;
  var acc: array<vec4f, 4>;
  for (var p0 = 0u; p0 < d.k; p0 += TK) {
    for (var e = li; e < TK * TM; e += 256u) {
      let ii = e % TM;
      let kk = e / TM;
      let p = p0 + kk;
      let i = row0 + ii;
      let j = col0 + ii;
      var av = 0.0;
      if (i < d.m && p < d.k) { av = a[d.a_off + p * d.m + i]; }
      a_tile[kk * TM + ii] = av;
      var bv = 0.0;
      if (p < d.k) {
        if (j < d.n) { bv = b[d.b_off + p * d.n + j]; } else if (bias && j == d.n) { bv = 1.0; }
      }
      b_tile[kk * TN + ii] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let bt = kk * TN + lid.x;
      let bv = vec4f(b_tile[bt], b_tile[bt + 16u], b_tile[bt + 32u], b_tile[bt + 48u]);
      for (var r = 0u; r < 4u; r++) {
        acc[r] += a_tile[kk * TM + lid.y + 16u * r] * bv;
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) {
    let i = row0 + lid.y + 16u * r;
    for (var s = 0u; s < 4u; s++) {
      let j = col0 + lid.x + 16u * s;
      if (i < d.m) {
        if (j < d.n) {
          c[d.c_off + i * d.n + j] = acc[r][s];
        } else if (bias && j == d.n) {
          c[d.e_off + i] = acc[r][s];
        }
      }
    }
  }
}
