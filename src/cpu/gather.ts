/** Building a training or evaluation batch in the CPU reference: the reference of shaders/gather.wgsl. */

/**
 * Rows order[start .. start+batch) of the byte images, normalised as (byte / 255 - mean) / std, and their labels.
 * x is (batch, features), labelsOut is (batch), pixels is (samples, features), labels is (samples).
 */
export function gather(
  x: Float32Array, labelsOut: Uint32Array,
  pixels: Uint8Array, labels: Uint8Array | Uint32Array, order: Uint32Array,
  start: number, batch: number, features: number, mean: number, std: number,
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
