import type { SweepProgress } from '../train/sweep.js';
import type { EpochRecord, Progress } from '../train/trainer.js';
import type { CliStream } from './io.js';

/** A fraction as a percentage, to two decimals. */
export const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

/** A progress bar of 30 characters, `fraction` of it done. */
function bar(fraction: number): string {
  const done = Math.round(30 * Math.min(1, Math.max(0, fraction)));
  return '#'.repeat(done) + '.'.repeat(30 - done);
}

/** A value in its own units, to 4 significant digits (or more where it is large). */
const value = (x: number) => (Math.abs(x) >= 1000 ? x.toFixed(1) : x.toPrecision(4));

/** The training set's results after the epoch, where it was evaluated: its accuracy, or its RMSE. */
function trainResults(record: EpochRecord): string {
  if (record.trainRMSE !== undefined) return `train RMSE ${value(record.trainRMSE)}  `;
  return record.trainAccuracy !== undefined ? `train accuracy ${percent(record.trainAccuracy)}  ` : '';
}

/** A set's results, where measured, in the task's words: accuracy, or RMSE and R² for regression. */
function setResults(r: EpochRecord, set: 'test' | 'val'): string {
  const loss = r[`${set}Loss` as const]?.toFixed(4);
  const rmse = r[`${set}RMSE` as const];
  if (loss === undefined) return '';
  if (rmse !== undefined)
    return `${set} loss ${loss}  ${set} RMSE ${value(rmse)}  ${set} R² ${r[`${set}R2`]!.toFixed(4)}  `;
  return `${set} loss ${loss}  ${set} accuracy ${percent(r[`${set}Accuracy`]!)}  `;
}

/** One epoch's results; stepsPerEpoch, when known, marks an epoch that --steps cut short. */
export function epochLine(record: EpochRecord, epochs: number, stepsPerEpoch?: number): string {
  const partial =
    stepsPerEpoch !== undefined && record.steps < stepsPerEpoch
      ? ` (stopped at step ${record.steps} of ${stepsPerEpoch})`
      : '';
  return (
    `epoch ${record.epoch}/${epochs}${partial}  train loss ${record.trainLoss.toFixed(4)}  ` +
    setResults(record, 'test') +
    trainResults(record) +
    setResults(record, 'val') +
    `${record.seconds.toFixed(1)} s`
  );
}

/**
 * On a terminal, a line redrawn as a file is read (`onProgress` of readCsvFile): its bytes, rows a second and the time
 * left at that pace; erased once the file is read. A file read in one piece draws nothing.
 */
export function readingProgress(
  out: CliStream,
  file: string,
): (bytesRead: number, totalBytes: number, rows?: number) => void {
  let drawn = false;
  const start = performance.now();
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
  return (bytesRead, totalBytes, rows) => {
    if (out.isTTY !== true) return;
    if (bytesRead < totalBytes) {
      const seconds = (performance.now() - start) / 1000;
      const pace =
        rows === undefined || seconds <= 0 ? '' : `  ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s`;
      const left = seconds > 0 ? `  ${Math.ceil((seconds * (totalBytes - bytesRead)) / bytesRead)} s left` : '';
      out.write(
        `\rreading ${file} [${bar(bytesRead / totalBytes)}] ${mb(bytesRead)}/${mb(totalBytes)} MB${pace}${left}\x1b[K`,
      );
      drawn = true;
    } else if (drawn) {
      out.write('\r\x1b[K');
      drawn = false;
    }
  };
}

/** At most this many epoch lines: a table's thousands of short epochs are shown every so many. */
const MAX_EPOCH_LINES = 50;

/** At most about 50 epoch lines (the first, the last, a partial one); on a terminal, a progress bar redrawn. */
export class ProgressPrinter {
  private drawn = false;
  private stepsPerEpoch: number | undefined;

  constructor(
    private readonly out: CliStream,
    private readonly epochs: number,
  ) {}

  progress(p: Progress): void {
    this.stepsPerEpoch = p.stepsPerEpoch;
    if (this.out.isTTY !== true) return;
    const rate = Math.round(p.samplesPerSecond).toLocaleString('en-US');
    this.out.write(
      `\repoch ${p.epoch}/${p.epochs} [${bar(p.step / p.stepsPerEpoch)}] ${p.step}/${p.stepsPerEpoch}  ` +
        `${rate} samples/s  loss ${p.loss.toFixed(4)}\x1b[K`,
    );
    this.drawn = true;
  }

  epoch(record: EpochRecord): void {
    const every = Math.ceil(this.epochs / MAX_EPOCH_LINES);
    const partial = this.stepsPerEpoch !== undefined && record.steps < this.stepsPerEpoch;
    if (record.epoch % every !== 0 && record.epoch !== 1 && record.epoch !== this.epochs && !partial) return;
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
    this.out.write(`${epochLine(record, this.epochs, this.stepsPerEpoch)}\n`);
  }
}

/**
 * A sweep's progress over all its models, which train a session (a group of them) at a time: a bar on a terminal, else
 * a line every tenth of the way.
 */
export class SweepProgressBar {
  private drawn = false;
  private session = -1;
  /** Models of the sessions done. */
  private done = 0;
  private current = 0;
  /** Without a terminal: the last tenth of the way said. */
  private tenth = 0;

  constructor(
    private readonly out: CliStream,
    private readonly models: number,
  ) {}

  progress(p: SweepProgress): void {
    if (p.session !== this.session) {
      this.done += this.current;
      [this.session, this.current] = [p.session, p.models];
    }
    const inSession = (p.epoch - 1 + p.step / p.stepsPerEpoch) / p.epochs;
    const fraction = (this.done + p.models * inSession) / this.models;
    const session = p.sessions > 1 ? `session ${p.session + 1}/${p.sessions}, ` : '';
    const where = `${session}epoch ${p.epoch}/${p.epochs}`;
    if (this.out.isTTY !== true) {
      // A log gets a line every tenth of the way, not a bar.
      const tenth = Math.floor(10 * fraction);
      if (tenth > this.tenth && tenth < 10) {
        this.tenth = tenth;
        this.out.write(`progress: ${10 * tenth}% of ${this.models} models (${where}, ${p.running} training)\n`);
      }
      return;
    }
    this.out.write(
      `\r[${bar(fraction)}] ${(100 * fraction).toFixed(0)}% of ${this.models} models  ` +
        `${where} step ${p.step}/${p.stepsPerEpoch}, ${p.running} training\x1b[K`,
    );
    this.drawn = true;
  }

  /** Clears the bar, for the lines that follow it. */
  end(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}
