/**
 * Building a training or evaluation batch in the CPU reference: the reference of shaders/gather.wgsl (byte images)
 * and shaders/gather_floats.wgsl (float32 inputs, any labels).
 */

/**
 * Rows order[start .. start+batch) of the byte images, normalised as (byte / 255 - mean) / std, and their labels.
 * x is (batch, features), labelsOut is (batch), pixels is (samples, features), labels is (samples).
 */
export function gather(
  x: Float32Array,
  labelsOut: Uint32Array,
  pixels: Uint8Array,
  labels: Uint8Array | Uint32Array,
  order: Uint32Array,
  start: number,
  batch: number,
  features: number,
  mean: number,
  std: number,
): void {
  const scale = 1 / (255 * std);
  const shift = mean / std;
  for (let r = 0; r < batch; r++) {
    const sample = order[start + r];
    const src = sample * features;
    const dst = r * features;
    for (let f = 0; f < features; f++) x[dst + f] = pixels[src + f] * scale - shift;
    labelsOut[r] = labels[sample];
  }
}

/**
 * Rows order[start .. start+batch) of float32 inputs and their labels, copied as they are: labelWidth values per
 * sample, a class index (into a Uint32Array) or a regression's targets (into a Float32Array). x is (batch, features),
 * labelsOut is (batch, labelWidth), inputs is (samples, features), labels is (samples, labelWidth).
 */
export function gatherFloats(
  x: Float32Array,
  labelsOut: Uint32Array | Float32Array,
  inputs: Float32Array,
  labels: Uint8Array | Uint32Array | Float32Array,
  order: Uint32Array,
  start: number,
  batch: number,
  features: number,
  labelWidth: number,
): void {
  for (let r = 0; r < batch; r++) {
    const sample = order[start + r];
    x.set(inputs.subarray(sample * features, (sample + 1) * features), r * features);
    for (let j = 0; j < labelWidth; j++) labelsOut[r * labelWidth + j] = labels[sample * labelWidth + j];
  }
}
