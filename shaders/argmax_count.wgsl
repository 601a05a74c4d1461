// argmax_count: for one evaluation batch, the number of rows whose largest output is at the label (the first maximum
// wins on ties) and the summed loss of its rows by the model's loss (d.loss: SOFTMAX_CROSS_ENTROPY or MSE, whose
// row loss is the mean of the row's squared errors; their values are in src/gpu/kernels/losses.ts), written into
// out[entry.slot]; SOFTMAX_CROSS_ENTROPY's row loss is smoothed by d.smoothing as softmax_cross_entropy.wgsl's is (the
// criterion that trains is the one that evaluates). A regression model's batch (d.loss MSE_TARGETS) has a row of f32 targets per row instead of a
// label: only its loss is summed, the mean of each row's squared errors against its targets; correct stays 0.
// CPU reference: argmaxCount, and modelLoss(spec, null, ...) · rows (src/cpu/losses.ts) for the loss.
//
// Bindings (outputs, inputs, sizes), row-major:
//   0 out:    [batches, K] {loss_sum: f32, correct: u32} read_write; one slot per evaluation batch (of the test set,
//             then the validation set, then the training set) and model, so one read back after a whole set returns
//             every batch's numbers
//   1 logits: [rows, classes] read
//   2 labels: [rows] u32 read, or for MSE_TARGETS [rows, classes] the bit patterns of f32 targets
//   3 models: the model table (src/gpu/tables.ts), row entry.at · K + model: rows, how many of the batch's rows are
//             the model's (the first ones: models evaluated on sets of their own count only their own rows)
//   4 d:      Dims uniform
//   5 entry:  Step uniform, dynamic offset (the step table, src/gpu/tables.ts)
// Models: workgroup z is the model (K = num_workgroups.z): its logits and labels d.stride and d.labels_stride elements
// after the previous model's (labels_stride 0 where the models share the batch's labels), its result at
// out[entry.slot · K + model].
// Dispatch: exactly one workgroup of WORKGROUP threads per model (src/gpu/kernels/define.ts); per-thread sums are reduced in a fixed tree in workgroup
// memory, so both results are deterministic.

struct Dims { rows: u32, classes: u32, loss: u32, smoothing: f32, stride: u32, labels_stride: u32 }
struct Step { start: u32, slot: u32, at: u32 }
struct Model {
  runs: u32, run: u32, lr: f32, rows: u32, opt: vec4f, settings: array<f32, 8>, seed: u32, threshold: u32, scale: f32,
  unused: u32,
}
struct Result { loss_sum: f32, correct: u32 }

@group(0) @binding(0) var<storage, read_write> out: array<Result>;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read> models: array<Model>;
@group(0) @binding(4) var<uniform> d: Dims;
@group(0) @binding(5) var<uniform> entry: Step;

// d.loss, its values from src/gpu/kernels/losses.ts:
override SOFTMAX_CROSS_ENTROPY: u32;
override MSE: u32;
override MSE_TARGETS: u32;

var<workgroup> loss_part: array<f32, WORKGROUP>;
var<workgroup> correct_part: array<u32, WORKGROUP>;

override WORKGROUP: u32; // threads per workgroup, a power of two
@compute @workgroup_size(WORKGROUP)
fn main(
  @builtin(local_invocation_index) t: u32,
  @builtin(workgroup_id) wg: vec3u,
  @builtin(num_workgroups) groups: vec3u,
) {
  let rows = min(d.rows, models[entry.at * groups.z + wg.z].rows);
  let base = wg.z * d.stride;
  let label_base = wg.z * d.labels_stride;
  var loss = 0.0;
  var correct = 0u;
  for (var r = t; r < rows; r += WORKGROUP) {
    let row = base + r * d.classes;
    if (d.loss == MSE_TARGETS) {
      var squares = 0.0;
      for (var c = 0u; c < d.classes; c++) {
        let diff = logits[row + c] - bitcast<f32>(labels[label_base + r * d.classes + c]);
        squares += diff * diff;
      }
      loss += squares / f32(d.classes);
      continue;
    }
    var best = 0u;
    for (var c = 1u; c < d.classes; c++) {
      if (logits[row + c] > logits[row + best]) { best = c; }
    }
    let label = labels[label_base + r];
    if (d.loss == SOFTMAX_CROSS_ENTROPY) {
      let top = logits[row + best];
      let eps = d.smoothing;
      var sum_exp = 0.0;
      var shifted = 0.0;
      for (var c = 0u; c < d.classes; c++) { sum_exp += exp(logits[row + c] - top); }
      if (eps > 0.0) {
        for (var c = 0u; c < d.classes; c++) { shifted += logits[row + c] - top; }
      }
      loss += log(sum_exp) - ((1.0 - eps) * (logits[row + label] - top) + eps * (shifted / f32(d.classes)));
    } else {
      var squares = 0.0;
      for (var c = 0u; c < d.classes; c++) {
        let diff = logits[row + c] - select(0.0, 1.0, c == label);
        squares += diff * diff;
      }
      loss += squares / f32(d.classes);
    }
    correct += select(0u, 1u, best == label);
  }
  loss_part[t] = loss;
  correct_part[t] = correct;
  workgroupBarrier();
  for (var width = WORKGROUP / 2u; width > 0u; width /= 2u) {
    if (t < width) {
      loss_part[t] += loss_part[t + width];
      correct_part[t] += correct_part[t + width];
    }
    workgroupBarrier();
  }
  if (t == 0u) { out[entry.slot * groups.z + wg.z] = Result(loss_part[0], correct_part[0]); }
}
