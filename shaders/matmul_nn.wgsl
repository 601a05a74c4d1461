// matmul_nn: c = a · b, optionally masked by a ReLU's output: the input gradient of a layer, dx = dY · W, followed
// by the backward pass of the ReLU that produced x: dx = 0 where x <= 0.
// CPU reference: ops.matmulNN (then ops.reluBackward(c, c, mask) with flag MASK).
//
// Bindings (outputs, inputs, sizes), row-major, offsets in elements:
//   0 c:    [m, n] read_write at d.c_off            (dx, [rows, in])
//   1 a:    [m, k] read at d.a_off                  (dY, [rows, out])
//   2 b:    [k, n] read at d.b_off                  (the weight [out, in], in the params)
//   3 mask: [m, n] read at d.e_off, used with MASK  (x, the ReLU output the layer read; bind any buffer otherwise)
//   4 d:    Dims uniform
// Dispatch: (ceil(n / 64), ceil(m / 64), 1) workgroups of 16 x 16 threads, 4 x 4 outputs each (see matmul_nt.wgsl).

struct Dims { m: u32, n: u32, k: u32, flags: u32, c_off: u32, a_off: u32, b_off: u32, e_off: u32 }

const MASK = 4u;
const TM = 64u;
const TN = 64u;
const TK = 16u;

@group(0) @binding(0) var<storage, read_write> c: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<uniform> d: Dims;

var<workgroup> a_tile: array<f32, 1024>; // [TK][TM]
var<workgroup> b_tile: array<f32, 1024>; // [TK][TN]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * TM;
  let col0 = wg.x * TN;
  var acc: array<vec4f, 4>;
  for (var p0 = 0u; p0 < d.k; p0 += TK) {
    for (var e = li; e < TK * TM; e += 256u) {
      // a is k-contiguous, b is n-contiguous: each load keeps consecutive threads on consecutive addresses.
      let akk = e % TK;
      let aii = e / TK;
      var av = 0.0;
      if (row0 + aii < d.m && p0 + akk < d.k) { av = a[d.a_off + (row0 + aii) * d.k + p0 + akk]; }
      a_tile[akk * TM + aii] = av;
      let bjj = e % TN;
      let bkk = e / TN;
      var bv = 0.0;
      if (col0 + bjj < d.n && p0 + bkk < d.k) { bv = b[d.b_off + (p0 + bkk) * d.n + col0 + bjj]; }
      b_tile[bkk * TN + bjj] = bv;
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
        if ((d.flags & MASK) != 0u && !(mask[d.e_off + i * d.n + j] > 0.0)) { v = 0.0; }
        c[d.c_off + i * d.n + j] = v;
      }
    }
  }
}
