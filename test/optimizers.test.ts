/**
 * The optimiser updates against PyTorch's rules: closed forms worked out by hand for a constant gradient, and a
 * line-by-line transcription of torch/optim/sgd.py, adam.py and rmsprop.py (_single_tensor_sgd, _single_tensor_adam,
 * _single_tensor_rmsprop) over several
 * steps with changing gradients, weight decay and learning rates. The transcription keeps PyTorch's float32 tensors
 * (Math.fround after every in-place tensor op), its float64 host scalars (bias corrections), and AdamW's decay factor
 * as a float32 (a CPU kernel multiplying a float32 tensor by a Python float casts the scalar to float32).
 */
import { describe, expect, it } from 'vitest';
import { adamUpdate, momentumUpdate, rmspropUpdate, sgdUpdate } from '../src/cpu/updates.js';
import { defaultLearningRate, makeOptimizer, optimizerSlots } from '../src/model/optimizer.js';
import { Rng } from '../src/model/rng.js';
import { learningRateAt, resolveSchedule } from '../src/model/schedule.js';
import { expectClose, randomArray } from './helpers.js';
import { expectUserError } from './user-error.js';

const f = Math.fround;

describe('closed forms for a constant gradient g', () => {
  const g = 0.5;
  const lr = 0.1;
  const run = (steps: number, update: (p: Float32Array, grads: Float32Array, t: number) => void) => {
    const p = Float32Array.of(1);
    for (let t = 1; t <= steps; t++) update(p, Float32Array.of(g), t);
    return p[0];
  };

  it('momentum 0.9: buffers g, 1.9g, 2.71g, so p = 1 − lr·5.61·g after 3 steps', () => {
    const buf = new Float32Array(1);
    const p = run(3, (p, grads, t) =>
      momentumUpdate(p, buf, grads, { lr, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, step: t }, 1),
    );
    expect(p).toBeCloseTo(1 - lr * 5.61 * g, 6);
    expect(buf[0]).toBeCloseTo(2.71 * g, 6);
  });

  it('nesterov 0.9: steps g + 0.9·buf = 1.9g, 2.71g, 3.439g', () => {
    const buf = new Float32Array(1);
    const p = run(3, (p, grads, t) =>
      momentumUpdate(p, buf, grads, { lr, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: true, step: t }, 1),
    );
    expect(p).toBeCloseTo(1 - lr * (1.9 + 2.71 + 3.439) * g, 6);
  });

  it('dampening 0.5: the first buffer is g itself (torch.clone), then 0.9·buf + 0.5·g: g, 1.4g, 1.76g', () => {
    const buf = new Float32Array(1);
    const p = run(3, (p, grads, t) =>
      momentumUpdate(p, buf, grads, { lr, momentum: 0.9, dampening: 0.5, weightDecay: 0, nesterov: false, step: t }, 1),
    );
    expect(p).toBeCloseTo(1 - lr * (1 + 1.4 + 1.76) * g, 6);
  });

  it('SGD weight decay adds wd·p to the gradient: p1 = p0 − lr·(g + wd·p0)', () => {
    const p = Float32Array.of(2);
    sgdUpdate(p, Float32Array.of(g), lr, 1, 0.01);
    expect(p[0]).toBe(f(2 - lr * (g + 0.01 * 2)));
  });

  it('Adam: with bias correction every step moves by lr·g / (|g| + eps) when g is constant', () => {
    // m_t = (1 − β1^t)·g and v_t = (1 − β2^t)·g², so m̂ = g and v̂ = g² exactly: each step is lr·g/(|g| + eps).
    const m = new Float32Array(1);
    const v = new Float32Array(1);
    const p = run(4, (p, grads, t) =>
      adamUpdate(
        p,
        m,
        v,
        grads,
        { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: t },
        1,
      ),
    );
    expect(p).toBeCloseTo(1 - 4 * lr * (g / (g + 1e-8)), 5);
  });

  it('AdamW decays the weight before the step: p1 = p0·(1 − lr·wd) − lr·g/(|g| + eps)', () => {
    const p = Float32Array.of(2);
    adamUpdate(
      p,
      new Float32Array(1),
      new Float32Array(1),
      Float32Array.of(g),
      { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 1 },
      1,
    );
    expect(p[0]).toBeCloseTo(2 * (1 - lr * 0.01) - lr * (g / (g + 1e-8)), 6);
  });

  it("AdamW's decay factor is a float32, as torch's param.mul_ casts it: bitwise so where the gradient is zero", () => {
    // With g = 0, m = v = 0 and the step is 0/(0 + eps) = 0: only the decay moves p. 1 − 1e-5 is not a float32: its
    // float32 is 1.4e-8 smaller, a fifth of a float32 ulp, so about one weight in six (17% here) rounds differently.
    const n = 100_000;
    const p = randomArray(new Rng(5), n);
    const expected = p.map((x) => f(x * f(1 - 0.001 * 0.01)));
    const float64Factor = p.map((x) => f(x * (1 - 0.001 * 0.01)));
    adamUpdate(
      p,
      new Float32Array(n),
      new Float32Array(n),
      new Float32Array(n),
      { lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 1 },
      n,
    );
    expect(p).toEqual(expected);
    expect(float64Factor).not.toEqual(expected);
  });

  it('RMSprop: the first step from zero state is lr·g / (√(1 − α)·|g| + eps); centred, lr·g / (√(α(1 − α))·|g| + eps)', () => {
    const h = { lr, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false };
    const p = Float32Array.of(1);
    const square = new Float32Array(1);
    rmspropUpdate(p, square, null, null, Float32Array.of(g), h, 1);
    expect(square[0]).toBeCloseTo(0.01 * g * g, 9);
    expect(p[0]).toBeCloseTo(1 - (lr * g) / (0.1 * g + 1e-8), 6); // 1 − 10·lr
    // Centred: s − a² = 0.01g² − 0.0001g² = 0.0099g².
    const centred = Float32Array.of(1);
    const average = new Float32Array(1);
    rmspropUpdate(centred, new Float32Array(1), null, average, Float32Array.of(g), { ...h, centered: true }, 1);
    expect(average[0]).toBeCloseTo(0.01 * g, 9);
    expect(centred[0]).toBeCloseTo(1 - (lr * g) / (Math.sqrt(0.0099) * g + 1e-8), 6);
  });

  it('RMSprop momentum: the buffer starts at zero, buf = momentum·buf + g / avg', () => {
    // A constant g: s_t = (1 − α^t)·g², so step t adds g / (√(1 − α^t)·g) to 0.9 × the buffer.
    const buf = new Float32Array(1);
    const square = new Float32Array(1);
    const p = run(2, (p, grads) =>
      rmspropUpdate(
        p,
        square,
        buf,
        null,
        grads,
        { lr, alpha: 0.99, eps: 0, weightDecay: 0, momentum: 0.9, centered: false },
        1,
      ),
    );
    const step1 = 1 / Math.sqrt(0.01);
    const step2 = 0.9 * step1 + 1 / Math.sqrt(1 - 0.99 ** 2);
    expect(buf[0]).toBeCloseTo(step2, 4);
    expect(p).toBeCloseTo(1 - lr * (step1 + step2), 5);
  });

  it('RMSprop weight decay adds wd·p to the gradient before it is squared', () => {
    const p = Float32Array.of(2);
    const square = new Float32Array(1);
    rmspropUpdate(
      p,
      square,
      null,
      null,
      Float32Array.of(0),
      { lr, alpha: 0.99, eps: 1e-8, weightDecay: 0.5, momentum: 0, centered: false },
      1,
    );
    expect(square[0]).toBeCloseTo(0.01 * 1, 8); // (0 + 0.5·2)²
    expect(p[0]).toBeCloseTo(2 - (lr * 1) / (0.1 + 1e-8), 6);
  });

  it('eps sits outside the square root: a tiny gradient moves by lr·g/(|g| + eps), not lr·g/sqrt(g² + eps)', () => {
    const tiny = 1e-8;
    const p = Float32Array.of(0);
    adamUpdate(
      p,
      new Float32Array(1),
      new Float32Array(1),
      Float32Array.of(tiny),
      { lr: 1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 },
      1,
    );
    expect(p[0]).toBeCloseTo(-0.5, 6); // 1e-8 / (1e-8 + 1e-8)
  });
});

