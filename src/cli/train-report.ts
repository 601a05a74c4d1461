/** What train says at the end, and its JSON report, in the task's words: accuracy, or RMSE, MAE and R². */
import type { Backend, Metrics } from '../backend.js';
import type { TableDescription } from '../model/table.js';
import type { RegressionMetrics } from '../train/metrics.js';
import type { TrainResult } from '../train/trainer.js';
import type { RunConfig } from './train-config.js';
import type { TrainingData } from './train-data.js';

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

/** A table's columns for the data line: its features, and its classes or targets. */
export function describeTable(data: TrainingData): string {
  const d = data.shape.data!;
  const what = d.classes
    ? `${d.classes.length} classes of "${d.targets[0]}"`
    : `target${d.targets.length > 1 ? 's' : ''} ${d.targets.map((t) => `"${t}"`).join(', ')}`;
  const test = data.testFile ? `test rows from ${data.testFile}` : `${data.testSplit} of the rows held out for testing`;
  return `${d.features.length} features, ${what}; ${test}`;
}

/** The results of a set in one phrase: accuracy and loss, or RMSE, MAE, R² and loss. */
function setPhrase(name: string, metrics: Metrics, regression?: RegressionMetrics): string {
  if (!regression) return `${name} accuracy ${percent(metrics.accuracy)}, ${name} loss ${metrics.loss.toFixed(4)}`;
  return `${name} RMSE ${regression.rmse.toPrecision(4)}, ${name} MAE ${regression.mae.toPrecision(4)}, ${name} R² ${regression.r2.toFixed(4)}`;
}

/** The done line's results: the test set's, and the validation set's headline figure. */
export function resultsLine(result: TrainResult): string {
  if (!result.test) throw new Error('the CLI always trains with a test set');
  const test = result.testRegression
    ? `${setPhrase('test', result.test, result.testRegression)}, test loss ${result.test.loss.toFixed(4)}`
    : setPhrase('test', result.test);
  if (!result.val) return test;
  return `${test}, ${result.valRegression ? `validation R² ${result.valRegression.r2.toFixed(4)}` : `validation accuracy ${percent(result.val.accuracy)}`}`;
}

export function earlyStopLine(
  earlyStop: NonNullable<TrainResult['earlyStop']>,
  history: TrainResult['history'],
  patience: number,
): string {
  const best = `the model keeps the weights of epoch ${earlyStop.bestEpoch}, of the lowest validation loss (${history[earlyStop.bestEpoch - 1].valLoss!.toFixed(4)})`;
  return earlyStop.stopped
    ? `early stop after epoch ${history.length}: the validation loss had not improved for ${patience} epochs; ${best}`
    : `early stopping: ${best}`;
}

/** A regression's figures under the report's names, prefixed by the set; per target too where there are several. */
function regressionFields(
  set: 'test' | 'val',
  r: RegressionMetrics,
  d: TableDescription | undefined,
): Record<string, unknown> {
  const fields: Record<string, unknown> = { [`${set}RMSE`]: r.rmse, [`${set}MAE`]: r.mae, [`${set}R2`]: r.r2 };
  if (r.perTarget.rmse.length > 1) {
    const names = d?.targets ?? r.perTarget.rmse.map((_, i) => String(i));
    fields[`${set}PerTarget`] = Object.fromEntries(
      names.map((name, i) => [name, { rmse: r.perTarget.rmse[i], mae: r.perTarget.mae[i], r2: r.perTarget.r2[i] }]),
    );
  }
  return fields;
}

/**
 * The training set's figures after the epoch whose parameters the run returns (the best one with early stopping),
 * where the run evaluated the training set: its accuracy (a regression's RMSE) and loss.
 */
function trainFields(result: TrainResult): Record<string, number> {
  const record = result.history[(result.earlyStop?.bestEpoch ?? result.history.length) - 1];
  if (record?.trainEvalLoss === undefined) return {};
  return record.trainRMSE !== undefined
    ? { trainRMSE: record.trainRMSE, trainEvalLoss: record.trainEvalLoss }
    : { trainAccuracy: record.trainAccuracy!, trainEvalLoss: record.trainEvalLoss };
}

export interface ReportInputs {
  backend: Backend;
  config: RunConfig;
  data: TrainingData;
  result: TrainResult;
  initFile?: string;
  resumeFile?: string;
}

/** The JSON report of a run. An image classifier's has the fields it always had; a table's adds its columns. */
export function trainReport({
  backend,
  config,
  data,
  result,
  initFile,
  resumeFile,
}: ReportInputs): Record<string, unknown> {
  const { spec, options } = config;
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
  const test = !result.test
    ? {}
    : result.testRegression
      ? { ...regressionFields('test', result.testRegression, d), testLoss: result.test.loss }
      : { testAccuracy: result.test.accuracy, testLoss: result.test.loss };
  const val = !result.val
    ? {}
    : result.valRegression
      ? { ...regressionFields('val', result.valRegression, d), valLoss: result.val.loss }
      : { valAccuracy: result.val.accuracy, valLoss: result.val.loss };
  return {
    backend: backend.kind,
    device: backend.device,
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
    trainSamples: data.train.count,
    valSamples: data.val?.count ?? 0,
    testSamples: data.test.count,
    data: data.source,
    ...table,
    ...(initFile ? { init: initFile } : {}),
    ...(resumeFile ? { resumedFrom: resumeFile } : {}),
    ...test,
    ...trainFields(result),
    ...val,
    ...(result.earlyStop ? { earlyStop: { patience: options.earlyStop, ...result.earlyStop } } : {}),
    seconds: result.seconds,
    history: result.history,
  };
}
