// rmsprop_update: one step of torch.optim.RMSprop over the whole flat parameter vector in one dispatch. Per element:
// g = grad + weight_decay · p; s = α · s + (1 − α) · g²; centred: a = α · a + (1 − α) · g, avg = √(s − a²) + eps,
// else avg = √s + eps (eps outside the square root); with momentum: buf = momentum · buf + g / avg, p −= lr · buf,
// else p −= lr · g / avg. CPU reference: rmspropUpdate (src/cpu/).
//
// Bindings (outputs, inputs, sizes), every array laid out like the parameters (paramTable):
//   0 params:   [count] read_write
//   1 s:        [count] read_write, the square average (optimizer slot square_avg)
//   2 buf:      [count] read_write, the momentum buffer (slot momentum_buffer); only accessed when d.momentum > 0
//   3 a:        [count] read_write, the gradient average (slot grad_avg); only accessed when d.centered is 1
//               Without momentum or the centred form that slot does not exist: a one-float buffer of its own stands
//               in (WebGPU refuses one buffer in two writable bindings of a dispatch).
//   4 grads:    [count] read
//   5 d:        Dims uniform: α, and 1 − α computed on the CPU in float64 (in f32, 1 − f32(0.99) is off by 9e-7
//               relative), eps, weight_decay, momentum (0: none), centered (0 or 1)
//   6 step:     Step uniform, dynamic offset (the step table, src/gpu/plan.ts); entry.lr is this step's rate.
// Dispatch: min(ceil(count / WORKGROUP), 4096) workgroups of WORKGROUP threads, a grid-stride loop.

struct Dims { count: u32, alpha: f32, one_minus_alpha: f32, eps: f32, weight_decay: f32, momentum: f32, centered: u32 }
struct Step { start: u32, slot: u32, run: u32, lr: f32, opt: vec4f }

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read_write> s: array<f32>;
@group(0) @binding(2) var<storage, read_write> buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> a: array<f32>;
@group(0) @binding(4) var<storage, read> grads: array<f32>;
@group(0) @binding(5) var<uniform> d: Dims;
@group(0) @binding(6) var<uniform> entry: Step;

override WORKGROUP: u32; // threads per workgroup, from src/gpu/kernels/define.ts
@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let lr = entry.lr;
  for (var i = gid.x; i < d.count; i += groups.x * WORKGROUP) {
    let p = params[i];
    let g = grads[i] + d.weight_decay * p;
    let si = d.alpha * s[i] + d.one_minus_alpha * g * g;
    s[i] = si;
    var variance = si;
    if (d.centered == 1u) {
      let ai = d.alpha * a[i] + d.one_minus_alpha * g;
      a[i] = ai;
      variance = si - ai * ai;
    }
    let avg = sqrt(variance) + d.eps;
    if (d.momentum > 0.0) {
      let b = d.momentum * buf[i] + g / avg;
      buf[i] = b;
      params[i] = p - lr * b;
    } else {
      params[i] = p - lr * g / avg;
    }
  }
}
