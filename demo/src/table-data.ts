/**
 * A person's own table in the page: a CSV file dropped on the page or picked, read by the library's CSV reader and
 * turned into training and test sets as the CLI's `--data FILE.csv` does (the seeded 20% of rows held out as the
 * test set, features standardised on the training rows). The file is read in the page; nothing is sent anywhere.
 */
import type { Dataset } from '../../src/backend.js';
import { type CsvTable, parseCsv } from '../../src/data/csv.js';
import { DEFAULT_TEST_SPLIT, tableColumns, tableSets } from '../../src/data/table.js';
import type { Task } from '../../src/model/spec.js';
import type { TableDescription } from '../../src/model/table.js';

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

/** Reads a file's text as a table (a UserError names the file, the row and the column of a problem). */
export async function readTableFile(file: File): Promise<CsvTable> {
  return parseCsv(await file.text(), file.name);
}

/** The sets the CLI would train on for this table, target and task. */
export function tableData({ table, target, task }: TableChoice): TableData {
  const sets = tableSets(table, { task, targets: [target], testSplit: DEFAULT_TEST_SPLIT });
  const d = sets.description;
  return {
    train: sets.train, test: sets.test, description: d,
    inputs: d.features.length, outputs: task === 'regression' ? d.targets.length : d.classes!.length,
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
