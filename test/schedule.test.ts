import { describe, expect, it } from 'vitest';
import { learningRateAt, resolveSchedule } from '../src/model/schedule.js';
import { expectUserError } from './user-error.js';

describe('learning-rate schedules', () => {
  it('constant is the base rate at every step', () => {
    const s = resolveSchedule({ name: 'constant' }, 0.1, 3, 100);
    expect([0, 50, 299, 10_000].map((t) => learningRateAt(0.1, s, t))).toEqual([0.1, 0.1, 0.1, 0.1]);
  });

  it('step decays by gamma every step-size epochs, at epoch boundaries (StepLR stepped per epoch)', () => {
    const s = resolveSchedule({ name: 'step', stepSize: 2, gamma: 0.5 }, 0.1, 6, 100);
    expect(s).toEqual({ name: 'step', everySteps: 200, gamma: 0.5 });
    expect(learningRateAt(0.1, s, 0)).toBe(0.1);
    expect(learningRateAt(0.1, s, 199)).toBe(0.1);
    expect(learningRateAt(0.1, s, 200)).toBe(0.05);
    expect(learningRateAt(0.1, s, 399)).toBe(0.05);
    expect(learningRateAt(0.1, s, 400)).toBe(0.025);
    expect(resolveSchedule({ name: 'step', stepSize: 1 }, 0.1, 6, 100)).toMatchObject({ gamma: 0.1 }); // StepLR's default
  });

  it("cosine follows CosineAnnealingLR's closed form from lr at step 0 to min-lr at the last step", () => {
    const s = resolveSchedule({ name: 'cosine', minLr: 0.001 }, 0.1, 2, 50);
    expect(s).toEqual({ name: 'cosine', totalSteps: 100, minLr: 0.001 });
    expect(learningRateAt(0.1, s, 0)).toBe(0.1);
    expect(learningRateAt(0.1, s, 50)).toBeCloseTo(0.001 + 0.099 / 2, 15);
    expect(learningRateAt(0.1, s, 25)).toBeCloseTo(0.001 + (0.099 * (1 + Math.SQRT1_2)) / 2, 15);
    expect(learningRateAt(0.1, s, 100)).toBeCloseTo(0.001, 15);
    expect(learningRateAt(0.1, s, 150)).toBeCloseTo(0.001, 15);
    // Monotonically falling.
    for (let t = 1; t <= 100; t++) expect(learningRateAt(0.1, s, t)).toBeLessThan(learningRateAt(0.1, s, t - 1));
  });

  it('refuses incomplete or impossible settings with one-line errors naming the setting', async () => {
    await expectUserError(
      () => resolveSchedule({ name: 'step' }, 0.1, 3, 10),
      /schedule step needs stepSize/,
      'stepSize',
    );
    await expectUserError(() => resolveSchedule({ name: 'step', stepSize: 0 }, 0.1, 3, 10), /stepSize/, 'stepSize');
    await expectUserError(() => resolveSchedule({ name: 'step', stepSize: 1, gamma: 0 }, 0.1, 3, 10), /gamma/, 'gamma');
    await expectUserError(() => resolveSchedule({ name: 'cosine', minLr: 0.2 }, 0.1, 3, 10), /minLr/, 'minLr');
  });
});
