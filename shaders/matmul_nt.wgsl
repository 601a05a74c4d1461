// matmul_nt: c = a · bᵀ, then optionally + bias and ReLU: the forward pass of a layer, y = relu(x · Wᵀ + b).
// CPU reference: ops.matmulNT (then ops.biasAdd with flag BIAS, ops.relu with flag RELU).
//
// Bindings (outputs, inputs, sizes: the CPU argument order). All row-major; offsets are in elements, so one flat
// buffer (the parameter vector) can hold the weight and its bias without 256-byte binding alignment.
//   0 c: [m, n] read_write at d.c_off
//   1 a: [m, k] read at d.a_off                     (the layer input, [rows, in])
//   2 b: [n, k] read at d.b_off; bias [n] at d.e_off (nn.Linear's weight [out, in] and bias, both in the params)
//   3 d: Dims uniform
// Dispatch: (ceil(n / 64), ceil(m / 64), 1) workgroups of 16 x 16 threads. A workgroup owns a 64 x 64 block of c and
// walks k in steps of 16, staging a 64 x 16 slice of a and of b in workgroup memory. Each thread accumulates 4 x 4
// outputs, rows ly + 16 r and columns lx + 16 s, so neighbouring threads read neighbouring tile words and write
// neighbouring columns. Loads outside [m, k] or [n, k] read as zero (no reads past the end, any k); stores are masked.

struct Dims { m: u32, n: u32, k: u32, flags: u32, c_off: u32, a_off: u32, b_off: u32, e_off: u32 }

const BIAS = 1u;
const RELU = 2u;
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
  var acc: array<vec4f, 4>;
  for (var p0 = 0u; p0 < d.k; p0 += TK) {
    // Both operands are k-contiguous: consecutive threads take consecutive k.
    for (var e = li; e < TK * TM; e += 256u) {
      let kk = e % TK;
      let ii = e / TK;
      let p = p0 + kk;
      var av = 0.0;
      if (row0 + ii < d.m && p < d.k) { av = a[d.a_off + (row0 + ii) * d.k + p]; }
      a_tile[kk * TM + ii] = av;
      var bv = 0.0;
      if (col0 + ii < d.n && p < d.k) { bv = b[d.b_off + (col0 + ii) * d.k + p]; }
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
      if (i < d.m && j < d.n) {
        var v = acc[r][s];
        if ((d.flags & BIAS) != 0u) { v += b[d.e_off + j]; }
        if ((d.flags & RELU) != 0u) { v = select(0.0, v, v > 0.0); }
        c[d.c_off + i * d.n + j] = v;
      }
    }
  }
}
