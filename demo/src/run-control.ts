/**
 * Pause, resume and stop for one training run. The trainer awaits gate() between chunks of steps (its yieldPoint):
 * gate() gives the browser a turn (input, painting), waits while paused, and throws Stopped once stop() was called,
 * which ends the run with its session disposed.
 */
export class Stopped extends Error {
  override name = 'Stopped';
}

/** One task's turn for the browser: scheduler.yield where there is one, else a message (no timer clamping). */
export function nextTask(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (scheduler?.yield) return scheduler.yield();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

export class RunControl {
  private pausedAt: number | null = null;
  private wake: (() => void) | null = null;
  private stopFlag = false;
  private readonly startedAt = performance.now();
  private pausedMs = 0;

  /** `onHalt` runs when a paused run has finished its chunk in flight and really stands still. */
  constructor(private readonly onHalt: () => void = () => {}) {}

  get paused(): boolean {
    return this.pausedAt !== null;
  }

  get stopped(): boolean {
    return this.stopFlag;
  }

  /** Seconds spent running, pauses left out. */
  get activeSeconds(): number {
    const now = performance.now();
    return (now - this.startedAt - this.pausedMs - (this.pausedAt !== null ? now - this.pausedAt : 0)) / 1000;
  }

  pause(): void {
    if (this.pausedAt === null && !this.stopFlag) this.pausedAt = performance.now();
  }

  resume(): void {
    if (this.pausedAt !== null) this.pausedMs += performance.now() - this.pausedAt;
    this.pausedAt = null;
    this.wake?.();
  }

  stop(): void {
    this.stopFlag = true;
    this.resume();
  }

  async gate(): Promise<void> {
    await nextTask();
    if (this.paused && !this.stopFlag) this.onHalt();
    while (this.paused && !this.stopFlag) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.stopFlag) throw new Stopped('training was stopped');
  }
}
