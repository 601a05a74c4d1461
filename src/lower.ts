/**
 * webgpu-mlp's lower layers, for people who build their own trainer: the backends and their training sessions, the
 * one check of a run, the trainer, evaluation and prediction on any backend, model specs, parameters, optimisers and
 * schedules, the model and checkpoint formats, the GPU device and its kernels, and the CPU reference.
 *
 * Lower-level and less stable than the main entry (`webgpu-mlp`): these names may change between minor versions.
 *
 * @packageDocumentation
 */
export type {
  Backend, Dataset, DropoutConfig, EvalSet, ImageDataset, Metrics, SessionOptions, SessionSettings, TrainingSession,
} from './backend.js';
export { checkSession } from './check.js';
export { CpuBackend, CpuSession } from './cpu/backend.js';
export { createWebGpuBackend, WebGpuBackend, type WebGpuBackendOptions } from './gpu/backend.js';
export { Gpu, requestGpu, type AdapterDescription, type GpuOptions, type LiveBuffers } from './gpu/device.js';
export { createKernels, Kernels, KERNELS, type KernelName } from './gpu/kernels.js';
export { loaderFromFiles, type ShaderLoader } from './gpu/shaders.js';
export {
  checkRun, DEFAULT_TRAIN_OPTIONS, train, type CheckedRun, type EpochRecord, type Progress, type TrainCallbacks,
  type TrainData, type TrainOptions, type TrainResult, type TrainStart, type TrainState,
} from './train/trainer.js';
export { evaluateModel, evaluateRegression, inferenceSettings, predictOutputs, type Evaluation, type RegressionEvaluation } from './train/inference.js';
export { argmax, confusionMatrix, meanLoss, regressionMetrics, softmax, type RegressionMetrics } from './train/metrics.js';
export { makeSpec, validateSpec, type ModelSpec } from './model/spec.js';
export { initParams, paramTable, type ParamEntry, type ParamTable } from './model/params.js';
export { makeOptimizer, defaultLearningRate, optimizerSlots, type OptimizerConfig } from './model/optimizer.js';
export { learningRateAt, resolveSchedule, type Schedule, type ScheduleOptions } from './model/schedule.js';
export { fitStandardisation, standardise, type Standardisation, type TableDescription } from './model/table.js';
export { readTable, tableSets, type TableOptions, type TableSets } from './data/table.js';
export { holdOut } from './data/split.js';
export { decodeModel, encodeModel } from './io/model-codec.js';
export { decodeCheckpoint, encodeCheckpoint, type Checkpoint, type CheckpointData } from './io/checkpoint-codec.js';
export { decodeSafetensors, encodeSafetensors, type Tensor } from './io/safetensors.js';
