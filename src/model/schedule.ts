/**
 * Learning-rate schedules as pure functions of the step, so that a GPU backend can fill a per-step buffer from the
 * same function and a resumed run finds the same rates. Steps count from 0 at the start of the run.
 */
import { UserError } from '../errors.js';

export const SCHEDULES = ['constant', 'step', 'cosine'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

/** A schedule in the user's terms: step decay counts epochs, as PyTorch's StepLR is usually stepped. */
export interface ScheduleOptions {
  name: ScheduleName;
  /** step: epochs between decays (StepLR's step_size). */
  stepSize?: number;
  /** step: factor per decay (StepLR's gamma, default 0.1). */
  gamma?: number;
  /** cosine: the rate it ends at (CosineAnnealingLR's eta_min, default 0). */
  minLr?: number;
}

/** A schedule resolved into steps for one run. */
export type Schedule =
  | { name: 'constant' }
  | { name: 'step'; everySteps: number; gamma: number }
  | { name: 'cosine'; totalSteps: number; minLr: number };

export const CONSTANT: ScheduleOptions = { name: 'constant' };

/**
 * The rate of step `step` (0-based) for base rate lr:
 * - constant: lr;
 * - step: lr · γ^⌊step / everySteps⌋ (StepLR with step_size epochs of everySteps / step_size steps each);
 * - cosine: minLr + (lr − minLr) · (1 + cos(π · step / totalSteps)) / 2, CosineAnnealingLR's closed form with
 *   T_max = totalSteps, evaluated every step rather than every epoch; minLr from step totalSteps on.
 */
export function learningRateAt(lr: number, schedule: Schedule, step: number): number {
  switch (schedule.name) {
    case 'constant':
      return lr;
    case 'step':
      return lr * schedule.gamma ** Math.floor(step / schedule.everySteps);
    case 'cosine': {
      const t = Math.min(step, schedule.totalSteps);
      return schedule.minLr + ((lr - schedule.minLr) * (1 + Math.cos((Math.PI * t) / schedule.totalSteps))) / 2;
    }
  }
}

/** Resolves the user's schedule for a run of `epochs` epochs of `stepsPerEpoch` steps; checks it against lr. */
export function resolveSchedule(options: ScheduleOptions, lr: number, epochs: number, stepsPerEpoch: number): Schedule {
  switch (options.name) {
    case 'constant':
      return { name: 'constant' };
    case 'step': {
      const { stepSize, gamma = 0.1 } = options;
      if (stepSize === undefined) {
        throw new UserError(
          (n) => `${n('schedule')} step needs ${n('stepSize')} N: the epochs between decays`,
          'stepSize',
        );
      }
      if (!Number.isInteger(stepSize) || stepSize < 1) {
        throw new UserError((n) => `${n('stepSize')} must be a positive integer (epochs), got ${stepSize}`, 'stepSize');
      }
      if (!(gamma > 0) || !Number.isFinite(gamma))
        throw new UserError((n) => `${n('gamma')} must be a positive number, got ${gamma}`, 'gamma');
      return { name: 'step', everySteps: stepSize * stepsPerEpoch, gamma };
    }
    case 'cosine': {
      const { minLr = 0 } = options;
      if (!(minLr >= 0) || minLr >= lr) {
        throw new UserError(
          (n) => `${n('minLr')} must be at least 0 and below ${n('learningRate')} ${lr}, got ${minLr}`,
          'minLr',
        );
      }
      return { name: 'cosine', totalSteps: epochs * stepsPerEpoch, minLr };
    }
    default:
      throw new UserError(
        (n) => `${n('schedule')} "${(options as { name: string }).name}" is not one of ${SCHEDULES.join(', ')}`,
        'schedule',
      );
  }
}
