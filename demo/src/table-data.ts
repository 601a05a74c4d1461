/**
 * A person's own table in the page: a CSV file dropped on the page or picked, read by the library's CSV reader and
 * turned into training and test sets as the CLI's `--data FILE.csv` does (the seeded 20% of rows held out as the
 * test set, features standardised on the training rows). The file is read in the page; nothing is sent anywhere.
 */
import { DEFAULT_TEST_SPLIT, heldOutRows, tableColumns } from '../../src/data/table.js';
import {
  type CsvTable,
  type Dataset,
  type ModelOptions,
  numericColumns,
  readCsvBlob,
  type Task,
  textColumn,
} from '../../src/index.js';
import { type TableDescription, tableSets } from '../../src/lower.js';
import type { RunData } from './training.js';

export interface TableChoice {
  table: CsvTable;
  target: string;
  task: Task;
}

export interface TableData {
  train: Dataset;
  test: Dataset;
  description: TableDescription;
  /** Inputs and outputs of the model: the features, and the classes or targets. */
  inputs: number;
  outputs: number;
}

/**
 * Reads a file as a table, a chunk at a time (awaited, so the page stays responsive), telling how far it has read;
 * a UserError names the file, the row and the column of a problem.
 */
export function readTableFile(
  file: File,
  onProgress?: (bytesRead: number, totalBytes: number) => void,
): Promise<CsvTable> {
  return readCsvBlob(file, { onProgress });
}

/** The line the page shows while a file is read: "Reading big.csv: 42% (12.3 of 29.1 MB)". */
export function readingLine(name: string, bytesRead: number, totalBytes: number): string {
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const percent = totalBytes > 0 ? Math.floor((100 * bytesRead) / totalBytes) : 100;
  return `Reading ${name}: ${percent}% (${mb(bytesRead)} of ${mb(totalBytes)} MB)`;
}

/** The sets the CLI would train on for this table, target and task. */
export function tableData({ table, target, task }: TableChoice): TableData {
  const sets = tableSets(table, { task, targets: [target], testSplit: DEFAULT_TEST_SPLIT });
  const d = sets.description;
  return {
    train: sets.train,
    test: sets.test,
    description: d,
    inputs: d.features.length,
    outputs: task === 'regression' ? d.targets.length : d.classes!.length,
  };
}

/** Rows the training set will have, before the table is read in full: the rows not held out for testing. */
export function trainRowsOf(table: CsvTable): number {
  return table.cells.rows - Math.round(table.cells.rows * DEFAULT_TEST_SPLIT);
}

/** The columns a target leaves as features, for the page's line about the table. */
export function featuresFor(table: CsvTable, target: string, task: Task): string[] {
  return tableColumns(table, task, [target]).features;
}

/**
 * The table as an MLP takes it: the raw rows of the training and test sets split as tableData splits them, and the
 * model's columns, so that fit standardises on the same training rows as the CLI.
 */
export function tableRun(
  { table, task }: TableChoice,
  sets: TableData,
): { data: RunData; model: Partial<ModelOptions> } {
  const d = sets.description;
  const rows = table.cells.rows;
  const x = numericColumns(table, d.features);
  const width = d.features.length;
  const outputs = d.targets.length;
  const targets = task === 'regression' ? numericColumns(table, d.targets, 'target') : null;
  const classes = task === 'regression' ? null : textColumn(table, d.targets[0]);
  const index = new Map(d.classes?.map((name, i) => [name, i]));
  const stratify = classes
    ? { labels: classes.map((name) => index.get(name)!), name: (i: number) => d.classes![i] }
    : undefined;
  const held = new Set(heldOutRows(table.file, rows, DEFAULT_TEST_SPLIT, stratify));
  const part = (test: boolean) => {
    const picked = Array.from({ length: rows }, (_, r) => r).filter((r) => held.has(r) === test);
    const data = new Float32Array(picked.length * width);
    picked.forEach((r, i) => data.set(x.subarray(r * width, (r + 1) * width), i * width));
    let y: { data: Float32Array; rows: number } | string[];
    if (targets) {
      const values = new Float32Array(picked.length * outputs);
      picked.forEach((r, i) => values.set(targets.subarray(r * outputs, (r + 1) * outputs), i * outputs));
      y = { data: values, rows: picked.length };
    } else {
      y = picked.map((r) => classes![r]);
    }
    return { x: { data, rows: picked.length }, y };
  };
  return {
    data: { train: part(false), test: part(true), rows: sets.train.count },
    model: { task, features: d.features, targets: d.targets, ...(d.classes ? { classes: d.classes } : {}) },
  };
}
