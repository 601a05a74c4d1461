/**
 * Long CPU work cut into slices of time: between two slices the thread goes back to the event loop, so a page that
 * trains on its main thread still draws and answers input (a browser counts a task over 50 ms as a long one).
 */

/** A slice's length: well inside the 50 ms of a long task, long enough that yielding costs little. */
export const SLICE_MS = 20;

type Scheduler = { yield?: () => Promise<void> };

/** Resolves in a later macrotask: scheduler.yield where the browser has it, else the fastest one the host offers. */
export function nextMacrotask(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: Scheduler }).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === 'function') {
    // Unlike setTimeout(0), a message is not held back 4 ms once timers nest.
    const channel = new MessageChannel();
    return new Promise((resolve) => {
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Counts the time since the thread was last handed back, and hands it back once a slice is spent. */
export class TimeSlicer {
  /** A new slicer's first pause yields: it cannot know how long its caller has held the thread. */
  private sliceStart = -Infinity;

  constructor(private readonly sliceMs = SLICE_MS) {}

  /** Call between two pieces of work: returns at once while the slice lasts, else after a macrotask. */
  async pause(): Promise<void> {
    if (performance.now() - this.sliceStart < this.sliceMs) return;
    await nextMacrotask();
    this.sliceStart = performance.now();
  }
}