// ---- PyTorch transcribed ------------------------------------------------------------------------------------------

/** torch/optim/sgd.py, _single_tensor_sgd, for one step over float32 tensors. */
function torchSgd(
  params: Float32Array,
  grads: Float32Array,
  buf: Float32Array | null,
  lr: number,
  o: { momentum: number; dampening: number; weightDecay: number; nesterov: boolean },
  first: boolean,
): void {
  for (let i = 0; i < params.length; i++) {
    let grad = grads[i];
    if (o.weightDecay !== 0) grad = f(grad + o.weightDecay * params[i]); // grad = grad.add(param, alpha=weight_decay)
    if (o.momentum !== 0 && buf) {
      if (first)
        buf[i] = grad; // buf = torch.clone(grad).detach()
      else buf[i] = f(f(o.momentum * buf[i]) + (1 - o.dampening) * grad); // buf.mul_(momentum).add_(grad, alpha=1 - dampening)
      grad = o.nesterov ? f(grad + o.momentum * buf[i]) : buf[i]; // grad = grad.add(buf, alpha=momentum) / buf
    }
    params[i] = f(params[i] - lr * grad); // param.add_(grad, alpha=-lr)
  }
}

/** torch/optim/adam.py, _single_tensor_adam (no amsgrad, not capturable), for step t over float32 tensors. */
function torchAdam(
  params: Float32Array,
  grads: Float32Array,
  m: Float32Array,
  v: Float32Array,
  lr: number,
  o: { beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean },
  t: number,
): void {
  // Host scalars, Python floats (float64).
  const biasCorrection1 = 1 - o.beta1 ** t;
  const biasCorrection2 = 1 - o.beta2 ** t;
  const stepSize = lr / biasCorrection1;
  const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
  for (let i = 0; i < params.length; i++) {
    let grad = grads[i];
    if (o.weightDecay !== 0) {
      if (o.decoupled)
        params[i] = f(params[i] * f(1 - lr * o.weightDecay)); // param.mul_(1 - lr * weight_decay)
      else grad = f(grad + o.weightDecay * params[i]); // grad = grad.add(param, alpha=weight_decay)
    }
    m[i] = f(m[i] + (1 - o.beta1) * f(grad - m[i])); // exp_avg.lerp_(grad, 1 - beta1)
    v[i] = f(f(v[i] * o.beta2) + (1 - o.beta2) * f(grad * grad)); // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    const denom = f(f(f(Math.sqrt(v[i])) / biasCorrection2Sqrt) + o.eps); // (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    params[i] = f(params[i] - stepSize * f(m[i] / denom)); // param.addcdiv_(exp_avg, denom, value=-step_size)
  }
}

