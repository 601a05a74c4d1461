// softmax_cross_entropy: fused softmax and cross-entropy over a training batch, with label smoothing d.smoothing = ε
// (nn.CrossEntropyLoss(label_smoothing=ε)): the target is (1 - ε)·onehot(label) + ε / classes. Writes the gradient of
// the logits, (softmax - target) / rows, and the batch's mean loss, the mean over rows of (1 - ε)·(-log p_label) +
// ε·mean_c(-log p_c), into losses[entry.slot]. Each row's maximum is subtracted first so exp() stays finite for any
// logits; with ε = 0 the mean of the logits is not needed, and is not summed.
// CPU reference: softmaxCrossEntropy (src/cpu/).
//
// Bindings (outputs, inputs, sizes), row-major:
//   0 d_logits: [rows, classes] read_write
//   1 losses:   [slots] read_write; slot entry.slot gets this batch's mean loss, so one read back after a chunk of
//               steps returns every step's loss
//   2 logits:   [rows, classes] read
//   3 labels:   [rows] u32 read
//   4 models:   the model table (src/gpu/tables.ts), row entry.at · K + model: only runs is read
//   5 d:        Dims uniform
//   6 entry:    Step uniform, dynamic offset (the step table, src/gpu/tables.ts)
// Models: workgroup z is the model (K = num_workgroups.z): its outputs, gradient and labels d.stride and
// d.labels_stride elements after the previous model's, its loss at losses[entry.slot · K + model]; an inactive model's
// workgroup returns at once.
// Dispatch: exactly one workgroup of WORKGROUP threads per model (src/gpu/kernels/define.ts). Thread t handles rows t, t + WORKGROUP, ...; the
// per-thread loss sums are then added in a fixed tree in workgroup memory, so the loss is deterministic (no atomics,
// no ordering races).

struct Dims { rows: u32, classes: u32, smoothing: f32, stride: u32, labels_stride: u32 }
struct Step { start: u32, slot: u32, at: u32 }
struct Model {
  runs: u32, run: u32, lr: f32, rows: u32, opt: vec4f, settings: array<f32, 8>, seed: u32, threshold: u32, scale: f32,
  unused: u32,
}

@group(0) @binding(0) var<storage, read_write> d_logits: array<f32>;
@group(0) @binding(1) var<storage, read_write> losses: array<f32>;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
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
  let label_base = wg.z * d.labels_stride;
  let rows = f32(d.rows);
  let eps = d.smoothing;
  let spread = eps / f32(d.classes);
  var sum = 0.0;
  for (var r = t; r < d.rows; r += WORKGROUP) {
    let row = base + r * d.classes;
    var top = logits[row];
    for (var c = 1u; c < d.classes; c++) { top = max(top, logits[row + c]); }
    var sum_exp = 0.0;
    for (var c = 0u; c < d.classes; c++) { sum_exp += exp(logits[row + c] - top); }
    var shifted = 0.0;
    if (eps > 0.0) {
      for (var c = 0u; c < d.classes; c++) { shifted += logits[row + c] - top; }
    }
    let label = labels[label_base + r];
    // -log p_c = log(sum_exp) - (z_c - top): the target's weights sum to 1.
    sum += log(sum_exp) - ((1.0 - eps) * (logits[row + label] - top) + eps * (shifted / f32(d.classes)));
    for (var c = 0u; c < d.classes; c++) {
      let p = exp(logits[row + c] - top) / sum_exp;
      d_logits[row + c] = (p - ((1.0 - eps) * select(0.0, 1.0, c == label) + spread)) / rows;
    }
  }
  partial[t] = sum;
  workgroupBarrier();
  for (var width = WORKGROUP / 2u; width > 0u; width /= 2u) {
    if (t < width) { partial[t] += partial[t + width]; }
    workgroupBarrier();
  }
  if (t == 0u) { losses[entry.slot * groups.z + wg.z] = partial[0] / rows; }
}
