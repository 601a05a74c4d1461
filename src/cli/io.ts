import { AsyncLocalStorage } from 'node:async_hooks';

/** Where a command's text goes: a terminal or pipe (process.stdout), or a buffer when the CLI runs in-process. */
export interface CliStream {
  write(text: string): unknown;
  /** A terminal: progress bars redraw in place only there. */
  readonly isTTY?: boolean;
}

export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
}

const running = new AsyncLocalStorage<CliIo>();

/** The streams of the command running now: the process's own, unless run() gave it others. */
export function cliIo(): CliIo {
  return running.getStore() ?? { stdout: process.stdout, stderr: process.stderr };
}

/** Runs `work` with its commands writing to `io`, so that two in-process runs never mix their output. */
export function withCliIo<T>(io: CliIo, work: () => Promise<T>): Promise<T> {
  return running.run(io, work);
}