/**
 * torch/optim/rmsprop.py, _single_tensor_rmsprop (not maximize, not differentiable), for one step over float32
 * tensors; buf and gradAvg only with momentum and centred.
 */
function torchRmsprop(
  params: Float32Array,
  grads: Float32Array,
  square: Float32Array,
  buf: Float32Array | null,
  gradAvg: Float32Array | null,
  lr: number,
  o: { alpha: number; eps: number; weightDecay: number; momentum: number },
): void {
  for (let i = 0; i < params.length; i++) {
    let grad = grads[i];
    if (o.weightDecay !== 0) grad = f(grad + o.weightDecay * params[i]); // grad = grad.add(param, alpha=weight_decay)
    square[i] = f(f(square[i] * o.alpha) + (1 - o.alpha) * f(grad * grad)); // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
    let avg: number;
    if (gradAvg) {
      gradAvg[i] = f(f(gradAvg[i] * o.alpha) + (1 - o.alpha) * grad); // grad_avg.mul_(alpha).add_(grad, alpha=1 - alpha)
      avg = f(Math.sqrt(f(square[i] - f(gradAvg[i] * gradAvg[i])))); // square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
    } else {
      avg = f(Math.sqrt(square[i])); // square_avg.sqrt()
    }
    avg = f(avg + o.eps); // avg.add_(eps)
    if (buf) {
      buf[i] = f(f(buf[i] * o.momentum) + f(grad / avg)); // buf.mul_(momentum).addcdiv_(grad, avg)
      params[i] = f(params[i] - lr * buf[i]); // param.add_(buf, alpha=-lr)
    } else {
      params[i] = f(params[i] - lr * f(grad / avg)); // param.addcdiv_(grad, avg, value=-lr)
    }
  }
}

