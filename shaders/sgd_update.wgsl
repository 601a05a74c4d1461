// sgd_update: params -= lr · (grads + weight_decay · params) over the whole flat parameter vector (every layer's
// weight and bias) in one dispatch, torch.optim.SGD without momentum. The rate is the step's, from the step table
// (a schedule changes it between the steps of one command buffer). CPU reference: sgdUpdate (src/cpu/).
// (Plain SGD at a constant rate without weight decay never runs this: the weight-gradient matmuls apply it in their
// epilogue, see matmul.wgsl's UPDATE.)
//
// Bindings (outputs, inputs, sizes):
//   0 params: [count] read_write
//   1 grads:  [count] read (laid out like params, by paramTable)
//   2 d:      Dims uniform
//   3 step:   Step uniform, dynamic offset (the step table, src/gpu/plan.ts); reads entry.lr
// Dispatch: min(ceil(count / WORKGROUP), 4096) workgroups of WORKGROUP threads, a grid-stride loop.

struct Dims { count: u32, weight_decay: f32 }
struct Step { start: u32, slot: u32, run: u32, lr: f32 }

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<uniform> d: Dims;
@group(0) @binding(3) var<uniform> entry: Step;

override WORKGROUP: u32; // threads per workgroup, from src/gpu/kernels/define.ts
@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < d.count; i += groups.x * WORKGROUP) {
    let p = params[i];
    params[i] = p - entry.lr * (grads[i] + d.weight_decay * p);
  }
}
