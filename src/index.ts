/**
 * webgpu-mlp: train multilayer perceptrons on arrays with WebGPU compute shaders or the CPU reference, the same in
 * Node and the browser. This entry imports nothing of Node's; `webgpu-mlp/node` adds files, MNIST and the Dawn device,
 * `webgpu-mlp/lower` the layers below (backends, sessions, the trainer) for people who build their own trainer.
 *
 * @packageDocumentation
 */
export { MLP, type LoadOptions } from './api/model.js';
export type {
  BackendChoice, CheckpointOptions, FitOptions, LabelledData, ModelOptions, Training,
} from './api/options.js';
export type {
  BackendNote,
} from './api/engine.js';
export type { Inputs, Labels } from './api/arrays.js';
export {
  Predictions, type ClassifierMetrics, type ClassifierReport, type FitRecord, type FitResult, type RegressionMetrics, type RegressionReport,
} from './api/records.js';
export type { Progress } from './train/trainer.js';
export { DataFitError, DeviceLostError, NoAdapterError, UserError, type Field } from './errors.js';
export { ACTIVATIONS, LOSSES, TASKS, type Activation, type Loss, type Task } from './model/spec.js';
export { OPTIMIZERS, type OptimizerName } from './model/optimizer.js';
export { SCHEDULES, type ScheduleName } from './model/schedule.js';
export type { ShaderLoader } from './gpu/shaders.js';
export { parseCsv, numericColumns, textColumn, sortClasses, type CsvTable } from './data/csv.js';
export { makeDataset, parseImages, parseLabels, type IdxImages, type IdxLabels } from './data/idx.js';
export type { Dataset, ImageDataset } from './backend.js';
export { loaderFromFiles } from './gpu/shaders.js';
