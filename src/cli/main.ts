#!/usr/bin/env node
import { UserError } from '../errors.js';
import { evalCommand } from './eval.js';
import { predictCommand } from './predict.js';
import { trainCommand } from './train.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  train: trainCommand,
  eval: evalCommand,
  predict: predictCommand,
};

const USAGE = `Usage: webgpu-mlp <command> [options]

Commands:
  train    train an MLP on MNIST (or any folder of MNIST-style IDX files)
  eval     evaluate a saved model on the test set: accuracy, per-class accuracy, confusion matrix
  predict  classify one digit (a PNG image, or a test-set sample) with a saved model

Run "webgpu-mlp <command> --help" for a command's options.
`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return;
  }
  const run = COMMANDS[command];
  if (!run) throw new UserError(`unknown command "${command}": use one of ${Object.keys(COMMANDS).join(', ')}`);
  await run(rest);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UserError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`internal error (please report): ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  }
});
