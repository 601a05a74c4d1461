/** The MLP: made from options or bytes, trained on arrays or images, asked for predictions, saved as a model file. */
import type { Backend, Dataset, SessionSettings, TrainingSession } from '../backend.js';
import { checkTrainingClasses } from '../data/split.js';
import { UserError } from '../errors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../io/checkpoint-codec.js';
import { decodeModel, encodeModel } from '../io/model-codec.js';
import { initParams, paramTable } from '../model/params.js';
import { inputSize, type ModelSpec, outputSize, type Task, validateSpec } from '../model/spec.js';
import { evaluateModel, evaluateRegression, inferenceSettings, predictOutputs } from '../train/inference.js';
import { resolveSettings, settingsOf, trainOptionsFrom } from '../train/resolve.js';
import type { TrainData } from '../train/run.js';
import type { SettingName } from '../train/setting-names.js';
import { FIT_SETTINGS, MODEL_SETTINGS, SETTINGS } from '../train/settings.js';
import { checkRun, type TrainCallbacks, type TrainStart, train } from '../train/trainer.js';
import { defaultNames, type Inputs, inputSet, type Labels, labelledSet, shapeOf, trainingSets } from './arrays.js';
import { autoCpuNote, checkFits, explainFailure, fastestCpu, openBackend } from './engine.js';
import { Ensemble } from './ensemble.js';
import { imageNames, labelledImages, trainingImages, unlabelledImages } from './images.js';
import {
  type BackendChoice,
  FIT_OPTIONS,
  type FitOptions,
  type ModelOptions,
  specOf,
  type Training,
  trainOptionsOf,
} from './options.js';
import {
  type ClassifierMetrics,
  type ClassifierReport,
  type FitResult,
  figures,
  fitResult,
  type MetricsOf,
  type PredictionsOf,
  predictions,
  type RegressionMetrics,
  type RegressionReport,
  type ReportOf,
} from './records.js';
import { parameterCount, summaryText } from './summary.js';
import { type ModelMaker, SWEEP_OPTIONS, type Sweep, type SweepExtras, type SweepOptions, sweepOn } from './sweep.js';
import { checkOptionNames, worded } from './wording.js';

/** How MLP.fromBytes opens a model: where it computes, and a name for the bytes in error messages. */
export type LoadOptions<T extends Task = Task> = Pick<
  ModelOptions,
  'backend' | 'gpu' | 'shaders' | 'gpuDataBytes' | 'onBackend'
> & {
  /** Names the bytes in errors (a file's path); default "the model bytes". */
  source?: string;
  /** The task the model must have: checked, and it types the model's predict and evaluate as create's `task` does. */
  task?: T;
};

/** A model's names: its columns, its classes and, where its labels are numbers, their type. */
interface Names {
  features: string[];
  targets: string[];
  classes?: string[];
  classType?: 'number';
}

/** How the model's backend was asked for: `auto` moves a model beyond the GPU's limits to the CPU, and says so. */
type Opening = Pick<ModelOptions, 'onBackend'> & { choice: BackendChoice };

/** fit's options that a resumed run may still set (all but the table's settings it does not mark resumable). */
const FREE_ON_RESUME: readonly string[] = FIT_OPTIONS.filter(
  (name) => !(name in SETTINGS) || SETTINGS[name as SettingName].resumable || name === 'validationSplit',
);

/** The settings a model's spec keeps, with the defaults of those it leaves out, in the table's order. */
function modelSettings(spec: ModelSpec): unknown[] {
  const data = { table: true, trainRows: 1, regression: spec.task === 'regression' };
  const values = resolveSettings(settingsOf(spec), data);
  return MODEL_SETTINGS.map((name) => values[name]).filter((value) => value !== undefined);
}

