// relu: y = max(x, 0) elementwise (y = x where x > 0, else 0). CPU reference: relu (src/cpu/). (Training fuses this
// into matmul_nt's epilogue; this is the unfused form. y and x must be different buffers: WebGPU does not allow one
// buffer bound both writable and read-only in a dispatch.)
//
// Bindings (outputs, inputs, sizes):
//   0 y: [count] read_write
//   1 x: [count] read
//   2 d: Dims uniform
// Dispatch: min(ceil(count / WORKGROUP), 4096) workgroups of WORKGROUP threads, a grid-stride loop.

struct Dims { count: u32 }

@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<uniform> d: Dims;

// injected: WORKGROUP
@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < d.count; i += groups.x * WORKGROUP) {
    y[i] = select(0.0, x[i], x[i] > 0.0);
  }
}
