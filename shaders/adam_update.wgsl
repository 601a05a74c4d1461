// adam_update: one step of torch.optim.Adam or AdamW over the whole flat parameter vector in one dispatch. Per
// element: p *= decay (AdamW's decoupled weight decay; 1 for Adam); g = grad + weight_decay · p (Adam's coupled
// decay; 0 for AdamW); m = β1 · m + (1 − β1) · g; v = β2 · v + (1 − β2) · g²;
// p −= step_size · m / (√v / bc2_sqrt + eps), eps outside the square root. CPU reference: adamUpdate
// (src/cpu/).
//
// Bindings (outputs, inputs, sizes), every array laid out like the parameters (paramTable):
//   0 params: [count] read_write
//   1 m:      [count] read_write, the first moment (optimizer slot exp_avg)
//   2 v:      [count] read_write, the second moment (optimizer slot exp_avg_sq)
//   3 grads:  [count] read
//   4 models: the model table (src/gpu/tables.ts), row entry.at · K + model: runs; settings[0..5] = β1, β2,
//             and 1 − β1, 1 − β2 computed on the CPU in float64 (in f32, 1 − f32(0.999) is off by 1.3e-5 relative),
//             eps, weight_decay (the coupled part: Adam's, 0 for AdamW); and this step's scalars in model.opt,
//             computed on the CPU in float64 per run step t = run + 1 and rounded once (see optimizerStepValues in
//             src/gpu/kernels/updates.ts): opt.x = step_size = lr / (1 − β1^t), opt.y = bc2_sqrt = √(1 − β2^t),
//             opt.z = decay = 1 − lr · weight_decay for AdamW, 1 for Adam.
//   5 d:      Dims uniform
//   6 entry:  Step uniform, dynamic offset (the step table, src/gpu/tables.ts); only entry.at is read
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
@group(0) @binding(1) var<storage, read_write> m: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;
@group(0) @binding(3) var<storage, read> grads: array<f32>;
@group(0) @binding(4) var<storage, read> models: array<Model>;
@group(0) @binding(5) var<uniform> d: Dims;
@group(0) @binding(6) var<uniform> entry: Step;

override WORKGROUP: u32; // threads per workgroup, from src/gpu/kernels/define.ts
@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let model = models[entry.at * groups.z + gid.z];
  if (model.runs == 0u) { return; }
  let step_size = model.opt.x;
  let bc2_sqrt = model.opt.y;
  let decay = model.opt.z;
  let beta1 = model.settings[0];
  let beta2 = model.settings[1];
  let one_minus_beta1 = model.settings[2];
  let one_minus_beta2 = model.settings[3];
  let eps = model.settings[4];
  let weight_decay = model.settings[5];
  let base = gid.z * d.stride;
  for (var j = gid.x; j < d.count; j += groups.x * WORKGROUP) {
    let i = base + j;
    let p = params[i] * decay;
    let g = grads[i] + weight_decay * p;
    let mi = beta1 * m[i] + one_minus_beta1 * g;
    let vi = beta2 * v[i] + one_minus_beta2 * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = p - step_size * mi / (sqrt(vi) / bc2_sqrt + eps);
  }
}
