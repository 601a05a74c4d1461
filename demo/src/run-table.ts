/**
 * The runs as a legend beside the charts (colour and settings) and as a table: final training and test accuracy
 * (R² for a regression), time, and buttons to hide, remove, or open a run's settings as a link. A race's settings
 * join the table when the race ends, best first, with their validation score (mean ± std over the seeds), loss
 * and epochs.
 */
import { type RaceEntry, type Run, runLabel, trainAccuracyOf } from './runs.js';
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
      const diverged = run.race?.models.filter((m) => m.diverged) ?? [];
      if (diverged.length) {
        const mark = el('span', 'diverged', diverged.length > 1 ? ` · ${diverged.length} diverged` : ' · diverged');
        mark.title = diverged
          .map((m) => `seed ${m.seed}: ${m.diverged!.why ?? 'its loss stopped being finite'}`)
          .join('\n');
        item.append(mark);
      }
      return item;
    }),
  );
}

const ordinal = (n: number) =>
  `${n}${n % 10 === 1 && n !== 11 ? 'st' : n % 10 === 2 && n !== 12 ? 'nd' : n % 10 === 3 && n !== 13 ? 'rd' : 'th'}`;

/** A race's setting in the table: its rank, and its validation score, loss and epochs over its seeds. */
function raceCells(run: Run, race: RaceEntry, regression: boolean): HTMLElement[] {
  const result = race.result;
  const row = el('td', 'num run-race');
  row.colSpan = 2;
  if (!result) {
    // A race stopped before it ended: each model's last validation figure.
    const last = race.models.map((m) => m.history[m.history.length - 1]).filter((r) => r !== undefined);
    const scores = last.map((r) => (regression ? r.valR2 : r.valAccuracy) ?? NaN);
    row.textContent = scores.length
      ? `validation ${scores.map((x) => (regression ? `R² ${x.toFixed(3)}` : percent(x))).join(', ')} when stopped`
      : '–';
    return [el('td', 'run-status', run.status), row];
  }
  const score = Number.isNaN(result.mean)
    ? 'no score'
    : regression
      ? `R² ${result.mean.toFixed(3)} ± ${result.std.toFixed(3)}`
      : `${percent(result.mean)} ± ${(result.std * 100).toFixed(2)}`;
  const loss = Number.isNaN(result.loss) ? '' : ` · loss ${result.loss.toFixed(3)}`;
  const epochCount = Number.isInteger(result.epochs) ? result.epochs : result.epochs.toFixed(1);
  const epochs = ` · ${epochCount} epoch${result.epochs === 1 ? '' : 's'}`;
  const seedCount = new Set(race.models.map((m) => m.seed)).size;
  const foldCount = new Set(race.models.map((m) => m.fold).filter((f) => f !== undefined)).size;
  const counts = [seedCount > 1 ? `${seedCount} seeds` : '', foldCount ? `${foldCount} folds` : ''].filter(Boolean);
  const seeds = counts.length ? ` · ${counts.join(' × ')}` : '';
  const diverged = result.diverged ? ` · ${result.diverged} of ${result.models} diverged` : '';
  row.textContent = `validation ${score}${loss}${epochs}${seeds}${diverged}`;
  const status = run.status === 'diverged' ? 'diverged' : `${ordinal(result.rank)} of ${result.of}`;
  return [el('td', 'run-status', status), row];
}

/** The table of runs, in the page's order (a race's settings best first); `actions` answer its buttons. */
export function renderRunTable(body: HTMLElement, runs: Run[], actions: RunActions): void {
  body.replaceChildren(
    // A race's settings join the table as it ends.
    ...runs
      .filter((run) => !(run.race && run.status === 'training'))
      .map((run) => {
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
        name.title = run.race ? runLabel(run.settings, run.layers) : run.label;
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
        if (run.race) {
          row.dataset.race = String(run.race.race);
          if (run.race.result) {
            row.dataset.rank = String(run.race.result.rank);
            row.dataset.score = String(run.race.result.mean);
          }
        }
        const cells = [
          name,
          ...(run.race
            ? raceCells(run, run.race, regression)
            : [
                el('td', 'run-status', status),
                el('td', 'num run-train', regression ? '–' : percent(train)),
                el('td', 'num run-test', test),
              ]),
          el('td', 'num', `${run.seconds.toFixed(1)} s`),
        ];
        const tools = el('td', 'run-tools');
        tools.append(show, link, remove);
        row.append(...cells, tools);
        return row;
      }),
  );
}
