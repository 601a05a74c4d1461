/**
 * The race: one setting of the form over a few values, every value's models trained at once with MLP.sweep on the
 * page's data, their curves on the charts as they train (one colour per value), and, when it ends, one row per value
 * in the table of runs, best first; the best model becomes the page's. Stop (or Reset) aborts it after the chunk in
 * flight. race-plan.ts checks the race's fields and makes the sweep's options.
 */
import { type LabelledData, MLP, type SweepProgress, type SweepRecord } from '../../src/index.js';
import { requestGpu } from '../../src/lower.js';
import type { SettingName } from '../../src/train/setting-names.js';
import { stepsPerChunk } from './backends.js';
import { described, readSettings } from './data-mode.js';
import { showAnalysis } from './drawing.js';
import { WeightImages } from './inside.js';
import { shownModel } from './model-files.js';
import { $, number, type Page, percent } from './page.js';
import {
  defaultValues,
  formValue,
  modelOf,
  parseRace,
  type RacePlan,
  raceSettings,
  sweepOptionsOf,
  withValue,
} from './race-plan.js';
import { noteGpuBuffers, prepare, showFailure } from './run-actions.js';
import { nextTask, RunControl } from './run-control.js';
import type { Run, Trace } from './runs.js';
import { type Settings, settingsQuery } from './settings.js';
import { trainRowsOf } from './table-data.js';
import { el } from './views.js';

/** The race's fields: the setting to vary and its values (the defaults for it until edited), seeds, validation. */
export class RaceForm {
  private readonly setting = $<HTMLSelectElement>('race-setting');
  private readonly values = $<HTMLInputElement>('race-values');
  private readonly seeds = $<HTMLInputElement>('race-seeds');
  private readonly validation = $<HTMLInputElement>('race-validation');
  /** Whether the values were typed: then a change of the form's settings leaves them be. */
  private edited = false;

  constructor(private readonly page: Page) {
    this.values.addEventListener('input', () => (this.edited = true));
    this.setting.addEventListener('change', () => {
      this.edited = false;
      this.refresh();
    });
  }

  /** Offers the settings the form's choices allow, and their default values unless the person typed some. */
  refresh(): void {
    const settings = readSettings(this.page);
    if (!settings) return;
    const chosen = { optimizer: settings.optimizer.name, schedule: settings.schedule.name, loss: settings.loss };
    const offered = raceSettings(chosen);
    const keep = offered.some((s) => s.name === this.setting.value) ? this.setting.value : 'learningRate';
    const shown = Array.from(this.setting.options, (o) => o.value).join();
    if (shown !== offered.map((s) => s.name).join()) {
      this.setting.replaceChildren(
        ...offered.map(({ name, label }) => Object.assign(el('option', '', label), { value: name })),
      );
    }
    if (this.setting.value !== keep) this.edited = false;
    this.setting.value = keep;
    if (!this.edited) {
      const name = keep as SettingName;
      this.values.value = defaultValues(name, settings, trainRows(this.page)).join(', ');
      $('race-current').textContent =
        `The form's ${this.setting.selectedOptions[0].text.toLowerCase()}: ${formValue(settings, name)}.`;
    }
  }

  /** The race the fields describe, or null with the problem shown. */
  read(settings: Settings): RacePlan | null {
    const chosen = { optimizer: settings.optimizer.name, schedule: settings.schedule.name, loss: settings.loss };
    const text = {
      setting: this.setting.value,
      values: this.values.value,
      seeds: this.seeds.value,
      validation: this.validation.value,
    };
    const parsed = parseRace(text, chosen, settings.seed);
    this.page.showError('race-error', parsed.ok ? null : parsed.error);
    return parsed.ok ? parsed.value : null;
  }
}

const trainRows = (page: Page) => (page.table ? trainRowsOf(page.table.table) : page.mnist!.train.count);

/**
 * The race's runs' models, by the sweep's model index, and how each run's curves grow as it trains. A race varies one
 * setting over distinct values, so the models a sweep trains together in one session are consecutive (all of them,
 * or those of one value): a session's model j is the sweep's firstModel + j.
 */
class RaceTraces {
  /** The models of the session now training: the first's index, and how many. */
  private session = { first: 0, count: 0 };

  constructor(
    private readonly runs: Run[],
    private readonly seeds: number,
    private readonly folds: number,
  ) {}

