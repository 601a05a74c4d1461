// mse_targets: mean squared error between a training batch's outputs and a regression's target rows (nn.MSELoss,
// the mean over every element). Writes the gradient of the outputs, 2 · (out - target) / (rows · outputs), and the
// batch's mean loss, Σ (out - target)² / (rows · outputs), into losses[entry.slot].
// CPU reference: mseTargets (src/cpu/losses.ts). The same bindings and geometry as mse_onehot.wgsl, whose place it
// takes in a training step of a regression model.
//
// Bindings (outputs, inputs, sizes), row-major:
//   0 d_out:   [rows, outputs] read_write
//   1 losses:  [slots] read_write; slot entry.slot gets this batch's mean loss
//   2 out:     [rows, outputs] read: the last layer's outputs
//   3 targets: [rows, outputs] f32 read: the gathered batch's targets
//   4 models:  the model table (src/gpu/tables.ts), row entry.at · K + model: only runs is read
//   5 d:       Dims uniform
//   6 entry:   Step uniform, dynamic offset (the step table, src/gpu/tables.ts)
// Models: workgroup z is the model (K = num_workgroups.z): its outputs, gradient and labels d.stride and
// d.labels_stride elements after the previous model's, its loss at losses[entry.slot · K + model]; an inactive model's
// workgroup returns at once.
// Dispatch: exactly one workgroup of WORKGROUP threads per model (src/gpu/kernels/define.ts). Thread t handles elements t, t + WORKGROUP, ...; the
// per-thread sums are then added in a fixed tree in workgroup memory, so the loss is deterministic (no atomics, no
// ordering races).

struct Dims { rows: u32, outputs: u32, stride: u32, labels_stride: u32 }
struct Step { start: u32, slot: u32, at: u32 }
struct Model {
  runs: u32, run: u32, lr: f32, rows: u32, opt: vec4f, settings: array<f32, 8>, seed: u32, threshold: u32, scale: f32,
  unused: u32,
}

@group(0) @binding(0) var<storage, read_write> d_out: array<f32>;
@group(0) @binding(1) var<storage, read_write> losses: array<f32>;
@group(0) @binding(2) var<storage, read> out: array<f32>;
@group(0) @binding(3) var<storage, read> targets: array<f32>;
@group(0) @binding(4) var<storage, read> models: array<Model>;
@group(0) @binding(5) var<uniform> d: Dims;
@group(0) @binding(6) var<uniform> entry: Step;

var<workgroup> partial: array<f32, WORKGROUP>;

override WORKGROUP: u32; // threads per workgroup, a power of two
@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(local_invocation_index) t: u32,
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
) {
  if (models[entry.at * groups.z + wg.z].runs == 0u) { return; } // the whole workgroup, before any barrier
  let base = wg.z * d.stride;
  let target_base = wg.z * d.labels_stride;
  let count = d.rows * d.outputs;
  let n = f32(count);
  var sum = 0.0;
  for (var i = t; i < count; i += WORKGROUP) {
    let diff = out[base + i] - targets[target_base + i];
    sum += diff * diff;
    d_out[base + i] = 2.0 * diff / n;
  }
  partial[t] = sum;
  workgroupBarrier();
  for (var width = WORKGROUP / 2u; width > 0u; width /= 2u) {
    if (t < width) { partial[t] += partial[t + width]; }
    workgroupBarrier();
  }
  if (t == 0u) { losses[entry.slot * groups.z + wg.z] = partial[0] / n; }
}