/** Lets other work run (a timer that aborts, a page's events) between chunks of steps, all synchronous on the CPU. */
const yieldToEventLoop = () =>
  new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/**
 * A multilayer perceptron on arrays or byte images, trained on the CPU reference or with WebGPU. A model of images
 * takes pixel bytes, normalised as its spec says; rows of numbers are standardised with statistics fitted on the first
 * fit's training rows (and a regression's targets too), which every later fit, predict, evaluate and the model file
 * use. Each model holds its own backend: models train side by side, and dispose() frees what it holds on the GPU.
 * `T` is its task, which types what predict and evaluate give: a classifier's labels and accuracy, a regression's
 * errors.
 */
export class MLP<T extends Task = Task> {
  private busy = false;
  private disposed = false;

  private constructor(
    private modelSpec: ModelSpec,
    private params: Float32Array,
    private engine: Backend,
    private readonly opening: Opening,
    private readonly seed: number,
    private readonly names: Names,
    /** A model of byte images, which fit does not standardise: their normalisation is the spec's. */
    private readonly images: boolean,
  ) {}

  /** A new model with the seeded initialisation of nn.Linear (U(-1/√in, 1/√in)), on the backend asked for. */
  static async create<T extends Task = 'classification'>(options: ModelOptions & { task?: T }): Promise<MLP<T>> {
    return worded(async () => {
      if (typeof options !== 'object' || options === null) {
        throw new UserError(
          'MLP.create needs its options: the layers at least, e.g. MLP.create({ inputs: 4, outputs: 3 })',
        );
      }
      const spec = specOf(options);
      const seed = options.seed ?? 1;
      if (options.images && (['features', 'targets', 'classes'] as const).some((key) => options[key] !== undefined)) {
        throw new UserError(
          "features, targets and classes name a table's columns: " +
            "an image model's classes are 0 to outputs-1, leave them out",
        );
      }
      const names: Names = options.images
        ? { ...imageNames(spec), classType: 'number' }
        : {
            features: options.features ?? defaultNames('x', options.inputs, ''),
            targets: options.targets ?? (spec.task === 'regression' ? defaultNames('y', options.outputs) : ['y']),
            ...(options.classes ? { classes: options.classes } : {}),
          };
      if (!options.images) validateSpec({ ...spec, data: placeholderDescription(spec, names) });
      const [engine, opening] = await open(options);
      const params = initParams(paramTable(spec), seed);
      return new MLP<T>(spec, params, engine, opening, seed, names, options.images !== undefined);
    });
  }

  /**
   * Trains every setting of `options.grid` with each seed and, by default, on each of 5 folds of the rows (stratified
   * for a classifier), all the models of one kind together in the same GPU dispatches, and ranks the settings by
   * their held-out score (accuracy, or R² for a regression). The result has the ranked table, every model's history,
   * the best setting with a model trained with it, and ensembles of the best models.
   */
  static async sweep<T extends Task = 'classification'>(
    x: Inputs,
    y: Labels,
    options: SweepOptions<T> = {},
  ): Promise<Sweep<MLP<T>> & { ensemble(size?: number): Promise<Ensemble<T>> }> {
    return worded(async () => {
      checkOptionNames('MLP.sweep', options, SWEEP_OPTIONS);
      options.signal?.throwIfAborted();
      const modelOptions = options.model ?? {};
      const task = modelOptions.task ?? 'classification';
      const shape = modelOptions.images ? {} : shapeOf(x, y, task);
      const create = { ...shape, ...modelOptions } as ModelOptions & { task?: T };
      const template = await MLP.create<T>(create);
      try {
        const { validationSplit, validationData, testData } = options;
        const { spec, sets } = template.fitData(x, y, { validationSplit, validationData, testData });
        const { backend, gpu, shaders, gpuDataBytes } = modelOptions;
        const loading = { backend, gpu, shaders, gpuDataBytes };
        const maker: ModelMaker<MLP<T>> = {
          fromWeights: (own, params) => MLP.fromBytes<T>(encodeModel(own, params), loading),
          refit: async (settings) => {
            const { model: specSettings, options: trained } = trainOptionsFrom(settings);
            const model = await MLP.create<T>({ ...create, ...specSettings, seed: trained.seed });
            const given = Object.fromEntries(FIT_SETTINGS.map((name) => [name, settings[name]]));
            // Early stopping watches held-out rows: the refit keeps a tenth of them for it.
            await model.fit(x, y, { ...given, validationSplit: settings.earlyStopping ? 0.1 : undefined });
            return model;
          },
        };
        const { sweep, ranked } = await template.computing(() =>
          sweepOn(template.engine, spec, sets, options as SweepExtras & Record<string, unknown>, maker),
        );
        const ensemble = async (size = 5) => {
          const members: MLP<T>[] = [];
          for (const m of ranked.slice(0, size)) members.push(await maker.fromWeights(m.spec, m.outcome.params));
          return new Ensemble(members);
        };
        return { ...sweep, ensemble };
      } finally {
        template.dispose();
      }
    });
  }

