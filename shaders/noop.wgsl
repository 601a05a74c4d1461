// noop: one thread writes one word. No CPU reference: the benchmark's baseline, the cost of a dispatch that does
// nothing, recorded the way training records its kernels (pipeline, bind group, dispatch, each one writing a buffer
// the next one touches, so Dawn puts a barrier between them as it does between the steps of a training chunk).
//
// Bindings (outputs, inputs, sizes):
//   0 out: [1] u32 read_write
//   1 d:   Dims uniform
// Dispatch: one workgroup of one thread.

struct Dims { unused: u32 }

@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> d: Dims;

@compute @workgroup_size(1)
fn main() {
  out[0] = out[0] + 1u + d.unused;
}
