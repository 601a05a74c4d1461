// sgd_update: params -= lr · (grads + weight_decay · params) over the whole flat parameter vector (every layer's
// weight and bias) in one dispatch, torch.optim.SGD without momentum. The rate is the model's at this step, from the
// model table (a schedule changes it between the steps of one command buffer). CPU reference: sgdUpdate (src/cpu/).
// (Plain SGD at a constant rate without weight decay never runs this: the weight-gradient matmuls apply it in their
// epilogue, see matmul.wgsl's UPDATE.)
//
// Bindings (outputs, inputs, sizes):
//   0 params: [count] read_write
//   1 grads:  [count] read (laid out like params, by paramTable)
//   2 models: the model table (src/gpu/tables.ts), row entry.at · K + model: runs, lr (the step's rate) and
//             settings[0] = weight_decay
//   3 d:      Dims uniform
//   4 entry:  Step uniform, dynamic offset (the step table, src/gpu/tables.ts); only entry.at is read
// Models: workgroup z is the model (K = num_workgroups.z), its arrays d.stride elements after the previous model's
// (the parameter count padded to a multiple of 4); an inactive model's workgroups return at once, its parameters and
// state untouched.
// Dispatch: (min(ceil(count / WORKGROUP), 4096), 1, K) workgroups of WORKGROUP threads, a grid-stride loop.

struct Dims { count: u32, stride: u32 }
struct Step { start: u32, slot: u32, at: u32 }
struct Model {
  runs: u32, run: u32, lr: f32, rows: u32, opt: vec4f, settings: array<f32, 8>, seed: u32, threshold: u32, scale: f32,
  unused: u32,
}

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read> models: array<Model>;
@group(0) @binding(3) var<uniform> d: Dims;
@group(0) @binding(4) var<uniform> entry: Step;

override WORKGROUP: u32; // threads per workgroup, from src/gpu/kernels/define.ts
@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let model = models[entry.at * groups.z + gid.z];
  if (model.runs == 0u) { return; }
  let weight_decay = model.settings[0];
  let base = gid.z * d.stride;
  for (var j = gid.x; j < d.count; j += groups.x * WORKGROUP) {
    let i = base + j;
    let p = params[i];
    params[i] = p - model.lr * (grads[i] + weight_decay * p);
  }
}
