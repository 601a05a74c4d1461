/**
 * The hidden-layer activations of the CPU reference, forward and backward: the reference of shaders/activation.wgsl
 * (every activation, with dropout when training) and of shaders/matmul.wgsl's RELU and MASK epilogues (ReLU without
 * dropout). Each is a plain loop over `count` values (outputs first; an output may be its input), in float64 rounded
 * once when stored. Every backward takes the forward's input x (the pre-activation, which the network keeps), so
 * dropout after the activation cannot disturb it.
 */
import { type Activation, LEAKY_SLOPE } from '../model/spec.js';

/** y = max(x, 0) (y may be x). Kernel: matmul.wgsl's RELU epilogue. */
export function relu(y: Float32Array, x: Float32Array, count: number): void {
  for (let i = 0; i < count; i++) y[i] = x[i] > 0 ? x[i] : 0;
}

/**
 * dx = dy where x > 0, else 0 (dx may be dy); x may be the forward's output too, which has the same sign.
 * Kernel: matmul.wgsl's MASK epilogue.
 */
export function reluBackward(dx: Float32Array, dy: Float32Array, x: Float32Array, count: number): void {
  for (let i = 0; i < count; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}

/** σ(x) = 1 / (1 + e^-x), through e^x / (1 + e^x) for x < 0 so that exp never overflows. */
function sigmoidOf(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * The error function, by Abramowitz and Stegun's formula 7.1.26: erf(x) = 1 − (a1·t + … + a5·t⁵)·e^(−x²)
 * with t = 1 / (1 + p·x) for x ≥ 0, odd in x. Its error is below 1.5e-7 everywhere (A&S's bound;
 * test/activations.test.ts measures it against a float64 erf: at most 1.4e-7), about two float32 ulps near 1, which is
 * what the WGSL twin can reach in float32 anyway (WGSL has no erf). Written here so that both backends compute the same
 * function.
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const value = 1 - poly * Math.exp(-z * z);
  return x < 0 ? -value : value;
}

const SQRT1_2 = Math.SQRT1_2;
/** 1 / sqrt(2π), the standard normal density at 0. */
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * f(x) of each activation. Leaky ReLU's slope is LEAKY_SLOPE. GELU is the exact form, PyTorch's default
 * (nn.GELU(approximate='none')): x · Φ(x) = x/2 · (1 + erf(x/√2)); with erf above it differs from the exact function
 * by at most 0.75e-7·|x|.
 */
const FORWARD: Record<Activation, (x: number) => number> = {
  relu: (x) => (x > 0 ? x : 0),
  'leaky-relu': (x) => (x > 0 ? x : LEAKY_SLOPE * x),
  sigmoid: sigmoidOf,
  tanh: Math.tanh,
  gelu: (x) => 0.5 * x * (1 + erf(x * SQRT1_2)),
};

/**
 * dy · f'(x) of each activation at the forward's input x. ReLU passes dy where x > 0, else 0 (so an infinite dy
 * below the kink gives 0, as the MASK epilogue does); leaky ReLU takes the slope at x = 0 too, as PyTorch does.
 * GELU's is Φ(x) + x·φ(x), φ the standard normal density.
 */
const BACKWARD: Record<Activation, (dy: number, x: number) => number> = {
  relu: (dy, x) => (x > 0 ? dy : 0),
  'leaky-relu': (dy, x) => (x > 0 ? dy : LEAKY_SLOPE * dy),
  sigmoid: (dy, x) => {
    const s = sigmoidOf(x);
    return dy * s * (1 - s);
  },
  tanh: (dy, x) => {
    const t = Math.tanh(x);
    return dy * (1 - t * t);
  },
  gelu: (dy, x) => dy * (0.5 * (1 + erf(x * SQRT1_2)) + x * (INV_SQRT_2PI * Math.exp(-0.5 * x * x))),
};

/** The activation a spec names, forward: y = f(x) over `count` values. Kernel: shaders/activation.wgsl. */
export function activationForward(kind: Activation, y: Float32Array, x: Float32Array, count: number): void {
  const f = FORWARD[kind];
  for (let i = 0; i < count; i++) y[i] = f(x[i]);
}

/**
 * The activation a spec names, backward: dx = dy · f'(x), with x the forward's input.
 * Kernel: shaders/activation.wgsl.
 */
export function activationBackward(
  kind: Activation,
  dx: Float32Array,
  dy: Float32Array,
  x: Float32Array,
  count: number,
): void {
  const df = BACKWARD[kind];
  for (let i = 0; i < count; i++) dx[i] = df(dy[i], x[i]);
}
