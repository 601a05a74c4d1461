// gather: builds a batch from the byte data set that lives on the GPU: x[r, f] = normalise(pixels[sample, f]) and
// labels_out[r] = labels[sample], where sample = order[start + r] (or start + r for the test set, which is read in
// its stored order). CPU reference: gather (src/cpu/).
// Shards: a set larger than one storage binding lies in several buffers of whole rows (src/gpu/buffers.ts), and a
// batch is gathered by one dispatch per shard, each bound to its shard: it writes only the batch's rows whose sample
// lies in rows [d.first, d.first + d.count) of the set, reading the shard from its own row 0. The rows of every shard
// together are the batch, each written once, as one dispatch over the whole set would write them. An unsharded set is
// one shard (first 0, count the set's rows): one dispatch.
//
// Bindings (outputs, inputs, sizes), row-major:
//   0 x:          [rows, features] f32 read_write
//   1 labels_out: [rows] u32 read_write
//   2 pixels:     [d.count, features] bytes, the shard's rows, packed 4 to a u32 little-endian (byte i is byte i % 4
//                 of word i / 4; rows need not start on a word)
//   3 labels:     [d.count] bytes, the shard's labels, packed the same way
//   4 order:      [samples] u32, the epoch's sample order, rows of the whole set (ignored when d.use_order is 0)
//   5 lut:        [256] f32, lut[v] = v / (255·std) - mean/std rounded to f32 on the CPU, exactly the value
//                 the CPU's gather stores for byte v. A table rather than arithmetic here, because f32 arithmetic on the
//                 GPU (and a possible fused multiply-add) can differ from the CPU's float64-then-round by an ulp, and
//                 the two backends should see bit-identical inputs.
//   6 d:          Dims uniform (per dispatch, written once at set-up)
//   7 step:       Step uniform, bound with a dynamic offset (the step table, src/gpu/tables.ts); only entry.start is
//                 read
// Models: workgroup z is the model: its order (its epoch's, or its own rows of the set), x and labels_out start
// d.order_stride, d.x_stride and d.labels_stride elements after the previous model's. A batch that every model
// shares is gathered once (K = 1).
// Dispatch: per shard, (min(ceil(rows·features / WORKGROUP), 4096), 1, K) workgroups of WORKGROUP threads, a
// grid-stride loop over x's elements.

struct Dims {
  rows: u32, features: u32, use_order: u32, order_stride: u32, x_stride: u32, labels_stride: u32,
  first: u32, count: u32,
}
struct Step { start: u32, slot: u32, at: u32 }

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> labels_out: array<u32>;
@group(0) @binding(2) var<storage, read> pixels: array<u32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read> order: array<u32>;
@group(0) @binding(5) var<storage, read> lut: array<f32, 256>;
@group(0) @binding(6) var<uniform> d: Dims;
@group(0) @binding(7) var<uniform> entry: Step;

fn pixel(i: u32) -> u32 { return (pixels[i / 4u] >> ((i % 4u) * 8u)) & 0xffu; }
fn label(i: u32) -> u32 { return (labels[i / 4u] >> ((i % 4u) * 8u)) & 0xffu; }

override WORKGROUP: u32; // threads per workgroup, from src/gpu/kernels/define.ts
@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < d.rows * d.features; i += groups.x * WORKGROUP) {
    let r = i / d.features;
    let f = i - r * d.features;
    var sample = entry.start + r;
    if (d.use_order != 0u) { sample = order[gid.z * d.order_stride + sample]; }
    let own = sample - d.first; // the row in this shard; wraps to a large value below the shard
    if (own >= d.count) { continue; }
    x[gid.z * d.x_stride + i] = lut[pixel(own * d.features + f)];
    if (f == 0u) { labels_out[gid.z * d.labels_stride + r] = label(own); }
  }
}
