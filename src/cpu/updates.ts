/**
 * The optimiser updates of the CPU reference (shaders/sgd_update.wgsl, momentum_update.wgsl, adam_update.wgsl,
 * rmsprop_update.wgsl, and matmul.wgsl's UPDATE epilogue, which is sgdUpdate): one plain loop over the flat parameter
 * vector each, in the order of operations of PyTorch's single-tensor implementations (torch/optim/sgd.py, adam.py,
 * rmsprop.py), in float64 with each stored value rounded to float32 once. Every array is laid out like the parameters.
 */
import { adamBiasCorrection, type OptimizerConfig } from '../model/optimizer.js';

/**
 * params −= lr · (grads + weightDecay · params): torch.optim.SGD without momentum (weightDecay last, default 0).
 * Kernel: shaders/sgd_update.wgsl.
 */
export function sgdUpdate(params: Float32Array, grads: Float32Array, lr: number, count: number, weightDecay = 0): void {
  if (weightDecay === 0) {
    for (let i = 0; i < count; i++) params[i] -= lr * grads[i];
  } else {
    for (let i = 0; i < count; i++) params[i] -= lr * (grads[i] + weightDecay * params[i]);
  }
}

/** The scalars of one momentum step; `step` is 1-based: at step 1 the buffer is set to the gradient (torch.clone). */
export type MomentumStep = Pick<OptimizerConfig, 'momentum' | 'dampening' | 'weightDecay'> & {
  lr: number;
  nesterov: boolean;
  step: number;
};

/**
 * torch.optim.SGD with momentum: g = grad + wd·p; buf = g at step 1, else momentum·buf + (1 − dampening)·g;
 * nesterov: g = g + momentum·buf, else g = buf; p −= lr·g. Kernel: shaders/momentum_update.wgsl.
 */
export function momentumUpdate(
  params: Float32Array,
  buffer: Float32Array,
  grads: Float32Array,
  h: MomentumStep,
  count: number,
): void {
  const { lr, momentum, dampening, weightDecay, nesterov } = h;
  const first = h.step === 1;
  for (let i = 0; i < count; i++) {
    const g = grads[i] + weightDecay * params[i];
    buffer[i] = first ? g : momentum * buffer[i] + (1 - dampening) * g;
    const direction = nesterov ? g + momentum * buffer[i] : buffer[i];
    params[i] -= lr * direction;
  }
}

/** The scalars of one Adam or AdamW step (1-based `step`); decoupled (AdamW): p *= 1 − lr·wd before the step. */
export type AdamStep = Pick<OptimizerConfig, 'beta1' | 'beta2' | 'eps' | 'weightDecay'> & {
  lr: number;
  decoupled: boolean;
  step: number;
};

/**
 * torch.optim.Adam / AdamW: (Adam) g = grad + wd·p, or (AdamW) p *= 1 − lr·wd; m = β1·m + (1 − β1)·g;
 * v = β2·v + (1 − β2)·g²; p −= lr / (1 − β1^t) · m / (√v / √(1 − β2^t) + eps), eps outside the
 * square root. Kernel: shaders/adam_update.wgsl.
 */
export function adamUpdate(
  params: Float32Array,
  expAvg: Float32Array,
  expAvgSq: Float32Array,
  grads: Float32Array,
  h: AdamStep,
  count: number,
): void {
  const { lr, beta1, beta2, eps, weightDecay, decoupled } = h;
  const { stepSize, bc2Sqrt } = adamBiasCorrection(lr, beta1, beta2, h.step);
  // The decay factor is a float32, as torch's param.mul_(1 − lr·wd) casts its scalar (and adam_update.wgsl gets
  // it): the factor multiplies every weight every step, and float64's slightly different factor alone moved a run
  // apart from PyTorch's after a few hundred steps (bench/peers/torch_mnist.py agree).
  const decay = decoupled ? Math.fround(1 - lr * weightDecay) : 1;
  const coupled = decoupled ? 0 : weightDecay;
  for (let i = 0; i < count; i++) {
    if (decoupled) params[i] *= decay;
    const g = grads[i] + coupled * params[i];
    expAvg[i] = beta1 * expAvg[i] + (1 - beta1) * g;
    expAvgSq[i] = beta2 * expAvgSq[i] + (1 - beta2) * g * g;
    const denom = Math.sqrt(expAvgSq[i]) / bc2Sqrt + eps;
    params[i] -= (stepSize * expAvg[i]) / denom;
  }
}

/** The scalars of one RMSprop step; none depends on the step count (RMSprop has no bias correction). */
export type RmspropStep = Pick<OptimizerConfig, 'alpha' | 'eps' | 'weightDecay' | 'momentum' | 'centered'> & {
  lr: number;
};

/**
 * torch.optim.RMSprop: g = grad + wd·p; s = α·s + (1 − α)·g²; centred: a = α·a + (1 − α)·g,
 * avg = √(s − a²) + eps, else avg = √s + eps (eps outside the square root); with momentum:
 * buf = momentum·buf + g / avg, p −= lr·buf (the buffer starts at zero, unlike SGD's), else p −= lr·g / avg.
 * `momentumBuffer` and `gradAvg` are the state slots that exist only with momentum and in the centred form: null
 * without them. Kernel: shaders/rmsprop_update.wgsl.
 */
export function rmspropUpdate(
  params: Float32Array,
  squareAvg: Float32Array,
  momentumBuffer: Float32Array | null,
  gradAvg: Float32Array | null,
  grads: Float32Array,
  h: RmspropStep,
  count: number,
): void {
  const { lr, alpha, eps, weightDecay, momentum } = h;
  if (momentum > 0 !== (momentumBuffer !== null) || h.centered !== (gradAvg !== null)) {
    throw new Error(
      'rmspropUpdate: give the momentum buffer exactly when momentum > 0, the gradient average exactly when centred',
    );
  }
  for (let i = 0; i < count; i++) {
    const g = grads[i] + weightDecay * params[i];
    squareAvg[i] = alpha * squareAvg[i] + (1 - alpha) * g * g;
    let variance = squareAvg[i];
    if (gradAvg) {
      gradAvg[i] = alpha * gradAvg[i] + (1 - alpha) * g;
      variance -= gradAvg[i] * gradAvg[i];
    }
    const avg = Math.sqrt(variance) + eps;
    if (momentumBuffer) {
      momentumBuffer[i] = momentum * momentumBuffer[i] + g / avg;
      params[i] -= lr * momentumBuffer[i];
    } else {
      params[i] -= (lr * g) / avg;
    }
  }
}
