/**
 * The train command's data: an MNIST-style folder, or a CSV table (a path ending in .csv) with its test rows from
 * --test or held out by --test-split, read against the model's description when the run continues a model.
 */
import type { Dataset } from '../backend.js';
import { holdOut } from '../data/split.js';
import { DEFAULT_TEST_SPLIT, tableSets } from '../data/table.js';
import { UserError } from '../errors.js';
import { type ModelSpec, TASKS, type Task } from '../model/spec.js';
import { choiceFlag } from './args.js';
import { loadData } from './data.js';
import type { DataShape } from './shape.js';
import { isTableFile, readCsvFile } from './tables.js';
import { dataFlags, type Flags, type RunConfig } from './train-config.js';

export interface TrainingData {
  train: Dataset;
  test: Dataset;
  val?: Dataset;
  shape: DataShape;
  /** Where the data came from: the folder or the file. */
  source: string;
  /** The test set's file, where it is one of its own. */
  testFile?: string;
  /** A table's held-out fraction, where the test rows came from the training file. */
  testSplit?: number;
}

/** One past the largest class label of the sets: the classes an image set needs outputs for. */
function classCount(...sets: Dataset[]): number {
  let largest = 0;
  for (const set of sets) for (const label of set.labels.subarray(0, set.count)) largest = Math.max(largest, label);
  return largest + 1;
}

/**
 * A flag given where a base (a checkpoint or a model) fixes the setting must agree with it, as checkAgainst asks of
 * the other settings.
 */
function agreed(flag: string, given: string | undefined, theirs: string, what: string): string {
  if (given !== undefined && given !== theirs) {
    throw new UserError(`--${flag} ${given} differs from ${what}'s ${theirs}: leave --${flag} out to keep ${what}'s`);
  }
  return theirs;
}

/**
 * Reads the training data the flags name. `base` is the run being continued (a checkpoint) or the model being started
 * from, `what` names it for messages: a table is then read against its description (columns, classes, statistics).
 */
export function trainingData(flags: Flags, base?: Partial<RunConfig> & { spec: ModelSpec }, what = ''): TrainingData {
  const str = (name: string) => flags[name] as string | undefined;
  const { trainLimit, validationSplit, testSplit } = dataFlags(flags, base);
  const given = base?.spec.data;
  const dataPath = str('data');
  if (!isTableFile(dataPath)) {
    for (const flag of ['target', 'test', 'test-split']) {
      if (str(flag) !== undefined) throw new UserError(`--${flag} applies to a CSV table (--data FILE.csv) only`);
    }
    if (given) throw new UserError(`${what} was trained on a table: give its --data FILE.csv`);
    const mnist = loadData(dataPath, { trainLimit });
    let train: Dataset = mnist.train;
    let valSet: Dataset | undefined;
    if (validationSplit !== undefined) ({ train, val: valSet } = holdOut(mnist.train, validationSplit));
    const task = choiceFlag('task', str('task'), TASKS, base?.spec.task ?? 'classification');
    const shape = {
      inputs: train.features,
      outputs: classCount(mnist.train, mnist.test),
      task,
      trainRows: train.count,
    };
    return { train, test: mnist.test, ...(valSet ? { val: valSet } : {}), shape, source: mnist.dir };
  }
  if (base && !given) throw new UserError(`${what} was trained on MNIST-style images, not a table: give --data DIR`);
  let task: Task = choiceFlag('task', str('task'), TASKS, 'classification');
  let targets = str('target')
    ?.split(',')
    .map((name) => name.trim());
  if (base && given) {
    task = agreed('task', str('task'), base.spec.task, what) as Task;
    targets = agreed('target', str('target'), given.targets.join(','), what).split(',');
  }
  const testFile = str('test');
  if (testFile !== undefined && testSplit !== undefined) {
    throw new UserError(
      '--test and --test-split both give the test rows: use one (--test-split holds rows of --data out)',
    );
  }
  const table = readCsvFile(dataPath!);
  const sets = tableSets(table, {
    task,
    targets,
    trainLimit,
    validationSplit,
    description: given,
    ...(testFile !== undefined ? { test: readCsvFile(testFile) } : { testSplit: testSplit ?? DEFAULT_TEST_SPLIT }),
  });
  const d = sets.description;
  const shape: DataShape = {
    inputs: d.features.length,
    outputs: task === 'regression' ? d.targets.length : d.classes!.length,
    task,
    data: d,
    trainRows: sets.train.count,
  };
  return {
    train: sets.train,
    test: sets.test,
    ...(sets.val ? { val: sets.val } : {}),
    shape,
    source: dataPath!,
    ...(testFile !== undefined ? { testFile } : { testSplit: testSplit ?? DEFAULT_TEST_SPLIT }),
  };
}
