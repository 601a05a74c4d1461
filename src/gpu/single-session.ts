/**
 * A model training alone on one GPU device (TrainingSession): the models session of one (./session.ts), with the
 * checks and numbers a single session's callers rely on.
 */
import {
  type Dataset,
  type EvalSet,
  type Metrics,
  refuseTraining,
  type SessionOptions,
  type TrainingSession,
} from '../backend.js';
import type { Gpu } from './device.js';
import type { Kernels } from './kernels.js';
import { asModels } from './plan.js';
import type { GpuStats } from './record.js';
import { type SessionTuning, WebGpuModels } from './session.js';

/** A model training alone on one GPU device: the models session of one. */
export class WebGpuSession implements TrainingSession {
  readonly stats: GpuStats;
  readonly stepsPerEpoch: number;
  readonly evalRows: number;
  /** Dispatches recorded per training step (see NetGraph.trainStep); none when evaluateOnly. */
  readonly dispatchesPerStep: number;

  private constructor(
    private readonly models: WebGpuModels,
    private readonly options: SessionOptions,
  ) {
    this.stats = models.stats;
    this.stepsPerEpoch = models.stepsPerEpoch[0];
    this.evalRows = models.evalRows;
    this.dispatchesPerStep = models.dispatchesPerStep;
  }

  /** Plans and makes the session as WebGpuModels.create makes one model. */
  static async create(
    gpu: Gpu,
    kernels: Kernels,
    options: SessionOptions,
    tuning: SessionTuning = {},
  ): Promise<WebGpuSession> {
    const models = asModels(options, options.params);
    const extras = { optimizerStates: [options.optimizerState], evaluateOnly: options.evaluateOnly };
    return new WebGpuSession(await WebGpuModels.create(gpu, kernels, models, tuning, extras), options);
  }

  setEpochOrder(order: Uint32Array, firstStep = 0): void {
    refuseTraining(this.options);
    this.models.setEpochOrders([order], [firstStep]);
  }

  async trainSteps(first: number, count: number): Promise<number> {
    refuseTraining(this.options);
    const covered = this.models.orderSteps(0);
    if (Number.isInteger(first) && Number.isInteger(count) && first + count > covered) {
      throw new Error(
        `steps ${first}..${first + count - 1} need an epoch order ` +
          `of at least ${(first + count) * this.options.batch} samples; ` +
          `the current one covers ${covered} steps (call setEpochOrder first)`,
      );
    }
    return (await this.models.trainSteps(first, count))[0];
  }

  async evaluate(which: EvalSet = 'test'): Promise<Metrics> {
    return (await this.models.evaluate(which))[0];
  }

  async predict(set: Dataset): Promise<Float32Array> {
    return (await this.models.predict(set))[0];
  }

  async readParams(): Promise<Float32Array> {
    return (await this.models.readParams())[0];
  }

  async readOptimizerState(): Promise<Float32Array[]> {
    return (await this.models.readOptimizerState())[0];
  }

  dispose(): void {
    this.models.dispose();
  }
}
