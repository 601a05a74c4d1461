/** How long a read back (record.ts) sleeps before it waits for the GPU. */

/** A kind of GPU work, and how many units of it were submitted. */
export interface Work {
  kind: string;
  units: number;
}

/**
 * Dawn in Node waits for the GPU by polling on the main thread, which keeps a CPU core busy. On a software adapter
 * that core is one the adapter's own threads would compute on: a 16-model step of a small net took twice as long
 * with the main thread polling as with it asleep. So there a read back first sleeps through most of the time the
 * same kind of work took, then waits. The time is the median of the last few read backs per unit (steps, batches),
 * robust to the odd slow one; work found done on waking took at most the sleep, and is taken to have taken half of
 * it, so that a sleep too long for the work (a small model's, that polling does not slow) soon stops.
 */
export class Pacer {
  private readonly msPerUnit = new Map<string, number[]>();

  constructor(private readonly active: boolean) {}

  /** Milliseconds to sleep before waiting for `work` (0: wait at once). */
  sleepMs(work?: Work): number {
    const seen = work && this.msPerUnit.get(work.kind);
    const expected = this.active && seen ? median(seen) * work.units : 0;
    return expected >= MIN_WORK_MS ? SLEEP_SHARE * expected : 0;
  }

  /** Learns from `work` that took `ms` from its submit to its read back, `slept` of them asleep. */
  learn(work: Work | undefined, ms: number, slept: number): void {
    if (!this.active || !work) return;
    const seen = this.msPerUnit.get(work.kind) ?? [];
    const doneAsleep = slept > 0 && ms < slept + PROMPT_MS;
    seen.push((doneAsleep ? DONE_ASLEEP * slept : ms) / work.units);
    this.msPerUnit.set(work.kind, seen.slice(-REMEMBERED));
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * The share of the expected time a read back sleeps, the share of a sleep that work found done on waking is taken
 * to have taken, and how many read backs of a kind the expectation remembers.
 */
const SLEEP_SHARE = 0.8;
const DONE_ASLEEP = 0.5;
const REMEMBERED = 8;
/**
 * Work expected to take less is waited for at once: a timer wakes a millisecond or two late, which would cost short
 * work more than polling does. A read back this soon after waking found the work done.
 */
const MIN_WORK_MS = 20;
const PROMPT_MS = 2;