describe.each([
  { alpha: 0.99, momentum: 0, centered: false, weightDecay: 0 },
  { alpha: 0.9, momentum: 0, centered: false, weightDecay: 1e-2 },
  { alpha: 0.99, momentum: 0.9, centered: false, weightDecay: 0 },
  { alpha: 0.99, momentum: 0, centered: true, weightDecay: 0 },
  { alpha: 0.95, momentum: 0.5, centered: true, weightDecay: 1e-3 },
])(
  'rmsprop, alpha $alpha, momentum $momentum, centred $centered, weight decay $weightDecay, against PyTorch transcribed',
  (c) => {
    it('matches over 6 steps of changing gradients and a cosine learning rate', () => {
      const n = 257;
      const rng = new Rng(Math.round(c.alpha * 100) + c.momentum * 10 + (c.centered ? 7 : 0));
      const config = makeOptimizer('rmsprop', c);
      const slotNames = optimizerSlots(config);
      expect(slotNames).toEqual([
        'square_avg',
        ...(c.momentum > 0 ? ['momentum_buffer'] : []),
        ...(c.centered ? ['grad_avg'] : []),
      ]);
      const schedule = resolveSchedule({ name: 'cosine', minLr: 0.0001 }, 0.01, 1, 8);
      const mine = randomArray(rng, n);
      const theirs = mine.slice();
      const slots = slotNames.map(() => new Float32Array(n));
      const theirSlots = slotNames.map(() => new Float32Array(n));
      const slot = (list: Float32Array[], name: string) => list[slotNames.indexOf(name)] ?? null;
      for (let step = 0; step < 6; step++) {
        const grads = randomArray(rng, n, -2, 2);
        const lr = learningRateAt(0.01, schedule, step);
        rmspropUpdate(
          mine,
          slots[0],
          slot(slots, 'momentum_buffer'),
          slot(slots, 'grad_avg'),
          grads,
          { lr, ...config },
          n,
        );
        torchRmsprop(
          theirs,
          grads,
          theirSlots[0],
          slot(theirSlots, 'momentum_buffer'),
          slot(theirSlots, 'grad_avg'),
          lr,
          config,
        );
      }
      // As for SGD and Adam below: a few float32 ulps apart, the state's absolute part by its largest value.
      expectClose(mine, theirs, { atol: 1e-7, rtol: 1e-6 }, 'params');
      slots.forEach((values, i) => {
        let scale = 0;
        for (const x of theirSlots[i]) scale = Math.max(scale, Math.abs(x));
        expectClose(values, theirSlots[i], { atol: 5e-7 * scale, rtol: 1e-6 }, slotNames[i]);
      });
    });
  },
);

