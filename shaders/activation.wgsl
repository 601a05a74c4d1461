// activation: a hidden layer's activation and, while training, its inverted dropout, elementwise, forward or backward.
// One kernel for every activation (d.kind, a uniform branch: the kernel is memory-bound either way), used wherever
// the fused ReLU epilogues of matmul.wgsl cannot serve: another activation, or dropout. CPU references
// (src/cpu/activations.ts, src/cpu/dropout.ts), as src/cpu/network.ts calls them:
//   forward  (d.backward 0): y = dropout(f(x)):      activationForward, then dropout
//   backward (d.backward 1): y = f'(x) · dropout(y): dropoutBackward, then activationBackward
// with f by d.kind, the CPU's FORWARD and BACKWARD entries of that name: 0 relu, 1 leaky-relu (slope d.slope),
// 2 sigmoid, 3 tanh, 4 gelu (the exact form x·Φ(x), with the CPU's erf: Abramowitz and Stegun 7.1.26, see erfc_as).
// Every backward takes the forward's input x, the pre-activation, as the CPU's does. The CPU evaluates its formulas
// in float64; where the same formula would lose precision in fp32 (tanh near 0, σ' and tanh' where σ and tanh round
// to 1, Φ far below 0), this kernel evaluates an equal expression that keeps it (see each function).
// Dropout (d.dropout 1, training steps only): element i (its position in [rows, width]) of hidden layer d.layer (1 for
// the first) at run step model.run is kept when dropout_hash(model.seed, model.run, d.layer, i) >= model.threshold,
// and then scaled by model.scale = 1 / (1 - rate), each model's own rate and seed from the model table.
// The hash is src/model/counter-hash.ts's dropoutHash, MurmurHash3_x86_32 of the words (step, layer, index) keyed by
// the seed, bit for bit (u32 products wrap in WGSL as Math.imul does). Threshold 0 (rate 0) and d.dropout 0 keep
// everything unscaled, so the hash is skipped: then this is exactly the fused ReLU of matmul.wgsl.
//
// Bindings (outputs, inputs, sizes):
//   0 y:      [count] read_write: forward, f(x) with dropout; backward, the gradient of the layer's output (after
//             dropout) on entry and of its pre-activation on exit, in place (one buffer cannot be bound both
//             writable and read-only in a dispatch)
//   1 x:      [count] read: the pre-activation (the layer's matmul output plus bias)
//   2 models: the model table (src/gpu/tables.ts), row entry.at · K + model: runs, run, seed, threshold, scale
//   3 d:      Dims uniform
//   4 entry:  Step uniform, dynamic offset (the step table, src/gpu/tables.ts); only entry.at is read
// Models: workgroup z is the model (K = num_workgroups.z), its y and x d.stride elements after the previous model's;
// an inactive model's workgroups return at once.
// Dispatch: (min(ceil(count / WORKGROUP), 4096), 1, K) workgroups of WORKGROUP threads, a grid-stride loop.

struct Dims { count: u32, kind: u32, backward: u32, layer: u32, dropout: u32, slope: f32, stride: u32 }
struct Step { start: u32, slot: u32, at: u32 }
struct Model {
  runs: u32, run: u32, lr: f32, rows: u32, opt: vec4f, settings: array<f32, 8>, seed: u32, threshold: u32, scale: f32,
  unused: u32,
}

@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> models: array<Model>;
@group(0) @binding(3) var<uniform> d: Dims;
@group(0) @binding(4) var<uniform> entry: Step;

// d.kind, its values from src/gpu/kernels/activations.ts:
override RELU: u32;
override LEAKY_RELU: u32;
override SIGMOID: u32;
override TANH: u32;
override GELU: u32;

const SQRT1_2 = 0.7071067811865476;
const INV_SQRT_2PI = 0.3989422804014327; // the standard normal density at 0

// ---- the counter hash (MurmurHash3_x86_32, as src/model/counter-hash.ts) ----
// test/gpu-activation.test.ts compiles this section on its own and checks it against the TS, bit for bit.
const C1 = 0xcc9e2d51u;
const C2 = 0x1b873593u;

fn rotl(v: u32, k: u32) -> u32 {
  return (v << k) | (v >> (32u - k));
}

// One 4-byte block of MurmurHash3's body.
fn mix_word(h: u32, word: u32) -> u32 {
  let k = rotl(word * C1, 15u) * C2;
  return rotl(h ^ k, 13u) * 5u + 0xe6546b64u;
}

// MurmurHash3's finaliser.
fn fmix32(h0: u32) -> u32 {
  var h = h0;
  h ^= h >> 16u;
  h *= 0x85ebca6bu;
  h ^= h >> 13u;
  h *= 0xc2b2ae35u;
  h ^= h >> 16u;
  return h;
}

