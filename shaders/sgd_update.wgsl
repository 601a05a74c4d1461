// sgd_update: params -= lr · grads over the whole flat parameter vector (every layer's weight and bias) in one
// dispatch. CPU reference: ops.sgdUpdate.
//
// Bindings (outputs, inputs, sizes):
//   0 params: [count] read_write
//   1 grads:  [count] read (laid out like params, by paramTable)
//   2 d:      Dims uniform
// Dispatch: min(ceil(count / 256), 4096) workgroups of 256 threads, a grid-stride loop.

struct Dims { count: u32, lr: f32 }

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<uniform> d: Dims;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < d.count; i += groups.x * 256u) {
    params[i] -= d.lr * grads[i];
  }
}