describe.each([
  { name: 'momentum', weightDecay: 0, dampening: 0 },
  { name: 'momentum', weightDecay: 5e-4, dampening: 0.1 },
  { name: 'nesterov', weightDecay: 1e-3, dampening: 0 },
  { name: 'adam', weightDecay: 0 },
  { name: 'adam', weightDecay: 1e-2 },
  { name: 'adamw', weightDecay: 1e-2 },
  { name: 'sgd', weightDecay: 1e-3 },
] as const)('$name, weight decay $weightDecay, against PyTorch transcribed', (c) => {
  it('matches over 6 steps of changing gradients and a cosine learning rate', () => {
    const n = 257;
    const rng = new Rng(c.name.length * 31 + Math.round(c.weightDecay * 1e4));
    const config = makeOptimizer(c.name, {
      weightDecay: c.weightDecay,
      ...('dampening' in c ? { dampening: c.dampening } : {}),
    });
    const schedule = resolveSchedule({ name: 'cosine', minLr: 0.001 }, 0.05, 1, 8);
    const mine = randomArray(rng, n);
    const theirs = mine.slice();
    const slots = optimizerSlots(config).map(() => new Float32Array(n));
    const theirSlots = slots.map(() => new Float32Array(n));
    for (let step = 0; step < 6; step++) {
      const grads = randomArray(rng, n, -2, 2);
      const lr = learningRateAt(0.05, schedule, step);
      const t = step + 1;
      if (c.name === 'sgd') {
        sgdUpdate(mine, grads, lr, n, config.weightDecay);
        torchSgd(theirs, grads, null, lr, { ...config, nesterov: false }, t === 1);
      } else if (c.name === 'momentum' || c.name === 'nesterov') {
        const h = {
          lr,
          momentum: config.momentum,
          dampening: config.dampening,
          weightDecay: config.weightDecay,
          nesterov: c.name === 'nesterov',
          step: t,
        };
        momentumUpdate(mine, slots[0], grads, h, n);
        torchSgd(theirs, grads, theirSlots[0], lr, h, t === 1);
      } else {
        const h = {
          lr,
          beta1: config.beta1,
          beta2: config.beta2,
          eps: config.eps,
          weightDecay: config.weightDecay,
          decoupled: c.name === 'adamw',
          step: t,
        };
        adamUpdate(mine, slots[0], slots[1], grads, h, n);
        torchAdam(theirs, grads, theirSlots[0], theirSlots[1], lr, h, t);
      }
    }
    // Ours computes each element in float64 and rounds once per stored value; PyTorch rounds after every tensor op.
    // Both are within a few float32 ulps of the exact update: rtol 1e-6 (about 8 ulps), and atol 1e-7 of the values'
    // scale for parameters that pass near zero.
    expectClose(mine, theirs, { atol: 1e-7, rtol: 1e-6 }, 'params');
    // The moment buffers are sums of gradients of both signs: where they cancel, PyTorch's per-op rounding (2^-24
    // of each term, up to 2 here) is kept while the sum shrinks, so the absolute part scales with the buffer's
    // largest value (measured worst: 2e-7 of it).
    slots.forEach((slot, i) => {
      let scale = 0;
      for (const x of theirSlots[i]) scale = Math.max(scale, Math.abs(x));
      expectClose(slot, theirSlots[i], { atol: 5e-7 * scale, rtol: 1e-6 }, optimizerSlots(config)[i]);
    });
  });
});

describe('optimiser settings', () => {
  it("take PyTorch's defaults, with momentum 0.9 for momentum and nesterov", () => {
    expect(makeOptimizer('sgd')).toEqual({
      name: 'sgd',
      momentum: 0,
      dampening: 0,
      weightDecay: 0,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      alpha: 0.99,
      centered: false,
    });
    expect(makeOptimizer('adam').weightDecay).toBe(0);
    expect(makeOptimizer('adamw').weightDecay).toBe(0.01);
    expect(makeOptimizer('nesterov').momentum).toBe(0.9);
    expect(defaultLearningRate('adam')).toBe(0.001);
    expect(defaultLearningRate('sgd')).toBe(0.1);
    expect(optimizerSlots(makeOptimizer('adamw'))).toEqual(['exp_avg', 'exp_avg_sq']);
    expect(optimizerSlots(makeOptimizer('nesterov'))).toEqual(['momentum_buffer']);
    expect(makeOptimizer('rmsprop')).toMatchObject({
      alpha: 0.99,
      eps: 1e-8,
      momentum: 0,
      centered: false,
      weightDecay: 0,
    });
    expect(defaultLearningRate('rmsprop')).toBe(0.001);
    expect(optimizerSlots(makeOptimizer('rmsprop'))).toEqual(['square_avg']);
    expect(optimizerSlots(makeOptimizer('rmsprop', { momentum: 0.9, centered: true }))).toEqual([
      'square_avg',
      'momentum_buffer',
      'grad_avg',
    ]);
  });

  it('refuse what PyTorch refuses, with one-line errors naming the setting', async () => {
    await expectUserError(
      () => makeOptimizer('nesterov', { dampening: 0.1 }),
      /nesterov needs momentum above 0 and dampening 0/,
      'dampening',
    );
    await expectUserError(() => makeOptimizer('adam', { beta2: 1 }), /./, 'beta2');
    await expectUserError(() => makeOptimizer('adam', { eps: 0 }), /eps/, 'eps');
    await expectUserError(() => makeOptimizer('sgd', { weightDecay: -1 }), /weightDecay/, 'weightDecay');
    await expectUserError(() => makeOptimizer('rmsprop', { alpha: -0.1 }), /alpha -0.1 is out of range/, 'alpha');
    await expectUserError(() => makeOptimizer('rmsprop', { momentum: 1 }), /momentum/, 'momentum');
  });
});