// MurmurHash3 of the three words step, layer, index (12 bytes) with the seed.
fn dropout_hash(seed: u32, step: u32, layer: u32, index: u32) -> u32 {
  return fmix32(mix_word(mix_word(mix_word(seed, step), layer), index) ^ 12u);
}
// ---- end of the counter hash ----

// σ(v), through e^v / (1 + e^v) for v < 0 so that exp never overflows (as the CPU's sigmoidOf).
fn sigmoid(v: f32) -> f32 {
  if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
  let e = exp(v);
  return e / (1.0 + e);
}

// σ'(v) = σ(v)(1 − σ(v)) = e / (1 + e)² with e = e^−|v|: the CPU's σ(1 − σ) is float64, where 1 − σ keeps its
// precision; in fp32 σ rounds to 1 from v ≈ 17 and 1 − σ to 0, so the derivative is formed from e instead.
fn sigmoid_slope(v: f32) -> f32 {
  let e = exp(-abs(v));
  return e / ((1.0 + e) * (1.0 + e));
}

// tanh(v) with fp32's relative precision everywhere (builtin tanh may lose it near 0: SwiftShader's is off by 1e-3
// relative at 1e-4, and some drivers overflow for large |v|). Below 1/4 the Taylor series to v⁹ (its truncation is
// below 2e-8 relative there); above, (1 − e) / (1 + e) with e = e^−2|v|, which never overflows and cancels at most
// 1 − e^−1/2.
fn tanh_of(v: f32) -> f32 {
  let a = abs(v);
  if (a < 0.25) {
    let v2 = v * v;
    return v * (1.0 + v2 * (-1.0 / 3.0 + v2 * (2.0 / 15.0 + v2 * (-17.0 / 315.0 + v2 * (62.0 / 2835.0)))));
  }
  let e = exp(-2.0 * a);
  return sign(v) * (1.0 - e) / (1.0 + e);
}

// tanh'(v) = 1 − tanh²(v) = 4e / (1 + e)² with e = e^−2|v|: no cancellation where tanh rounds to ±1.
fn tanh_slope(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  return 4.0 * e / ((1.0 + e) * (1.0 + e));
}

// The CPU's erf (Abramowitz and Stegun 7.1.26) is erf(z) = 1 - erfc_as(z) for z >= 0, odd in z. GELU needs
// Φ(v) = (1 + erf(v/√2)) / 2, which is erfc_as(|v|/√2) / 2 for v < 0: computed so, the small values of Φ on the
// negative side keep fp32's relative precision instead of being 1 minus a number close to 1.
fn erfc_as(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return poly * exp(-z * z);
}

fn normal_cdf(v: f32) -> f32 {
  let half_tail = 0.5 * erfc_as(abs(v) * SQRT1_2);
  return select(1.0 - half_tail, half_tail, v < 0.0);
}

fn forward(v: f32) -> f32 {
  let kind = d.kind;
  if (kind == RELU) { return select(0.0, v, v > 0.0); }
  if (kind == LEAKY_RELU) { return select(d.slope * v, v, v > 0.0); }
  if (kind == SIGMOID) { return sigmoid(v); }
  if (kind == TANH) { return tanh_of(v); }
  if (kind == GELU) { return v * normal_cdf(v); }
  return v; // no other kind exists
}

// dy · f'(v).
fn backward(dy: f32, v: f32) -> f32 {
  let kind = d.kind;
  if (kind == RELU) { return select(0.0, dy, v > 0.0); }
  if (kind == LEAKY_RELU) { return select(d.slope * dy, dy, v > 0.0); }
  if (kind == SIGMOID) { return dy * sigmoid_slope(v); }
  if (kind == TANH) { return dy * tanh_slope(v); }
  if (kind == GELU) { return dy * (normal_cdf(v) + v * INV_SQRT_2PI * exp(-0.5 * v * v)); }
  return dy; // no other kind exists
}

// Inverted dropout of element i of `model`'s layer: v scaled, or 0.
fn drop(model: Model, v: f32, i: u32) -> f32 {
  if (d.dropout == 0u || model.threshold == 0u) { return v; }
  return select(0.0, v * model.scale, dropout_hash(model.seed, model.run, d.layer, i) >= model.threshold);
}

override WORKGROUP: u32; // threads per workgroup, from src/gpu/kernels/define.ts
@compute @workgroup_size(WORKGROUP)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let model = models[entry.at * groups.z + gid.z];
  if (model.runs == 0u) { return; }
  let base = gid.z * d.stride;
  for (var i = gid.x; i < d.count; i += groups.x * WORKGROUP) {
    if (d.backward == 0u) {
      y[base + i] = drop(model, forward(x[base + i]), i);
    } else {
      y[base + i] = backward(drop(model, y[base + i], i), x[base + i]);
    }
  }
}
