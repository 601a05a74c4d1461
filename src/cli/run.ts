import { createRequire } from 'node:module';
import { UserError } from '../errors.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { describeFailure } from './failure.js';
import { type CliIo, withCliIo } from './io.js';
import { predictCommand } from './predict.js';
import { sweepCommand } from './sweep.js';
import { trainCommand } from './train.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  train: trainCommand,
  sweep: sweepCommand,
  eval: evalCommand,
  predict: predictCommand,
  export: exportCommand,
};

const USAGE = `Usage: webgpu-mlp <command> [options]

Commands:
  train    train an MLP on MNIST (or any folder of MNIST-style IDX files), or on a CSV table
  sweep    train a grid of settings with several seeds and k folds, and rank them by their held-out score
  eval     evaluate a saved model on the test set: accuracy, per-class accuracy, confusion matrix (or RMSE, MAE, R²)
  predict  classify one digit (a PNG image, or a test-set sample), or predict every row of a CSV table
  export   write a saved model as ONNX, for ONNX Runtime and other tools

Run "webgpu-mlp <command> --help" for a command's options; --verbose prints the stack trace of an error;
"webgpu-mlp --version" prints the version.
`;

async function dispatch(argv: string[], io: CliIo): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    io.stdout.write(USAGE);
    return;
  }
  if (command === '--version') {
    // The package's own manifest, by its name: the same from a clone (tsx) and from an install (dist).
    const manifest = createRequire(import.meta.url)('webgpu-mlp/package.json') as { version: string };
    io.stdout.write(`${manifest.version}\n`);
    return;
  }
  const run = COMMANDS[command];
  if (!run) throw new UserError(`unknown command "${command}": use one of ${Object.keys(COMMANDS).join(', ')}`);
  await run(rest);
}

/** Runs the CLI on `argv` (without node and the script), writing to `io`; returns the exit code (0, 2 or 1). */
export async function run(argv: string[], io: CliIo): Promise<number> {
  try {
    await withCliIo(io, () => dispatch(argv, io));
    return 0;
  } catch (error) {
    // Read from argv itself, so that --verbose works on errors in the flags too.
    const { text, code } = describeFailure(error, argv.includes('--verbose'));
    io.stderr.write(text);
    return code;
  }
}
