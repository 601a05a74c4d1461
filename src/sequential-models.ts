/**
 * Models trained one after another, each in a session of its own as modelAlone describes it: the CPU reference's way
 * of training several models, the oracle a GPU's models trained together are checked against, and what the benchmark
 * sets them against.
 */
import {
  type EvalSet,
  type Metrics,
  type ModelsOptions,
  type ModelsSession,
  modelAlone,
  type SessionOptions,
  type TrainingSession,
} from './backend.js';
import { checkModels } from './check.js';

export class SequentialModels implements ModelsSession {
  readonly count: number;
  private readonly stopped: boolean[];

  private constructor(
    private readonly sessions: TrainingSession[],
    private readonly alone: SessionOptions[],
    readonly stepsPerEpoch: readonly number[],
  ) {
    this.count = sessions.length;
    this.stopped = sessions.map(() => false);
  }

  /** Checks every model, then opens a session per model with `open` (a backend's createSession). */
  static async create(
    options: ModelsOptions,
    open: (options: SessionOptions) => Promise<TrainingSession>,
  ): Promise<SequentialModels> {
    const stepsPerEpoch = checkModels(options);
    const alone = options.models.map((_, i) => modelAlone(options, i));
    const sessions: TrainingSession[] = [];
    try {
      for (const model of alone) sessions.push(await open(model));
    } catch (error) {
      for (const session of sessions) session.dispose();
      throw error;
    }
    return new SequentialModels(sessions, alone, stepsPerEpoch);
  }

  setEpochOrders(orders: readonly Uint32Array[], firstSteps: readonly number[]): void {
    this.sessions.forEach((session, i) => {
      if (!this.stopped[i]) session.setEpochOrder(orders[i], firstSteps[i]);
    });
  }

  async trainSteps(first: number, count: number): Promise<Float64Array> {
    const losses = new Float64Array(this.count).fill(NaN);
    for (let i = 0; i < this.count; i++) {
      const steps = Math.min(first + count, this.stepsPerEpoch[i]) - first;
      if (!this.stopped[i] && steps > 0) losses[i] = await this.sessions[i].trainSteps(first, steps);
    }
    return losses;
  }

  stop(model: number): void {
    this.stopped[model] = true;
  }

  async evaluate(set: EvalSet = 'test'): Promise<Metrics[]> {
    return this.each((session) => session.evaluate(set));
  }

  async outputs(set: EvalSet): Promise<Float32Array[]> {
    return this.each((session, i) => {
      const data = this.alone[i][set];
      if (!data) throw new Error(`outputs("${set}") on models without that set`);
      return session.predict(data);
    });
  }

  async readParams(): Promise<Float32Array[]> {
    return this.each((session) => session.readParams());
  }

  async readOptimizerState(): Promise<Float32Array[][]> {
    return this.each((session) => session.readOptimizerState());
  }

  dispose(): void {
    for (const session of this.sessions) session.dispose();
  }

  private async each<T>(work: (session: TrainingSession, i: number) => Promise<T>): Promise<T[]> {
    const results: T[] = [];
    for (let i = 0; i < this.count; i++) results.push(await work(this.sessions[i], i));
    return results;
  }
}