  /** A model from the bytes of toBytes() (or a model file that train --out wrote, or a checkpoint of one). */
  static async fromBytes<T extends Task = Task>(bytes: Uint8Array, options: LoadOptions<T> = {}): Promise<MLP<T>> {
    return worded(async () => {
      const known = ['backend', 'gpu', 'shaders', 'gpuDataBytes', 'source', 'onBackend', 'task'];
      checkOptionNames('MLP.fromBytes', options, known);
      const source = options.source ?? 'the model bytes';
      const { spec, params } = decodeModel(bytes, source);
      if (options.task !== undefined && options.task !== spec.task) {
        throw new UserError(
          `${source}: a ${spec.task} model, where task asks for a ${options.task} one: ` +
            `leave task out, or load a ${options.task} model`,
          'task',
        );
      }
      const [engine, opening] = await open(options);
      const { features, targets, classes, classType } = spec.data ?? { ...imageNames(spec), classType: 'number' };
      const names = { features, targets, classes, ...(classType ? { classType } : {}) };
      return new MLP<T>(spec, params, engine, opening, 1, names, !spec.data);
    });
  }

  /** The backend the model computes on: `'cpu'`, `'wasm'` or `'webgpu'`. */
  get backend(): 'cpu' | 'wasm' | 'webgpu' {
    return this.engine.kind;
  }

  /** What it computes on, for people: the CPU, or the GPU adapter's name. */
  get device(): string {
    return this.engine.device;
  }

  /** Layer widths from input to output. */
  get layers(): number[] {
    return this.modelSpec.layers.slice();
  }

  get task(): T {
    return this.modelSpec.task as T;
  }

  /** The model's spec as webgpu-mlp/lower's functions take it: layers, activation, loss, normalisation, columns. */
  get spec(): ModelSpec {
    return structuredClone(this.modelSpec);
  }

  /** The number of weights and biases. */
  get parameterCount(): number {
    return parameterCount(this.modelSpec);
  }

  /** The model in a few lines: task, each layer with its activation and parameter count, the total, backend, device. */
  summary(): string {
    return summaryText(this.modelSpec, this.backend, this.device);
  }

  /** A copy of the weights, laid out as the model file's tensors end to end (each layer's weight, then its bias). */
  weights(): Float32Array {
    return this.params.slice();
  }

  /** A classifier's class names in output order, once known (given, or from the first fit). */
  get classes(): string[] | undefined {
    return (this.modelSpec.data?.classes ?? this.names.classes)?.slice();
  }

