// momentum_update: one step of torch.optim.SGD with momentum (and Nesterov) over the whole flat parameter vector in
// one dispatch. Per element: g = grad + weight_decay · p; buf = g at the run's first step (entry.run == 0, PyTorch's
// torch.clone), else momentum · buf + (1 − dampening) · g; the direction is g + momentum · buf (Nesterov) or buf;
// p −= lr · direction. CPU reference: momentumUpdate (src/cpu/).
//
// Bindings (outputs, inputs, sizes), every array laid out like the parameters (paramTable):
//   0 params: [count] read_write
//   1 buf:    [count] read_write, the momentum buffer (optimizer slot momentum_buffer)
//   2 grads:  [count] read
//   3 d:      Dims uniform: momentum, gain = 1 − dampening (computed on the CPU in float64: in f32 the subtraction
//             would round dampening first), weight_decay, nesterov (0 or 1)
//   4 step:   Step uniform, dynamic offset (the step table, src/gpu/plan.ts); reads entry.run (first step or not) and
//             entry.lr (the scheduled rate of that step)
// Dispatch: min(ceil(count / WORKGROUP), 4096) workgroups of WORKGROUP threads, a grid-stride loop.

struct Dims { count: u32, momentum: f32, gain: f32, weight_decay: f32, nesterov: u32 }
struct Step { start: u32, slot: u32, run: u32, lr: f32 }

@group(0) @binding(0) var<storage, read_write> params: array<f32>;
@group(0) @binding(1) var<storage, read_write> buf: array<f32>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<uniform> d: Dims;
@group(0) @binding(4) var<uniform> entry: Step;

override WORKGROUP: u32; // threads per workgroup, from src/gpu/kernels/define.ts
@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let first = entry.run == 0u;
  for (var i = gid.x; i < d.count; i += groups.x * WORKGROUP) {
    let p = params[i];
    let g = grads[i] + d.weight_decay * p;
    var b = g;
    if (!first) { b = d.momentum * buf[i] + d.gain * g; }
    buf[i] = b;
    var direction = b;
    if (d.nesterov != 0u) { direction = g + d.momentum * b; }
    params[i] = p - entry.lr * direction;
  }
}
