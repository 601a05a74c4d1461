/**
 * The runs as a legend beside the charts (colour and settings) and as a table: final training and test accuracy
 * (R² for a regression), time, and buttons to hide, remove, or open a run's settings as a link.
 */
import { type Run, trainAccuracyOf } from './runs.js';
import { el } from './views.js';

const percent = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : `${(x * 100).toFixed(2)}%`);

export interface RunActions {
  toggle(run: Run): void;
  remove(run: Run): void;
}

function swatch(run: Run): HTMLElement {
  const mark = el('span', 'swatch');
  mark.style.background = run.colour;
  return mark;
}

/** The legend: one entry per run, dimmed when hidden. */
export function renderLegend(container: HTMLElement, runs: Run[]): void {
  container.replaceChildren(
    ...runs.map((run) => {
      const item = el('li', run.hidden ? 'hidden-run' : '');
      item.dataset.run = String(run.id);
      item.append(swatch(run), el('b', '', `#${run.id}`), ` ${run.label}`);
      return item;
    }),
  );
}

/** The table of runs, newest last; `actions` answer its buttons. */
export function renderRunTable(body: HTMLElement, runs: Run[], actions: RunActions): void {
  body.replaceChildren(
    ...runs.map((run) => {
      const last = run.history[run.history.length - 1];
      const row = el('tr');
      row.dataset.run = String(run.id);
      row.dataset.status = run.status;
      const regression = run.data.kind === 'table' && run.data.task === 'regression';
      const train = last ? trainAccuracyOf(last) : undefined;
      if (train !== undefined) row.dataset.trainAccuracy = String(train);
      if (last?.testAccuracy !== undefined) row.dataset.testAccuracy = String(last.testAccuracy);
      const test = regression
        ? last?.testR2 === undefined
          ? '–'
          : `R² ${last.testR2.toFixed(3)}`
        : percent(last?.testAccuracy);
      const name = el('td', 'run-name');
      name.append(swatch(run), el('b', '', `#${run.id}`), ` ${run.label}`);
      name.title = run.label;
      const status = run.status === 'training' ? `epoch ${run.history.length + 1}` : run.status;
      const show = el('input') as HTMLInputElement;
      show.type = 'checkbox';
      show.checked = !run.hidden;
      show.className = 'run-show';
      show.setAttribute('aria-label', `show run ${run.id} on the charts`);
      show.addEventListener('change', () => actions.toggle(run));
      const remove = el('button', 'run-remove', '×');
      remove.type = 'button';
      remove.title = `remove run ${run.id}`;
      remove.disabled = run.status === 'training';
      remove.addEventListener('click', () => actions.remove(run));
      const link = Object.assign(el('a', 'run-link', 'link'), { href: run.link, title: 'these settings as a link' });
      const cells = [
        name,
        el('td', 'run-status', status),
        el('td', 'num run-train', regression ? '–' : percent(train)),
        el('td', 'num run-test', test),
        el('td', 'num', `${run.seconds.toFixed(1)} s`),
      ];
      const tools = el('td', 'run-tools');
      tools.append(show, link, remove);
      row.append(...cells, tools);
      return row;
    }),
  );
}
