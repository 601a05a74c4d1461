/**
 * Optimiser settings with PyTorch's update rules and defaults (torch.optim.SGD, Adam, AdamW, RMSprop), their state's
 * slot names and per-step scalars. The updates are in src/cpu/updates.ts and shaders/; each slot is one flat array
 * laid out like the parameters, so checkpoints name its tensors after theirs.
 */
import { type Field, UserError } from '../errors.js';
import { checkOneOf } from './spec.js';

export const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'adam', 'adamw', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface OptimizerConfig {
  name: OptimizerName;
  /** The momentum factor: SGD's (momentum, nesterov), or RMSprop's (0: none). */
  momentum: number;
  /** SGD's dampening of the new gradient in the momentum buffer (0; nesterov requires 0). */
  dampening: number;
  /**
   * sgd, momentum, nesterov, adam: wd · param is added to the gradient; adamw: param *= 1 − lr · wd (decoupled).
   */
  weightDecay: number;
  beta1: number;
  beta2: number;
  /** Adam's and RMSprop's epsilon, added outside the square root. */
  eps: number;
  /** RMSprop's smoothing constant: the decay of its square (and gradient) averages. */
  alpha: number;
  /** RMSprop's centred form: normalises by the variance of the gradient (its square average less its squared mean). */
  centered: boolean;
}

/**
 * PyTorch's defaults: SGD momentum 0, dampening 0, weight decay 0; Adam betas (0.9, 0.999), eps 1e-8, weight decay 0;
 * AdamW the same with weight decay 0.01; RMSprop alpha 0.99, eps 1e-8, momentum 0, not centred. Only momentum
 * differs: torch.optim.SGD's default of 0 would make "momentum" plain SGD, so it defaults to 0.9, as nearly everyone
 * passes.
 */
export function makeOptimizer(
  name: OptimizerName,
  overrides: Partial<Omit<OptimizerConfig, 'name'>> = {},
): OptimizerConfig {
  const config: OptimizerConfig = {
    name,
    momentum: name === 'momentum' || name === 'nesterov' ? 0.9 : 0,
    dampening: 0,
    weightDecay: name === 'adamw' ? 0.01 : 0,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    alpha: 0.99,
    centered: false,
    ...overrides,
  };
  validateOptimizer(config);
  return config;
}

export const PLAIN_SGD: OptimizerConfig = makeOptimizer('sgd');

/**
 * The default learning rate of each optimiser: 0.1 for plain SGD, 0.01 with momentum (which multiplies the step by
 * about 1 / (1 − momentum)), and PyTorch's 0.001 for Adam and AdamW. RMSprop's is 0.001 too (PyTorch's is 0.01): its
 * steps are normalised by the gradient's scale as Adam's are, so the same rate suits it.
 */
export function defaultLearningRate(name: OptimizerName): number {
  return name === 'sgd' ? 0.1 : name === 'momentum' || name === 'nesterov' ? 0.01 : 0.001;
}

/**
 * The state an optimiser keeps per parameter, named and ordered as PyTorch's optimizer.state_dict() holds it:
 * RMSprop's momentum buffer and gradient average only with momentum and in the centred form.
 */
export function optimizerSlots(config: Pick<OptimizerConfig, 'name' | 'momentum' | 'centered'>): string[] {
  switch (config.name) {
    case 'sgd':
      return [];
    case 'momentum':
    case 'nesterov':
      return ['momentum_buffer'];
    case 'adam':
    case 'adamw':
      return ['exp_avg', 'exp_avg_sq'];
    case 'rmsprop':
      return [
        'square_avg',
        ...(config.momentum > 0 ? ['momentum_buffer'] : []),
        ...(config.centered ? ['grad_avg'] : []),
      ];
  }
}

/** RMSprop's state arrays by role, from the slots optimizerSlots orders; null for a slot these settings lack. */
export function rmspropState<T>(state: readonly T[], config: Pick<OptimizerConfig, 'momentum' | 'centered'>) {
  const momentumBuffer = config.momentum > 0 ? state[1] : null;
  const gradAvg = config.centered ? state[config.momentum > 0 ? 2 : 1] : null;
  return { squareAvg: state[0], momentumBuffer, gradAvg };
}

/** Refuses settings that PyTorch refuses, naming the setting. */
export function validateOptimizer(config: OptimizerConfig): void {
  checkOneOf('optimizer', config.name, OPTIMIZERS);
  const inRange = (field: Field, value: number, low: number, high: number, highOpen: boolean) => {
    const ok = Number.isFinite(value) && value >= low && (highOpen ? value < high : value <= high);
    if (!ok)
      throw new UserError(
        (n) => `${n(field)} ${value} is out of range: use a number in [${low}, ${high}${highOpen ? ')' : ']'}`,
        field,
      );
  };
  inRange('momentum', config.momentum, 0, 1, true);
  inRange('dampening', config.dampening, 0, 1, false);
  inRange('weightDecay', config.weightDecay, 0, Infinity, true);
  inRange('beta1', config.beta1, 0, 1, true);
  inRange('beta2', config.beta2, 0, 1, true);
  inRange('alpha', config.alpha, 0, 1, false);
  if (typeof config.centered !== 'boolean') {
    throw new UserError((n) => `${n('centered')} must be true or false, got ${String(config.centered)}`, 'centered');
  }
  if (!(config.eps > 0) || !Number.isFinite(config.eps))
    throw new UserError((n) => `${n('eps')} ${config.eps} must be a positive number`, 'eps');
  if (config.name === 'nesterov' && (config.momentum <= 0 || config.dampening !== 0)) {
    throw new UserError(
      (n) =>
        `${n('optimizer')} nesterov needs ${n('momentum')} above 0 and ${n('dampening')} 0 (as torch.optim.SGD does)`,
      config.momentum <= 0 ? 'momentum' : 'dampening',
    );
  }
  if (config.name === 'momentum' && config.momentum <= 0) {
    throw new UserError(
      (n) => `${n('optimizer')} momentum needs ${n('momentum')} above 0: use ${n('optimizer')} sgd for plain SGD`,
      'momentum',
    );
  }
}

/**
 * Adam's bias corrections at 1-based step t, computed on the host in float64 as torch.optim.Adam does:
 * stepSize = lr / (1 − β1^t) and bc2Sqrt = √(1 − β2^t). A GPU backend puts these per step into its model table.
 */
export function adamBiasCorrection(lr: number, beta1: number, beta2: number, step: number) {
  return { stepSize: lr / (1 - beta1 ** step), bc2Sqrt: Math.sqrt(1 - beta2 ** step) };
}