  trace(model: number): Trace {
    const { setting, seed, fold } = modelOf(model, this.seeds, this.folds);
    return this.runs[setting].race!.models[seed * this.folds + fold];
  }

  /** Each model's loss over the chunk; a model whose loss stops being finite diverged there. */
  progress(p: SweepProgress): void {
    this.session = { first: p.firstModel, count: p.models };
    const at = p.epoch - 1 + p.step / p.stepsPerEpoch;
    p.losses.forEach((loss, j) => {
      const trace = this.trace(p.firstModel + j);
      if (trace.diverged) return;
      if (Number.isFinite(loss)) trace.losses.push({ epochs: at, loss });
      else trace.diverged = { epochs: at };
    });
  }

  /** The epoch's records; a model of the session that has none stopped (its weights stopped being finite). */
  epoch(records: SweepRecord[]): void {
    const given = new Set(records.map((r) => r.model));
    for (const record of records) this.trace(record.model).history.push(record);
    const epoch = records[0]?.epoch ?? 0;
    for (let model = this.session.first; model < this.session.first + this.session.count; model++) {
      const trace = this.trace(model);
      if (!given.has(model) && !trace.diverged) trace.diverged = { epochs: epoch || trace.history.length };
    }
  }
}

let races = 0;

export async function startRace(page: Page, form: RaceForm): Promise<void> {
  if (!page.mnist || page.busy) return;
  const settings = readSettings(page);
  if (!settings) return;
  const plan = form.read(settings);
  if (!plan) return;
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare(page, settings);
  } catch (error) {
    page.showError('race-error', described(error));
    return;
  }
  page.setState('racing', 'Preparing the race…');
  if (page.current) {
    await page.current.done; // a stopped run may still be finishing its last chunk
    if (page.state !== 'racing') return; // Reset was pressed meanwhile
  }
  const control = new RunControl();
  const abort = new AbortController();
  let finish!: () => void;
  page.current = { control, done: new Promise((resolve) => (finish = resolve)) };
  page.clearResults();
  page.setModel(null, 'Racing…');
  page.keepModel(null);
  const { model: options, data } = prepared;
  const layers = [options.inputs, ...settings.hidden, options.outputs];
  const context = page.dataContext();
  const race = ++races;
  const label = $<HTMLSelectElement>('race-setting').selectedOptions[0].text;
  const runs = plan.values.map((value) => {
    const own = withValue(settings, plan.setting, value);
    const models = plan.seeds.flatMap((seed) =>
      plan.folds === undefined
        ? [{ seed, losses: [], history: [] }]
        : Array.from({ length: plan.folds }, (_, fold): Trace => ({ seed, fold, losses: [], history: [] })),
    );
    const link = `${location.pathname}${settingsQuery(own, context)}`;
    return page.widgets.runs.add(own, context, layers, link, { race, setting: label, value, models });
  });
  const traces = new RaceTraces(runs, plan.seeds.length, plan.folds ?? 1);
  page.showRuns();
  const { stats } = page;
  const tick = () => {
    stats.time.textContent = `${control.activeSeconds.toFixed(1)} s`;
    for (const run of runs) run.seconds = control.activeSeconds;
  };
  const timer = setInterval(tick, 250);
  const count = runs.reduce((sum, run) => sum + run.race!.models.length, 0);
  let last: SweepProgress | null = null;
  // The CPU trains the models one after another within each chunk: smaller chunks keep Stop and the charts prompt.
  const chunk = stepsPerChunk(settings.backend, layers, settings.batch, data.rows);
  const chunkSteps = settings.backend === 'webgpu' ? chunk : Math.max(1, Math.round(chunk / count));
  try {
    if (settings.backend === 'webgpu') page.gpu ??= await requestGpu();
    const sweep = await MLP.sweep(data.train.x, data.train.y, {
      ...sweepOptionsOf(settings, plan, chunkSteps, data.rows),
      model: { ...options, ...(settings.backend === 'webgpu' ? { gpu: page.gpu! } : {}) },
      signal: abort.signal,
      onProgress: (p) => {
        if (control.stopped) return abort.abort();
        last = p;
        traces.progress(p);
        stats.epoch.textContent = `${p.epoch} / ${p.epochs}`;
        stats.step.textContent = `${number(p.step)} / ${number(p.stepsPerEpoch)}`;
        const sessions = p.sessions > 1 ? `, group ${p.session + 1} of ${p.sessions}` : '';
        const step = `step ${number(p.step)} of ${number(p.stepsPerEpoch)}`;
        page.setState('racing', `Race ${race}: ${count} models, epoch ${p.epoch} of ${p.epochs}, ${step}${sessions}.`);
        page.showRuns();
      },
      onEpoch: (records) => {
        if (control.stopped) return abort.abort();
        traces.epoch(records);
        page.showRuns();
        if (plan.folds !== undefined && last && last.session === last.sessions - 1 && last.epoch === last.epochs) {
          page.setState('racing', `Race ${race}: training the best value again, on all the training rows…`);
        }
      },
    });
    clearInterval(timer); // the runs' times are now the sweep's
    if (control.stopped) {
      sweep.best.model.dispose();
      throw new Error('stopped');
    }
    sweep.models.forEach((m, i) => {
      const trace = traces.trace(i);
      if (m.diverged) trace.diverged = { epochs: trace.diverged?.epochs ?? m.history.length, why: m.diverged };
    });
    sweep.table.forEach((row, rank) => {
      const run = runs[row.index];
      run.race!.result = { ...row, rank: rank + 1, of: sweep.table.length };
      run.seconds = row.seconds;
      run.status = row.diverged === row.models ? 'diverged' : 'done';
    });
    page.widgets.runs.place(sweep.table.map((row) => runs[row.index]));
    await showBest(page, sweep.best.model, data.test, runs[sweep.table[0].index], race, control);
  } catch (error) {
    for (const run of runs) run.status = control.stopped ? 'stopped' : 'failed';
    if (control.stopped) page.setModel(null, 'No model: the race was stopped before it ended.');
    else showFailure(page, settings.backend, error);
  } finally {
    clearInterval(timer);
    if (!control.stopped) stats.time.textContent = `${control.activeSeconds.toFixed(1)} s`;
    noteGpuBuffers(page);
    page.showRuns();
    finish();
  }
}

