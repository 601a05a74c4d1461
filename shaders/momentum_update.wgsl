// momentum_update: one step of torch.optim.SGD with momentum (and Nesterov) over the whole flat parameter vector in
// one dispatch. Per element: g = grad + weight_decay · p; buf = g at the run's first step (model.run == 0, PyTorch's
// torch.clone), else momentum · buf + (1 − dampening) · g; the direction is g + momentum · buf (Nesterov) or buf;
// p −= lr · direction. CPU reference: momentumUpdate (src/cpu/).
//
// Bindings (outputs, inputs, sizes), every array laid out like the parameters (paramTable):
//   0 params: [count] read_write
//   1 buf:    [count] read_write, the momentum buffer (optimizer slot momentum_buffer)
//   2 grads:  [count] read
//   3 models: the model table (src/gpu/tables.ts), row entry.at · K + model: runs, run (first step or not), lr (the
//             scheduled rate of that step), and settings[0..3] = momentum, gain = 1 − dampening (computed on
//             the CPU in float64: in f32 the subtraction would round dampening first), weight_decay, nesterov (0 or 1)
//   4 d:      Dims uniform
//   5 entry:  Step uniform, dynamic offset (the step table, src/gpu/tables.ts); only entry.at is read
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
@group(0) @binding(1) var<storage, read_write> buf: array<f32>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<storage, read> models: array<Model>;
@group(0) @binding(4) var<uniform> d: Dims;
@group(0) @binding(5) var<uniform> entry: Step;

override WORKGROUP: u32; // threads per workgroup, from src/gpu/kernels/define.ts
@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let model = models[entry.at * groups.z + gid.z];
  if (model.runs == 0u) { return; }
  let first = model.run == 0u;
  let momentum = model.settings[0];
  let gain = model.settings[1];
  let weight_decay = model.settings[2];
  let nesterov = model.settings[3] != 0.0;
  let base = gid.z * d.stride;
  for (var j = gid.x; j < d.count; j += groups.x * WORKGROUP) {
    let i = base + j;
    let p = params[i];
    let g = grads[i] + weight_decay * p;
    var b = g;
    if (!first) { b = momentum * buf[i] + gain * g; }
    buf[i] = b;
    var direction = b;
    if (nesterov) { direction = g + momentum * b; }
    params[i] = p - model.lr * direction;
  }
}
