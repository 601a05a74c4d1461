// mse_onehot: mean squared error between a training batch's outputs and the one-hot labels (nn.MSELoss, the mean
// over every element). Writes the gradient of the outputs, 2 · (out - onehot(label)) / (rows · classes), and the
// batch's mean loss, Σ (out - onehot(label))² / (rows · classes), into losses[entry.slot].
// CPU reference: mseOneHot (src/cpu/losses.ts). The same bindings and geometry as softmax_cross_entropy.wgsl, whose
// place it takes in a training step of a model trained with --loss mse.
//
// Bindings (outputs, inputs, sizes), row-major:
//   0 d_out:  [rows, classes] read_write
//   1 losses: [slots] read_write; slot entry.slot gets this batch's mean loss
//   2 out:    [rows, classes] read: the last layer's outputs
//   3 labels: [rows] u32 read
//   4 d:      Dims uniform
//   5 step:   Step uniform, dynamic offset (the step table, src/gpu/plan.ts)
// Dispatch: exactly one workgroup of 256 threads. Thread t handles rows t, t + 256, ...; the per-thread sums are then
// added in a fixed tree in workgroup memory, so the loss is deterministic (no atomics, no ordering races).

struct Dims { rows: u32, classes: u32 }
struct Step { start: u32, slot: u32 }

@group(0) @binding(0) var<storage, read_write> d_out: array<f32>;
@group(0) @binding(1) var<storage, read_write> losses: array<f32>;
@group(0) @binding(2) var<storage, read> out: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<uniform> d: Dims;
@group(0) @binding(5) var<uniform> entry: Step;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  let n = f32(d.rows * d.classes);
  var sum = 0.0;
  for (var r = t; r < d.rows; r += 256u) {
    let row = r * d.classes;
    let label = labels[r];
    for (var c = 0u; c < d.classes; c++) {
      let diff = out[row + c] - select(0.0, 1.0, c == label);
      sum += diff * diff;
      d_out[row + c] = 2.0 * diff / n;
    }
  }
  partial[t] = sum;
  workgroupBarrier();
  for (var width = 128u; width > 0u; width /= 2u) {
    if (t < width) { partial[t] += partial[t + width]; }
    workgroupBarrier();
  }
  if (t == 0u) { losses[entry.slot] = partial[0] / n; }
}