/** The race's best model becomes the page's: it reads the pad, saves, and is scored once on the test set. */
async function showBest(
  page: Page,
  model: MLP,
  test: LabelledData,
  run: Run,
  race: number,
  control: RunControl,
): Promise<void> {
  page.keepModel(model);
  const shown = shownModel(model, page.imageMode ? 'mnist' : 'table');
  const result = run.race!.result!;
  const value = `${run.race!.setting.toLowerCase()} ${run.race!.value}`;
  const regression = run.data.kind === 'table' && run.data.task === 'regression';
  const score = regression ? `R² ${result.mean.toFixed(3)}` : percent(result.mean);
  page.setModel(shown, `The best of race ${race} (${value}), ${model.layers.join('-')}.`);
  if (shown.predictor && WeightImages.fits(shown.predictor.spec)) {
    page.widgets.weights.show(shown.predictor.spec, shown.predictor.params, null);
    await showAnalysis(page, shown.predictor.spec, shown.predictor.params, nextTask);
  }
  const evaluated = (await model.evaluate(test.x, test.y)) as { accuracy?: number; r2?: number };
  const tested =
    evaluated.accuracy === undefined
      ? `test R² ${evaluated.r2!.toFixed(3)}`
      : `${percent(evaluated.accuracy)} of the test ${page.imageMode ? 'digits' : 'rows'} right`;
  page.stats.accuracy.textContent =
    evaluated.accuracy === undefined ? `R² ${evaluated.r2!.toFixed(3)}` : percent(evaluated.accuracy);
  page.stats.accuracy.dataset.value = String(evaluated.accuracy ?? evaluated.r2);
  page.setState(
    'done',
    `Race ${race} done in ${control.activeSeconds.toFixed(1)} s: ${value} ranks first (validation ${score}); ` +
      `its model gets ${tested}.${page.imageMode ? ' Draw one!' : ''}`,
  );
}

/** Stops the race after the chunk in flight; its curves stay, and its settings join the table as stopped. */
export function stopRace(page: Page): void {
  if (page.state !== 'racing') return;
  page.current?.control.stop();
  page.setState('ready', 'Race stopped: its curves stay on the charts. Start another, or a run.');
}