  /**
   * Trains on rows `x` (a model of images: their bytes) with labels `y`: class labels for a classifier, targets for a
   * regression. Resolves once training ends with each epoch's record; the model then has the trained weights (with
   * earlyStopping, the best epoch's). A GPU device lost under it rejects with a DeviceLostError.
   */
  async fit(x: Inputs, y: Labels, options: FitOptions = {}): Promise<FitResult<T>> {
    return this.exclusive(async () => {
      checkOptionNames('fit', options, FIT_OPTIONS);
      options.signal?.throwIfAborted();
      let saved: ReturnType<typeof decodeCheckpoint> | undefined;
      if (options.resume) {
        saved = decodeCheckpoint(options.resume, 'the checkpoint');
        const fixed = Object.keys(options).find(
          (key) => !FREE_ON_RESUME.includes(key) && options[key as keyof FitOptions] !== undefined,
        );
        if (fixed) throw new UserError(`${fixed} is set by the checkpoint being resumed: leave it out`);
        const shape = (s: ModelSpec) => `${s.task} ${s.layers.join('-')} (${modelSettings(s).join(', ')})`;
        if (shape(saved.spec) !== shape(this.modelSpec)) {
          throw new UserError(
            `the checkpoint is of a model ${shape(saved.spec)}, this one is ${shape(this.modelSpec)}`,
            'savedCheckpoint',
          );
        }
      }
      const { spec, sets } = this.fitData(x, y, options, saved?.spec.data);
      if ((options.dropout ?? 0) !== 0 && spec.layers.length < 3) {
        throw new UserError(
          (n) =>
            `${n('dropout')} acts on hidden layers, and this model has none: ` +
            `give it one with ${n('hidden')}, e.g. 64`,
          'dropout',
        );
      }
      if (saved && (saved.data.trainSamples !== sets.train.count || saved.data.val !== sets.val?.count)) {
        throw new UserError(
          `the checkpoint trained on ${saved.data.trainSamples} rows (validation ${saved.data.val ?? 0}), these data ` +
            `give ${sets.train.count} (validation ${sets.val?.count ?? 0}): resume with the data of the saved run`,
          'savedCheckpoint',
        );
      }
      const savedSettings = saved && settingsOf(saved.spec, saved.options);
      const trainOptions = trainOptionsOf(options, sets.train.count, this.seed, spec, savedSettings);
      // The saved run's chunks, so that the resumed run sums its losses in the same order.
      if (saved) trainOptions.checkpointEvery ??= saved.options.checkpointEvery;
      const run = checkRun(spec, sets, trainOptions);
      await this.fitBackend(run.settings);
      const counts = { trainRows: sets.train.count, validationRows: sets.val?.count ?? 0 };
      await options.onStart?.({ ...counts, testRows: sets.test?.count ?? 0 });
      const { signal, checkpoint } = options;
      const data = {
        trainSamples: sets.train.count,
        ...checkpoint?.data,
        ...(sets.val ? { val: sets.val.count } : {}),
        ...(sets.val && options.validationSplit !== undefined ? { validationSplit: options.validationSplit } : {}),
      };
      // The caller's callbacks run at the trainer's yield point, where a promise they return holds training.
      let pending: ((training: Training) => unknown) | undefined;
      const callbacks: TrainCallbacks = {
        onProgress: (progress) => (pending = options.onChunk && ((training) => options.onChunk!(progress, training))),
        onEpoch: (record) => (pending = options.onEpoch && ((training) => options.onEpoch!(record, training))),
        onCheckpoint:
          checkpoint &&
          ((state) => {
            const { epoch, step } = state;
            return checkpoint.save(encodeCheckpoint({ spec, options: trainOptions, state, data }), { epoch, step });
          }),
        yieldPoint: async (session: TrainingSession) => {
          await yieldToEventLoop();
          const call = pending;
          pending = undefined;
          await call?.({
            weights: () => session.readParams(),
            toBytes: async () => encodeModel(spec, await session.readParams()),
          });
          if (signal?.aborted) {
            // Stopped: the model keeps what the steps so far learned, and the standardisation they learned it with.
            [this.modelSpec, this.params] = [spec, await session.readParams()];
            signal.throwIfAborted();
          }
        },
      };
      const start: TrainStart = saved ? { resume: saved.state } : { params: this.params };
      const result = await this.computing(() => train(this.engine, spec, sets, trainOptions, callbacks, start));
      [this.modelSpec, this.params] = [spec, result.params];
      return fitResult<T>(result);
    });
  }

