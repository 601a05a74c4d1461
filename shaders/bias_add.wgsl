// bias_add: y[r, j] += bias[j]. CPU reference: biasAdd (src/cpu/). (Training fuses this into matmul_nt's epilogue;
// this kernel is the unfused form, kept so every CPU reference op has its kernel and its test.)
//
// Bindings (outputs, inputs, sizes), row-major:
//   0 y:    [rows, n] read_write
//   1 bias: [n] read at d.bias_off (elements)
//   2 d:    Dims uniform
// Dispatch: min(ceil(rows·n / WORKGROUP), 4096) workgroups of WORKGROUP threads, a grid-stride loop over rows·n
// elements.

struct Dims { rows: u32, n: u32, bias_off: u32 }

@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<uniform> d: Dims;

// injected: WORKGROUP
@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < d.rows * d.n; i += groups.x * WORKGROUP) {
    y[i] += bias[d.bias_off + i % d.n];
  }
}
