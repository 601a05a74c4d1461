// column_sum: out[j] = Σ_r x[r, j], the bias gradient. CPU reference: columnSum (src/cpu/). (Training folds this into
// matmul_tn as a virtual column of ones; this is the unfused form.)
//
// Bindings (outputs, inputs, sizes), row-major:
//   0 out: [n] read_write
//   1 x:   [rows, n] read
//   2 d:   Dims uniform
// Dispatch: ceil(n / WORKGROUP) workgroups of WORKGROUP threads, one thread per column summing its rows in order (so
// the result does not depend on the dispatch; neighbouring threads read neighbouring columns).

struct Dims { rows: u32, n: u32 }

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<uniform> d: Dims;

// injected: WORKGROUP
@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  if (j >= d.n) { return; }
  var sum = 0.0;
  for (var r = 0u; r < d.rows; r++) { sum += x[r * d.n + j]; }
  out[j] = sum;
}
