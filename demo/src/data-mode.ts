/**
 * What the page trains on, MNIST or a table the person gave it, and what follows from it: the data note, the
 * sections that need images, the architecture line, the address, the share link and the CLI command.
 */
import { UserError } from '../../src/index.js';
import { pageLabel } from './options.js';
import { $, number, type Page } from './page.js';
import { capitalise, cliCommand, parseHidden, parseSettings, settingsQuery } from './settings.js';
import {
  featuresFor,
  readingLine,
  readTableFile,
  type TableChoice,
  type TableData,
  tableData,
  trainRowsOf,
} from './table-data.js';

/** The library's message for a problem the person can fix, with the page's names for its settings. */
export const described = (error: unknown) =>
  error instanceof UserError ? capitalise(error.worded(pageLabel)) : (error as Error).message;

/** "784 → 128 → 10 · 101,770 parameters", updated as the hidden layers are typed. */
export function showArchitecture(page: Page): void {
  const hidden = parseHidden(page.widgets.form.hidden.value);
  const line = $('architecture');
  if (!hidden.ok) {
    line.textContent = 'widths like 128, or 256, 128';
    return;
  }
  const [inputs, outputs] = page.outerWidths();
  const layers = [inputs, ...hidden.value, outputs];
  let total = 0;
  for (let i = 1; i < layers.length; i++) total += (layers[i - 1] + 1) * layers[i];
  line.textContent = `${layers.join(' → ')} · ${number(total)} parameters`;
}

/** The form's settings, checked against the data: an error is shown, and null returned. */
export function readSettings(page: Page) {
  const { table, mnist } = page;
  const parsed = parseSettings(
    page.widgets.form.read(),
    table ? trainRowsOf(table.table) : mnist!.train.count,
    table ? 'table' : 'mnist',
  );
  page.showError('form-error', parsed.ok ? null : parsed.error);
  return parsed.ok ? parsed.value : null;
}

/** The address, the share link and the CLI command follow the form as it is edited. */
export function settingsChanged(page: Page): void {
  showArchitecture(page);
  if (!page.mnist) return;
  const settings = readSettings(page);
  if (!settings) return;
  const query = settingsQuery(settings, page.dataContext());
  history.replaceState(null, '', `${location.pathname}${query}`);
  $<HTMLAnchorElement>('share-link').href = `${location.pathname}${query}`;
  $('share-note').textContent = page.table
    ? 'It holds the settings, not your table, which never leaves this page.'
    : '';
  $('cli-command').textContent = cliCommand(settings, page.dataContext());
  page.onSettingsChanged();
}

export function showDataMode(page: Page): void {
  const { mnist, table } = page;
  // The pad, the weight images and the test digits need 28x28 images: a table has none.
  for (const id of ['draw', 'inside', 'results']) $(id).hidden = !page.imageMode;
  $('table-options').hidden = page.imageMode;
  if (page.imageMode && mnist) {
    const limited = mnist.train.count < mnist.fullTrain || mnist.test.count < mnist.fullTest;
    $('data-note').textContent = limited
      ? `MNIST, limited by the page's address: the first ${number(mnist.train.count)} of ${number(mnist.fullTrain)} training digits ` +
        `and ${number(mnist.test.count)} of ${number(mnist.fullTest)} test digits.`
      : `MNIST: ${number(mnist.train.count)} training digits, ${number(mnist.test.count)} test digits.`;
  }
  if (table) {
    const rows = table.table.cells.rows;
    const train = trainRowsOf(table.table);
    $('data-note').textContent =
      `${table.table.file}: ${number(rows)} rows of ${table.table.columns.length} columns; ` +
      `${number(train)} train, the other ${number(rows - train)} (a seeded 20%) test, as the CLI splits it.`;
    $('table-note').textContent = `Features: ${featuresFor(table.table, table.target, table.task).join(', ')}.`;
  }
  page.widgets.form.setData(page.dataContext());
}

export function useMnist(page: Page): void {
  if (!page.table) return;
  page.table = null;
  page.tableSets = null;
  showDataMode(page);
  page.widgets.form.fill({});
  settingsChanged(page);
}

/** Checks a table choice with the library (the target's column, its classes): a problem is shown, not trained on. */
export function chooseTable(page: Page, choice: TableChoice): void {
  let sets: TableData;
  try {
    sets = tableData(choice);
    page.showError('table-error', null);
  } catch (error) {
    page.showError('table-error', described(error));
    if (!(error instanceof UserError)) throw error;
    return;
  }
  const { table } = page;
  const first = table === null || table.table !== choice.table || table.task !== choice.task;
  page.table = choice;
  page.tableSets = sets;
  showDataMode(page);
  if (first) page.widgets.form.fill({}); // the CLI's defaults for this table
  settingsChanged(page);
}

/** Counts the files given, so that of two files given in turn, the first one read does not replace the second. */
let filesGiven = 0;

/** Reads a file as the page's table, showing how far it has read; a problem is shown, not trained on. */
export async function useTableFile(page: Page, file: File): Promise<void> {
  if (page.busy) return;
  const given = ++filesGiven;
  const reading = $('table-reading');
  const showReading = (bytesRead: number, totalBytes: number) => {
    if (given === filesGiven) reading.textContent = readingLine(file.name, bytesRead, totalBytes);
  };
  showReading(0, file.size);
  reading.hidden = false;
  page.showError('table-error', null);
  try {
    const csv = await readTableFile(file, showReading).finally(() => {
      if (given === filesGiven) reading.hidden = true;
    });
    if (given !== filesGiven) return;
    const target = $<HTMLSelectElement>('target');
    target.replaceChildren(
      ...csv.columns.map((name) => Object.assign(document.createElement('option'), { value: name, textContent: name })),
    );
    target.value = csv.columns[csv.columns.length - 1];
    $<HTMLSelectElement>('task').value = 'classification';
    chooseTable(page, { table: csv, target: target.value, task: 'classification' });
  } catch (error) {
    if (given === filesGiven) page.showError('table-error', described(error));
  }
}
