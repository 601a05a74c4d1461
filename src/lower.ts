/**
 * webgpu-mlp's lower layers, for people who build their own trainer: backends, sessions, checks, the trainer,
 * evaluation, specs, optimisers, schedules, file formats, the GPU device and kernels. They may change in minor
 * versions.
 * @packageDocumentation
 */
export type {
  Backend,
  Dataset,
  DropoutConfig,
  EvalSet,
  ImageDataset,
  Metrics,
  ModelsOptions,
  ModelsSession,
  ModelVariant,
  SessionOptions,
  SessionSettings,
  TrainingSession,
} from './backend.js';
export { modelAlone, selectRows } from './backend.js';
export { type CheckedSession, checkSession } from './check.js';
export { CpuBackend, type CpuKernels, CpuSession } from './cpu/backend.js';
export { CpuNetwork, type DropoutStep, LayeredNetwork } from './cpu/network.js';
export { holdOut } from './data/split.js';
export { readTable, type TableOptions, type TableSets, tableSets } from './data/table.js';
export { createWebGpuBackend, WebGpuBackend, type WebGpuBackendOptions } from './gpu/backend.js';
export { type AdapterDescription, Gpu, type GpuOptions, type LiveBuffers, requestGpu } from './gpu/device.js';
export type { KernelDefinition, Launch } from './gpu/kernels/define.js';
export { createKernels, type Definition, KERNELS, type Kernel, type KernelName, Kernels } from './gpu/kernels.js';
export type { MatmulChoice, MatmulForm, MatmulMode, MatmulTile, MatmulVariant } from './gpu/matmul-variants.js';
export type { SessionTuning, WebGpuModels } from './gpu/session.js';
export { loaderFromFiles, type ShaderLoader } from './gpu/shaders.js';
export type { WebGpuSession } from './gpu/single-session.js';
export { type Checkpoint, type CheckpointData, decodeCheckpoint, encodeCheckpoint } from './io/checkpoint-codec.js';
export { decodeModel, encodeModel } from './io/model-codec.js';
export { decodeSafetensors, encodeSafetensors, type Tensor } from './io/safetensors.js';
export { defaultLearningRate, makeOptimizer, type OptimizerConfig, optimizerSlots } from './model/optimizer.js';
export { initParams, type LayerParams, type ParamEntry, type ParamTable, paramTable } from './model/params.js';
export { learningRateAt, resolveSchedule, type Schedule, type ScheduleOptions } from './model/schedule.js';
export { type ModelSpec, makeSpec, validateSpec } from './model/spec.js';
export { fitStandardisation, type Standardisation, standardise, type TableDescription } from './model/table.js';
export { SequentialModels } from './sequential-models.js';
export type { Convergence } from './train/convergence.js';
export * from './train/inference.js';
export * from './train/metrics.js';
export * from './train/trainer.js';
export { WasmBackend, type WasmOptions } from './wasm/backend.js';
