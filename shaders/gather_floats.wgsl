// gather_floats: builds a batch from a float32 data set that lives on the GPU, its inputs used as they are (a table
// is standardised when it is read, so both backends see the same values): x[r, f] = inputs[sample, f], and the
// sample's label_width 32-bit label words, labels_out[r, j] = labels[sample, j] (one class index, or a regression's
// row of f32 targets copied bit for bit), where sample = order[start + r] (or start + r for an evaluation set, which
// is read in its stored order).
// CPU reference: gatherFloats (src/cpu/gather.ts).
// Shards: a set larger than one storage binding lies in several buffers of whole rows (src/gpu/buffers.ts), and a
// batch is gathered by one dispatch per shard, each bound to its shard: it writes only the batch's rows whose sample
// lies in rows [d.first, d.first + d.count) of the set, reading the shard from its own row 0. The rows of every shard
// together are the batch, each written once, as one dispatch over the whole set would write them. An unsharded set is
// one shard (first 0, count the set's rows): one dispatch.
//
// Bindings (outputs, inputs, sizes), row-major:
//   0 x:          [rows, features] f32 read_write
//   1 labels_out: [rows, label_width] u32 read_write
//   2 inputs:     [d.count, features] f32, the shard's rows
//   3 labels:     [d.count, label_width] u32, the shard's: class indices, or the bit patterns of f32 targets
//   4 order:      [samples] u32, the epoch's sample order, rows of the whole set (ignored when d.use_order is 0)
//   5 d:          Dims uniform (per dispatch, written once at set-up)
//   6 step:       Step uniform, bound with a dynamic offset (the step table, src/gpu/tables.ts)
// Models: workgroup z is the model: its order (its epoch's, or its own rows of the set), x and labels_out start
// d.order_stride, d.x_stride and d.labels_stride elements after the previous model's. A batch that every model
// shares is gathered once (K = 1).
// Dispatch: per shard, (min(ceil(rows·max(features, label_width) / WORKGROUP), 4096), 1, K) workgroups of WORKGROUP
// threads, a grid-stride loop over x's elements, then one over labels_out's.

struct Dims {
  rows: u32, features: u32, use_order: u32, label_width: u32, order_stride: u32, x_stride: u32, labels_stride: u32,
  first: u32, count: u32,
}
struct Step { start: u32, slot: u32, at: u32 }

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> labels_out: array<u32>;
@group(0) @binding(2) var<storage, read> inputs: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read> order: array<u32>;
@group(0) @binding(5) var<uniform> d: Dims;
@group(0) @binding(6) var<uniform> entry: Step;

// Row r's sample as a row of this shard; a value >= d.count (wrapped below the shard) where it lies in another.
fn own_row(model: u32, r: u32) -> u32 {
  var sample = entry.start + r;
  if (d.use_order != 0u) { sample = order[model * d.order_stride + sample]; }
  return sample - d.first;
}

override WORKGROUP: u32; // threads per workgroup, from src/gpu/kernels/define.ts
@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let threads = groups.x * WORKGROUP;
  for (var i = gid.x; i < d.rows * d.features; i += threads) {
    let r = i / d.features;
    let own = own_row(gid.z, r);
    if (own < d.count) { x[gid.z * d.x_stride + i] = inputs[own * d.features + (i - r * d.features)]; }
  }
  for (var i = gid.x; i < d.rows * d.label_width; i += threads) {
    let r = i / d.label_width;
    let own = own_row(gid.z, r);
    if (own < d.count) {
      labels_out[gid.z * d.labels_stride + i] = labels[own * d.label_width + (i - r * d.label_width)];
    }
  }
}