  /** fit's data sets, rows standardised with `description` (a checkpoint's, else the model's), and their spec. */
  private fitData(
    x: unknown,
    y: unknown,
    options: FitOptions,
    description = this.modelSpec.data,
  ): { spec: ModelSpec; sets: TrainData } {
    if (options.validationSplit !== undefined && options.validationData) {
      throw new UserError(
        'validationSplit and validationData both give the validation rows: use one',
        'validationSplit',
      );
    }
    const { validationSplit, validationData, testData } = options;
    const sets = this.images
      ? { ...trainingImages(this.modelSpec, x, y, validationSplit), description: undefined }
      : trainingSets(this.modelSpec, x, y, { ...this.names, validationSplit }, description);
    const spec = sets.description ? { ...this.modelSpec, data: sets.description } : this.modelSpec;
    const { train } = sets;
    const val = validationData ? this.labelled(spec, validationData.x, validationData.y, 'validationData.') : sets.val;
    const test = testData && this.labelled(spec, testData.x, testData.y, 'testData.');
    if (validationData && spec.task === 'classification') {
      const classes = spec.data?.classes ?? this.names.classes!;
      const fix = 'give training rows of it, or leave it out of validationData';
      checkTrainingClasses(train.labels, val!.labels, (i) => classes[i], 'validation', fix);
    }
    return { spec, sets: { train, ...(test ? { test } : {}), ...(val ? { val } : {}) } };
  }

  /** The model's answers for rows `x`: a classifier's class probabilities and classes, or a regression's targets. */
  async predict(x: Inputs): Promise<PredictionsOf<T>> {
    return this.exclusive(async () => {
      const spec = this.trained('predict');
      const set = this.images ? unlabelledImages(spec, x) : inputSet(spec, spec.data!, x);
      const settings = await this.sized(spec, set);
      const outputs = await this.computing(() => predictOutputs(this.engine, spec, this.params, set, settings));
      return predictions(spec, outputs, set.count, this.names) as PredictionsOf<T>;
    });
  }

  /** Scores the model on rows `x` with labels `y`: loss and accuracy, or loss, RMSE, MAE and R² in y's units. */
  async evaluate(x: Inputs, y: Labels): Promise<MetricsOf<T>> {
    const report = (await this.evaluateInDetail(x, y)) as ClassifierReport & RegressionReport;
    const { perTarget: _, confusion: __, perClassAccuracy: ___, ...figures } = report;
    return figures as ClassifierMetrics & RegressionMetrics;
  }

  /** evaluate's figures with a classifier's confusion matrix and accuracy per class, a regression's per target. */
  async evaluateInDetail(x: Inputs, y: Labels): Promise<ReportOf<T>> {
    return this.exclusive(async () => {
      const spec = this.trained('evaluate');
      const set = this.labelled(spec, x, y);
      const settings = await this.sized(spec, set);
      if (spec.task === 'regression') {
        const { test, regression } = await this.computing(() =>
          evaluateRegression(this.engine, spec, this.params, set, settings),
        );
        return figures(test, regression) as ReportOf<T>;
      }
      const evaluated = await this.computing(() => evaluateModel(this.engine, spec, this.params, set, settings));
      const { test, confusion, perClassAccuracy } = evaluated;
      const report: ClassifierReport = { loss: test.loss, accuracy: test.accuracy, confusion, perClassAccuracy };
      return report as ReportOf<T>;
    });
  }

  /**
   * The model as the CLI's model file (train --out): safetensors, the weights under nn.Sequential's names, the columns
   * and standardisation in its metadata. `eval --model`, `predict --model` and MLP.fromBytes read it.
   */
  toBytes(): Uint8Array {
    return encodeModel(this.trained('toBytes'), this.params);
  }

