/**
 * webgpu-mlp: multilayer perceptrons trained with WebGPU or the CPU reference, in Node and the browser. This entry
 * imports nothing of Node's; `webgpu-mlp/node` adds files, MNIST and Dawn, `webgpu-mlp/lower` the layers below.
 * @packageDocumentation
 */

export type { Inputs, Labels, NumberArray } from './api/arrays.js';
export type { BackendNote } from './api/engine.js';
export { Ensemble, type EnsembleMetrics, type Member } from './api/ensemble.js';
export { type LoadOptions, MLP } from './api/model.js';
export type {
  BackendChoice,
  CheckpointOptions,
  FitExtras,
  FitOptions,
  FitStart,
  LabelledData,
  ModelOptions,
  ModelShape,
  Training,
} from './api/options.js';
export {
  type ByTask,
  type ClassifierMetrics,
  type ClassifierPredictions,
  type ClassifierReport,
  type ClassLabel,
  type FitRecord,
  type FitResult,
  type MetricsOf,
  Predictions,
  type PredictionsOf,
  type RegressionMetrics,
  type RegressionPredictions,
  type RegressionReport,
  type ReportOf,
} from './api/records.js';
export type {
  Grid,
  Sweep,
  SweepBest,
  SweepExtras,
  SweepModelResult,
  SweepOptions,
  SweepProgress,
  SweepRecord,
  SweepRow,
} from './api/sweep.js';
export { type SplitOptions, type SplitPart, trainTestSplit } from './api/train-test-split.js';
export type { Dataset, ImageDataset } from './backend.js';
export { type CsvTable, numericColumns, parseCsv, sortClasses, textColumn } from './data/csv.js';
export { type CsvBlobOptions, readCsvBlob } from './data/csv-blob.js';
export type { Cells } from './data/csv-cells.js';
export { inkFromRgba, preprocessDigit } from './data/digit.js';
export { type IdxImages, type IdxLabels, makeDataset, parseImages, parseLabels } from './data/idx.js';
export {
  DataFitError,
  DeviceLostError,
  type Field,
  type Naming,
  NoAdapterError,
  UserError,
  type Wording,
} from './errors.js';
export type { ShaderLoader } from './gpu/shaders.js';
export { loaderFromFiles } from './gpu/shaders.js';
export { OPTIMIZERS, type OptimizerName } from './model/optimizer.js';
export { SCHEDULES, type ScheduleName } from './model/schedule.js';
export { ACTIVATIONS, type Activation, LOSSES, type Loss, TASKS, type Task } from './model/spec.js';
export type { EpochMetrics } from './train/evaluation.js';
export type { Values as SettingValues } from './train/resolve.js';
export type { SettingName } from './train/setting-names.js';
export type { FitSettingName, ModelSettingName, SettingValue, Value } from './train/settings.js';
export type { Progress } from './train/trainer.js';
