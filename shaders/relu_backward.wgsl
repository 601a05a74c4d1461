// relu_backward: dx = dy where the forward output y was positive, else 0. CPU reference: reluBackward (src/cpu/).
// (Training fuses this into matmul_nn's epilogue; this is the unfused form.)
//
// Bindings (outputs, inputs, sizes):
//   0 dx: [count] read_write
//   1 dy: [count] read
//   2 y:  [count] read (the ReLU's output)
//   3 d:  Dims uniform
// Dispatch: min(ceil(count / WORKGROUP), 4096) workgroups of WORKGROUP threads, a grid-stride loop.

struct Dims { count: u32 }

@group(0) @binding(0) var<storage, read_write> dx: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<uniform> d: Dims;

// injected: WORKGROUP
@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < d.count; i += groups.x * WORKGROUP) {
    dx[i] = select(0.0, dy[i], y[i] > 0.0);
  }
}
