/** The train command's data as MLP's fit takes it: an MNIST-style folder's bytes, or a CSV table's rows. */
import type { Inputs, Labels } from '../api/arrays.js';
import type { LabelledData, ModelShape } from '../api/options.js';
import type { Dataset, ImageDataset } from '../backend.js';
import { validationRows } from '../data/split.js';
import { type Columns, DEFAULT_TEST_SPLIT, type RawRows, tableRows } from '../data/table.js';
import { UserError } from '../errors.js';
import { type ModelSpec, TASKS, type Task } from '../model/spec.js';
import { choiceFlag } from './args.js';
import { checkDataKind, isTableFile, loadData, MEMORY_FACTOR, readCsvFile } from './data.js';
import { cliIo } from './io.js';
import { readingProgress } from './progress.js';
import { agreed, type DataShape, dataFlags, type Flags, type RunConfig } from './train-config.js';

export interface TrainingData {
  /** The training rows (of which fit holds --validation-split out) and their labels. */
  x: Inputs;
  y: Labels;
  /** Rows of x, and of the test set. */
  rows: number;
  testRows: number;
  test: LabelledData;
  shape: DataShape;
  /** An image folder's sets by name, to check the layers against. */
  images?: [string, Dataset][];
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

/** The data the flags name; a table read against the description of `base` (the checkpoint or model `what`). */
export function trainingData(flags: Flags, base?: Partial<RunConfig> & { spec: ModelSpec }, what = ''): TrainingData {
  const str = (name: string) => flags[name] as string | undefined;
  const { trainLimit, validationSplit, testSplit } = dataFlags(flags, base);
  const given = base?.spec.data;
  const dataPath = str('data');
  if (base) checkDataKind(what, given, isTableFile(dataPath), 'give --data DIR');
  if (!isTableFile(dataPath)) {
    for (const flag of ['target', 'test', 'test-split']) {
      if (str(flag) !== undefined) throw new UserError(`--${flag} applies to a CSV table (--data FILE.csv) only`);
    }
    const { train, test, dir } = loadData(dataPath, { trainLimit });
    const task = choiceFlag('task', str('task'), TASKS, base?.spec.task ?? 'classification');
    const shape = {
      inputs: train.features,
      outputs: classCount(train, test),
      task,
      trainRows: train.count - (validationSplit === undefined ? 0 : validationRows(validationSplit, train.count)),
    };
    const bytes = (set: ImageDataset) => ({ x: { data: set.inputs, rows: set.count }, y: set.labels });
    return {
      ...bytes(train),
      rows: train.count,
      testRows: test.count,
      test: bytes(test),
      shape,
      source: dir,
      images: Object.entries({ training: train, test }),
    };
  }
  let task: Task = choiceFlag('task', str('task'), TASKS, 'classification');
  let targets = str('target')
    ?.split(',')
    .map((name) => name.trim());
  if (base && given) {
    task = agreed('task', str('task'), base.spec.task, what);
    targets = agreed('target', str('target'), given.targets.join(','), what).split(',');
  }
  const testFile = str('test');
  if (testFile !== undefined && testSplit !== undefined) {
    throw new UserError(
      '--test and --test-split both give the test rows: use one (--test-split holds rows of --data out)',
    );
  }
  const read = (file: string) =>
    readCsvFile(file, { onProgress: readingProgress(cliIo().stdout, file), memoryFactor: MEMORY_FACTOR.train });
  const rows = tableRows(read(dataPath!), {
    task,
    targets,
    trainLimit,
    validationSplit,
    description: given,
    ...(testFile !== undefined ? { test: read(testFile) } : { testSplit: testSplit ?? DEFAULT_TEST_SPLIT }),
  });
  const { columns, train } = rows;
  const labelled = (set: RawRows): LabelledData => ({
    x: { data: set.features, rows: set.rows },
    y:
      set.labels instanceof Float32Array
        ? { data: set.labels, rows: set.rows }
        : Array.from(set.labels, (i) => columns.classes![i]),
  });
  const shape: DataShape = {
    inputs: columns.features.length,
    outputs: task === 'regression' ? columns.targets.length : columns.classes!.length,
    task,
    data: columns,
    trainRows: train.rows - (validationSplit === undefined ? 0 : validationRows(validationSplit, train.rows)),
  };
  return {
    ...labelled(train),
    rows: train.rows,
    testRows: rows.test.rows,
    test: labelled(rows.test),
    shape,
    source: dataPath!,
    ...(testFile !== undefined ? { testFile } : { testSplit: testSplit ?? DEFAULT_TEST_SPLIT }),
  };
}

/** MLP.create's shape of a model of `spec` on data of columns `d` (a table's), or of images (none). */
export function modelShape(spec: ModelSpec, d: Columns | undefined): ModelShape {
  return {
    inputs: spec.layers[0],
    outputs: spec.layers[spec.layers.length - 1],
    hidden: spec.layers.slice(1, -1),
    task: spec.task,
    ...(d ? { features: d.features, targets: d.targets, ...(d.classes ? { classes: d.classes } : {}) } : {}),
    ...(d ? {} : { images: { mean: spec.inputMean, std: spec.inputStd } }),
  };
}
