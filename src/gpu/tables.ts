/**
 * The two tables a session's recorded steps read: the step table (where each step's or evaluation batch's work is)
 * and the model table beside it (what each model does in it), as plan.ts sizes them.
 */
import type { EvalSet } from '../backend.js';
import { dropoutThreshold } from '../model/counter-hash.js';
import { learningRateAt } from '../model/schedule.js';
import { optimizerSettings, optimizerStepValues } from './kernels/updates.js';
import { type EvalPlan, MODEL_ROW_BYTES, type ModelPlan, type Plan } from './plan.js';

// A chunk of training steps is one command buffer, and queue.writeBuffer lands before the whole submission runs, so
// nothing that changes from step to step can be written between the steps. Instead a uniform buffer, the step table,
// holds one entry per training step of the epoch, then one per evaluation batch of the test, validation and training
// sets, `stride` bytes apart (minUniformBufferOffsetAlignment); a kernel declares a Step uniform, bound with a dynamic
// offset: recording step s passes s · stride, writing and creating nothing. What differs between the models of a
// step lives in a storage buffer beside it, the model table: row at · K + model for step-table entry `at` (entry i
// has at = i), read by the kernels that bind it. The step table never changes; the model table's training rows
// change between epochs where a kernel reads their run-dependent fields (a schedule, Adam's bias corrections,
// dropout's masks), and when a model stops.

/**
 * One step-table entry, as WGSL's struct Step { start: u32, slot: u32, at: u32 }:
 * - start: the first row of the epoch order (or of the set, as stored) this step or evaluation batch reads;
 * - slot: where it writes its result (the loss of training step s, the counts of evaluation batch b), times K plus
 *   the model;
 * - at: its row in the model table (encodeStepTable writes the entry's index).
 */
export interface StepEntry {
  start: number;
  slot: number;
}

/** Bytes of one step-table entry as bound: struct Step, in 16-byte units. */
export const STEP_BINDING = 16;

/** Writes `entries` into a step table's bytes, entry i at i · stride. */
export function encodeStepTable(entries: readonly StepEntry[], stride: number): ArrayBuffer {
  const bytes = new ArrayBuffer(Math.max(1, entries.length) * stride);
  const words = new Uint32Array(bytes);
  entries.forEach(({ start, slot }, i) => words.set([start, slot, i], (i * stride) / 4));
  return bytes;
}

/**
 * What one model does at one step-table entry, a row of the model table:
 * - active: whether its kernels run (a stopped model, or a step past its epoch, returns at once);
 * - run: the run's step count, 0-based (learning-rate schedule, optimiser bias corrections, dropout masks);
 * - lr: the learning rate of that step, the schedule evaluated on the CPU in float64 and rounded once;
 * - rows: of an evaluation batch, how many of its rows are the model's (argmax_count counts only those);
 * - opt: four per-step values of the optimiser (optimizerStepValues), e.g. Adam's bias corrections.
 */
export interface ModelRow {
  active?: boolean;
  run?: number;
  lr?: number;
  rows?: number;
  opt?: readonly number[];
}

/** What a model keeps for its whole life: its optimiser's settings (optimizerSettings) and its dropout. */
export interface ModelConstants {
  settings?: readonly number[];
  dropout?: number;
  seed?: number;
}

/** Writes a model table: row at · K + model, `rows[at][model]` with each model's constants. */
export function encodeModelTable(
  rows: readonly (readonly ModelRow[])[],
  constants: readonly ModelConstants[],
): ArrayBuffer {
  const k = constants.length;
  const bytes = new ArrayBuffer(Math.max(1, rows.length * k) * MODEL_ROW_BYTES);
  const words = new Uint32Array(bytes);
  const floats = new Float32Array(bytes);
  rows.forEach((entry, at) =>
    entry.forEach(({ active = true, run = 0, lr = 0, rows: count = 0xffffffff, opt = [] }, model) => {
      const { settings = [], dropout = 0, seed = 0 } = constants[model];
      const w = ((at * k + model) * MODEL_ROW_BYTES) / 4;
      words.set([active ? 1 : 0, run], w);
      floats[w + 2] = lr;
      words[w + 3] = count;
      floats.set(opt.slice(0, 4), w + 4);
      floats.set(settings.slice(0, 8), w + 8);
      words.set([seed, dropoutThreshold(dropout)], w + 16);
      floats[w + 18] = 1 / (1 - dropout);
    }),
  );
  return bytes;
}

/** Each model's constants, as its kernels read them. */
export const modelConstants = (plan: Plan): ModelConstants[] =>
  plan.models.map((m) => ({ settings: optimizerSettings(m.optimizer), dropout: m.dropout, seed: m.seed }));

/** Where each model stands in the epoch: its run step at step 0, the steps it may take (0: stopped). */
export interface EpochState {
  firstSteps: readonly number[];
  steps: readonly number[];
}

/**
 * The model-table rows of the training steps of an epoch: step s of model i is run step firstSteps[i] + s (with
 * that step's rate and optimiser values), active while s < steps[i]. A model whose kernels read nothing
 * run-dependent keeps the rows of run step 0, so its rows change only when it stops.
 */
export function trainingRows(plan: Plan, epoch: EpochState): ModelRow[][] {
  return Array.from({ length: plan.stepsPerEpoch }, (_, s) =>
    plan.models.map((m, i): ModelRow => {
      const run = (runDependent(m) ? epoch.firstSteps[i] : 0) + s;
      const lr = learningRateAt(m.learningRate, m.schedule, run);
      return { active: s < epoch.steps[i], run, lr, opt: optimizerStepValues(m.optimizer, lr, run) };
    }),
  );
}

/** The model-table rows of a set's evaluation batches: every model active, with its rows of batch b. */
export function evalBatchRows(plan: Plan, set: EvalSet): ModelRow[][] {
  const { batches, rows } = plan[set]!;
  return Array.from({ length: batches }, (_, b) =>
    plan.models.map((m) => ({ rows: Math.max(0, Math.min(rows, m.counts[set] - b * rows)) })),
  );
}

/**
 * The step-table entries of a set's evaluation batches: batch b reads from row b · rows, writes its slot; through a
 * data window of `group` batches, from the row of the window it is given, (b mod group) · rows.
 */
export function evalEntries({ batches, rows, firstSlot, group }: EvalPlan): StepEntry[] {
  return Array.from({ length: batches }, (_, b) => ({ start: (b % group) * rows, slot: firstSlot + b }));
}

/** The sets a session evaluates, in their slots' order. */
export const evalSets = (plan: Plan): EvalSet[] => (['test', 'val', 'train'] as const).filter((set) => plan[set]);

/**
 * A session's whole step table: its training steps (step s from entry s · batch of the epoch order, or of the order
 * of the data window's steps, (s mod steps) · batch), then every evaluation batch of every set.
 */
export function sessionEntries(plan: Plan): StepEntry[] {
  const window = plan.stream?.steps ?? plan.stepsPerEpoch;
  const training = Array.from({ length: plan.stepsPerEpoch }, (_, s) => ({
    start: (s % window) * plan.batch,
    slot: s,
  }));
  return [...training, ...evalSets(plan).flatMap((set) => evalEntries(plan[set]!))];
}

/** Whether any kernel reads a model's run-dependent fields (else they are those of run step 0). */
export function runDependent(m: Pick<ModelPlan, 'schedule' | 'optimizer' | 'dropout'>): boolean {
  return m.schedule.name !== 'constant' || m.optimizer.name !== 'sgd' || m.dropout > 0;
}