  /**
   * The model as ONNX (opset 13): the bytes of a .onnx file whose graph computes what predict does. Its input "input"
   * is `[batch, features]` float32 (a model of images: `[batch, pixels]` uint8 bytes), its output "output"
   * `[batch, outputs]`, a classifier's class probabilities (an `mse` classifier's raw outputs) or a regression's
   * targets in their units. A table's model names its features and its classes or targets in the metadata, as JSON.
   * The encoder is loaded on the first call, so a page that never exports does not carry it.
   */
  async toOnnx(): Promise<Uint8Array> {
    const [spec, params] = [this.trained('toOnnx'), this.params];
    const { encodeOnnx } = await import('../io/onnx.js');
    return encodeOnnx(spec, params);
  }

  /** Frees the model's backend: its GPU buffers and, unless it was given one, its device. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.engine.dispose();
  }

  /** Labelled rows or images read against `spec`; `what` prefixes errors ("testData."). */
  private labelled(spec: ModelSpec, x: unknown, y: unknown, what = ''): Dataset {
    return this.images ? labelledImages(spec, x, y, what) : labelledSet(spec, spec.data!, x, y, what);
  }

  /** The spec of a model that fit has standardised the data of (which its model file keeps). */
  private trained(what: string): ModelSpec {
    if (!this.modelSpec.data && !this.images) throw new UserError(`${what} needs a trained model: call fit first`);
    return this.modelSpec;
  }

  /** Work on the backend, whose failure is a DeviceLostError where the GPU device was lost under it. */
  private async computing<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw await explainFailure(error, this.engine);
    }
  }

  /** The settings of an inference session on `set`, checked against this backend's limits. */
  private async sized(spec: ModelSpec, set: Dataset): Promise<SessionSettings> {
    const settings = inferenceSettings(spec, set);
    await this.fitBackend(settings);
    return settings;
  }

  /**
   * Checks that a session of `settings` fits the backend; with `auto`, a model beyond the GPU's limits, or a training
   * run the CPU does faster, moves to the CPU.
   */
  private async fitBackend(settings: SessionSettings): Promise<void> {
    if (this.opening.choice !== 'auto') return checkFits(this.engine, settings);
    const note = autoCpuNote(this.engine, settings);
    if (!note) return;
    this.engine.dispose();
    this.engine = await fastestCpu();
    this.opening.onBackend?.(note);
  }

  /** One call at a time, as fit, predict and evaluate share the model's weights; its errors in the API's words. */
  private async exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.disposed) throw new UserError('this model was disposed: create or load another');
    if (this.busy) throw new UserError('the model is busy with another fit, predict or evaluate: await it first');
    this.busy = true;
    try {
      return await worded(work);
    } finally {
      this.busy = false;
    }
  }
}

/** A description with the model's names and neutral statistics, to check the names against the layers. */
function placeholderDescription(spec: ModelSpec, names: Names) {
  const ones = (n: number) => Array.from({ length: n }, () => 1);
  const outputs = outputSize(spec);
  return {
    features: names.features,
    featureMean: ones(inputSize(spec)),
    featureStd: ones(inputSize(spec)),
    targets: names.targets,
    ...(spec.task === 'regression'
      ? { targetMean: ones(outputs), targetStd: ones(outputs) }
      : { classes: names.classes ?? defaultNames('class', outputs) }),
  };
}

/** The backend a model's options ask for, and how they asked. */
async function open(
  options: Pick<ModelOptions, 'backend' | 'gpu' | 'shaders' | 'gpuDataBytes' | 'onBackend'>,
): Promise<[Backend, Opening]> {
  const choice = options.backend ?? 'auto';
  const { gpu, shaders, gpuDataBytes, onBackend: onChoice } = options;
  const engine = await openBackend(choice, { gpu, shaders, gpuDataBytes, onChoice });
  return [engine, { choice, onBackend: options.onBackend }];
}
