/** What train says at the end, and its JSON report, in the task's words: accuracy, or RMSE, MAE and R². */
import type { MLP } from '../api/model.js';
import type { FitStart } from '../api/options.js';
import type { ClassifierMetrics, FitResult, RegressionMetrics, RegressionReport } from '../api/records.js';
import { columnList } from '../data/csv.js';
import type { TableDescription } from '../model/table.js';
import { convergence, convergenceWarning } from '../train/convergence.js';
import { cliName } from './failure.js';
import { percent } from './progress.js';
import type { RunConfig } from './train-config.js';
import type { TrainingData } from './train-data.js';

/** A table's columns for the data line: its features, and its classes or targets. */
export function describeTable(data: TrainingData): string {
  const d = data.shape.data!;
  const what = d.classes
    ? `${d.classes.length} classes of "${d.targets[0]}"`
    : `target${d.targets.length > 1 ? 's' : ''} ${columnList(d.targets)}`;
  const test = data.testFile ? `test rows from ${data.testFile}` : `${data.testSplit} of the rows held out for testing`;
  return `${d.features.length} features, ${what}; ${test}`;
}

type SetFigures = ClassifierMetrics | RegressionReport;
type SetMetrics = ClassifierMetrics | RegressionMetrics;

/** The results of a set in one phrase: accuracy and loss, or RMSE, MAE, R² and loss. */
export function setPhrase(name: string, figures: SetMetrics): string {
  if (!('rmse' in figures))
    return `${name} accuracy ${percent(figures.accuracy)}, ${name} loss ${figures.loss.toFixed(4)}`;
  const { rmse, mae, r2, loss } = figures;
  const errors = `${name} RMSE ${rmse.toPrecision(4)}, ${name} MAE ${mae.toPrecision(4)}`;
  return `${errors}, ${name} R² ${r2.toFixed(4)}, ${name} loss ${loss.toFixed(4)}`;
}

/** The done line's results: the test set's, and the validation set's headline figure. */
export function resultsLine(result: FitResult): string {
  if (!result.test) throw new Error('the CLI always trains with a test set');
  const test = setPhrase('test', result.test);
  const val = result.val;
  if (!val) return test;
  const figure = 'rmse' in val ? `validation R² ${val.r2.toFixed(4)}` : `validation accuracy ${percent(val.accuracy)}`;
  return `${test}, ${figure}`;
}

export function earlyStopLine(
  earlyStop: NonNullable<FitResult['earlyStopping']>,
  history: FitResult['history'],
  patience: number,
): string {
  const lowest = history[earlyStop.bestEpoch - 1].valLoss!.toFixed(4);
  const best = `the model keeps the weights of epoch ${earlyStop.bestEpoch}, of the lowest validation loss (${lowest})`;
  return earlyStop.stopped
    ? `early stop after epoch ${history.length}: the validation loss had not improved for ${patience} epochs; ${best}`
    : `early stopping: ${best}`;
}

/** The line of a run whose training loss was still falling at its end, in the flags' words; null for any other run. */
export function convergenceLine(result: FitResult): string | null {
  const settled = result.converged === false ? convergence(result.history) : undefined;
  return settled ? `warning: ${convergenceWarning(settled, cliName)}` : null;
}

/** A set's figures under the report's names, prefixed by the set; a regression's per target where it has several. */
function setFields(set: 'test' | 'val', r: SetFigures | undefined, d?: TableDescription): Record<string, unknown> {
  if (!r) return {};
  if (!('rmse' in r)) return { [`${set}Accuracy`]: r.accuracy, [`${set}Loss`]: r.loss };
  const fields: Record<string, unknown> = { [`${set}RMSE`]: r.rmse, [`${set}MAE`]: r.mae, [`${set}R2`]: r.r2 };
  if (r.perTarget.rmse.length > 1) {
    const names = d?.targets ?? r.perTarget.rmse.map((_, i) => String(i));
    fields[`${set}PerTarget`] = Object.fromEntries(
      names.map((name, i) => [name, { rmse: r.perTarget.rmse[i], mae: r.perTarget.mae[i], r2: r.perTarget.r2[i] }]),
    );
  }
  fields[`${set}Loss`] = r.loss;
  return fields;
}

/** The training set's figures, where evaluated, after the epoch whose parameters the run returns. */
function trainFields(result: FitResult): Record<string, number> {
  const record = result.history[(result.earlyStopping?.bestEpoch ?? result.history.length) - 1];
  if (record?.trainEvalLoss === undefined) return {};
  return record.trainRMSE !== undefined
    ? { trainRMSE: record.trainRMSE, trainEvalLoss: record.trainEvalLoss }
    : { trainAccuracy: record.trainAccuracy!, trainEvalLoss: record.trainEvalLoss };
}

export interface ReportInputs {
  model: MLP;
  config: RunConfig;
  data: TrainingData;
  counts: FitStart;
  result: FitResult;
  initFile?: string;
  resumeFile?: string;
}

/** The JSON report of a run. An image classifier's has the fields it always had; a table's adds its columns. */
export function trainReport(run: ReportInputs): Record<string, unknown> {
  const { model, data, counts, result } = run;
  const { options } = run.config;
  const spec = model.spec;
  const d = spec.data;
  const table = d
    ? {
        task: spec.task,
        ...(data.testFile ? { test: data.testFile } : { testSplit: data.testSplit }),
        features: d.features,
        targets: d.targets,
        ...(d.classes ? { classes: d.classes } : {}),
      }
    : {};
  return {
    backend: model.backend,
    device: model.device,
    layers: spec.layers,
    activation: spec.activation,
    loss: spec.loss,
    epochs: options.epochs,
    steps: result.steps,
    batch: options.batch,
    lr: options.learningRate,
    optimizer: options.optimizer,
    schedule: options.schedule,
    dropout: options.dropout ?? 0,
    shuffle: options.shuffle !== false,
    seed: options.seed,
    trainSamples: counts.trainRows,
    valSamples: counts.validationRows,
    testSamples: counts.testRows,
    data: data.source,
    ...table,
    ...(run.initFile ? { init: run.initFile } : {}),
    ...(run.resumeFile ? { resumedFrom: run.resumeFile } : {}),
    ...setFields('test', result.test, d),
    ...trainFields(result),
    ...setFields('val', result.val, d),
    ...(result.earlyStopping ? { earlyStop: { patience: options.earlyStop, ...result.earlyStopping } } : {}),
    ...(result.converged !== undefined ? { converged: result.converged } : {}),
    seconds: result.seconds,
    history: result.history,
  };
}
