// rmsprop_update: one step of torch.optim.RMSprop over the whole flat parameter vector in one dispatch. Per element:
// g = grad + weight_decay · p; s = α · s + (1 − α) · g²; centred: a = α · a + (1 − α) · g, avg = √(s − a²) + eps,
// else avg = √s + eps (eps outside the square root); with momentum: buf = momentum · buf + g / avg, p −= lr · buf,
// else p −= lr · g / avg. CPU reference: rmspropUpdate (src/cpu/).
//
// Bindings (outputs, inputs, sizes), every array laid out like the parameters (paramTable):
//   0 params:   [count] read_write
//   1 s:        [count] read_write, the square average (optimizer slot square_avg)
//   2 buf:      [count] read_write, the momentum buffer (slot momentum_buffer); only accessed when momentum > 0
//   3 a:        [count] read_write, the gradient average (slot grad_avg); only accessed when centered is 1
//               Without momentum or the centred form in any model that slot does not exist: a one-float buffer of
//               its own stands in (WebGPU refuses one buffer in two writable bindings of a dispatch).
//   4 grads:    [count] read
//   5 models:   the model table (src/gpu/tables.ts), row entry.at · K + model: runs, lr (this step's rate), and the
//               settings[0..5] = α, and 1 − α computed on the CPU in float64 (in f32, 1 − f32(0.99) is off by
//               9e-7 relative), eps, weight_decay, momentum (0: none), centered (0 or 1)
//   6 d:        Dims uniform
//   7 entry:    Step uniform, dynamic offset (the step table, src/gpu/tables.ts); only entry.at is read
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
@group(0) @binding(1) var<storage, read_write> s: array<f32>;
@group(0) @binding(2) var<storage, read_write> buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> a: array<f32>;
@group(0) @binding(4) var<storage, read> grads: array<f32>;
@group(0) @binding(5) var<storage, read> models: array<Model>;
@group(0) @binding(6) var<uniform> d: Dims;
@group(0) @binding(7) var<uniform> entry: Step;

override WORKGROUP: u32; // threads per workgroup, from src/gpu/kernels/define.ts
@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let model = models[entry.at * groups.z + gid.z];
  if (model.runs == 0u) { return; }
  let lr = model.lr;
  let alpha = model.settings[0];
  let one_minus_alpha = model.settings[1];
  let eps = model.settings[2];
  let weight_decay = model.settings[3];
  let momentum = model.settings[4];
  let centered = model.settings[5] != 0.0;
  let base = gid.z * d.stride;
  for (var j = gid.x; j < d.count; j += groups.x * WORKGROUP) {
    let i = base + j;
    let p = params[i];
    let g = grads[i] + weight_decay * p;
    let si = alpha * s[i] + one_minus_alpha * g * g;
    s[i] = si;
    var variance = si;
    if (centered) {
      let ai = alpha * a[i] + one_minus_alpha * g;
      a[i] = ai;
      variance = si - ai * ai;
    }
    let avg = sqrt(variance) + eps;
    if (momentum > 0.0) {
      let b = momentum * buf[i] + g / avg;
      buf[i] = b;
      params[i] = p - lr * b;
    } else {
      params[i] = p - lr * g / avg;
    }
  }
}
