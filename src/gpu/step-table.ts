/**
 * What the step table holds (program.ts lays it out and binds it): one entry per training step of an epoch, then one
 * per evaluation batch of the test set and of the validation set. A kernel with a Step binding reads its entry
 * through the dynamic offset its dispatch is recorded with.
 */
import type { SessionOptions } from '../backend.js';
import { PLAIN_SGD } from '../model/optimizer.js';
import { learningRateAt } from '../model/schedule.js';
import { optimizerStepValues } from './kernels/updates.js';
import type { EvalPlan } from './plan.js';
import type { StepEntry } from './program.js';

/**
 * The step table's entries for the training steps of an epoch whose step 0 is run step `firstStep`: step s reads
 * the order from s · batch, writes loss slot s, and runs at the scheduled rate of run step firstStep + s, with that
 * step's optimiser values (Adam's bias corrections).
 */
export function trainingEntries(options: SessionOptions, stepsPerEpoch: number, firstStep: number): StepEntry[] {
  const schedule = options.schedule ?? { name: 'constant' };
  const optimizer = options.optimizer ?? PLAIN_SGD;
  return Array.from({ length: stepsPerEpoch }, (_, s) => {
    const run = firstStep + s;
    const lr = learningRateAt(options.learningRate, schedule, run);
    return { start: s * options.batch, slot: s, run, lr, opt: optimizerStepValues(optimizer, lr, run) };
  });
}

/** The step-table entries of a set's evaluation batches: batch b reads from row b · evalRows, writes its slot. */
export function evalEntries({ batches, firstSlot }: EvalPlan, evalRows: number): StepEntry[] {
  return Array.from({ length: batches }, (_, b) => ({ start: b * evalRows, slot: firstSlot + b }));
}

/** Whether any kernel reads the step table's run-dependent fields (else they are written once, at set-up). */
export function runDependent(options: SessionOptions): boolean {
  return (options.schedule !== undefined && options.schedule.name !== 'constant')
    || (options.optimizer !== undefined && options.optimizer.name !== 'sgd')
    || (options.dropout?.rate ?? 0) > 0;
}
