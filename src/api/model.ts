/** The MLP: a model made from options or bytes, trained on arrays, asked for predictions, saved as the CLI's model file. */
import { resolveSettings, settingsOf } from '../train/resolve.js';
import { SETTING_NAMES } from '../train/setting-names.js';
import { MODEL_SETTINGS, SETTINGS } from '../train/settings.js';
import type { Backend, Dataset, TrainingSession } from '../backend.js';
import { UserError } from '../errors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../io/checkpoint-codec.js';
import { decodeModel, encodeModel } from '../io/model-codec.js';
import { initParams, paramTable } from '../model/params.js';
import { inputSize, labelWidth, outputSize, validateSpec, type ModelSpec } from '../model/spec.js';
import { evaluateModel, evaluateRegression, inferenceSizes, predictOutputs } from '../train/inference.js';
import { checkRun, trainChecked, type TrainCallbacks, type TrainOptions, type TrainStart } from '../train/trainer.js';
import { defaultNames, inputSet, labelledSet, trainingSets, type Inputs, type Labels } from './arrays.js';
import { openBackend } from './engine.js';
import { FIT_OPTIONS, specOf, trainOptionsOf, type FitOptions, type ModelOptions } from './options.js';
import { fitRecord, fitResult, predictions, type ClassifierMetrics, type FitResult, type Predictions, type RegressionMetrics } from './records.js';
import { checkOptionNames, worded } from './wording.js';

/** How MLP.fromBytes opens a model: where it computes, and a name for the bytes in error messages. */
export type LoadOptions = Pick<ModelOptions, 'backend' | 'gpu' | 'shaders'> & {
  /** Names the bytes in errors (a file's path); default "the model bytes". */
  source?: string;
};

/** fit's options that a resumed run may still set (the table's resumable settings): the rest are the checkpoint's. */
const FREE_ON_RESUME: readonly string[] = [
  ...SETTING_NAMES.filter((name) => SETTINGS[name].resumable), 'validationSplit',
  'validationData', 'testData', 'checkpoint', 'signal', 'onEpoch', 'onChunk', 'resume',
];

/** The settings a model's spec keeps, with the defaults of those it leaves out, in the table's order. */
function modelSettings(spec: ModelSpec): unknown[] {
  const data = { table: true, trainRows: 1, regression: spec.task === 'regression' };
  const values = resolveSettings(settingsOf(spec), data);
  return MODEL_SETTINGS.map((name) => values[name]).filter((value) => value !== undefined);
}

/** Lets other work run (a timer that aborts, a page's events) between chunks of steps, which may all be synchronous on the CPU. */
const yieldToEventLoop = () => new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/**
 * A multilayer perceptron on arrays, trained on the CPU reference or with WebGPU. Its inputs are standardised with
 * statistics fitted on the first fit's training rows (and a regression's targets too), which the model keeps: every
 * later fit, predict and evaluate, and its model file, use them. Each model holds its own backend: models train side by
 * side, and dispose() frees everything the model holds on the GPU.
 */
export class MLP {
  private busy = false;
  private disposed = false;

  private constructor(
    private spec: ModelSpec,
    private params: Float32Array,
    private readonly engine: Backend,
    private readonly seed: number,
    private readonly names: { features: string[]; targets: string[]; classes?: string[] },
  ) {}

  /** A new model with the seeded initialisation of nn.Linear (U(-1/√in, 1/√in)), on the backend asked for. */
  static async create(options: ModelOptions): Promise<MLP> {
    return worded(async () => {
      const spec = specOf(options);
      const seed = options.seed ?? 1;
      const names = {
        features: options.features ?? defaultNames('x', options.inputs, ''),
        targets: options.targets ?? (spec.task === 'regression' ? defaultNames('y', options.outputs) : ['y']),
        ...(options.classes ? { classes: options.classes } : {}),
      };
      validateSpec({ ...spec, data: placeholderDescription(spec, names) }); // the names fit the model
      const engine = await openBackend(options.backend ?? 'auto', options.gpu, options.shaders);
      return new MLP(spec, initParams(paramTable(spec), seed), engine, seed, names);
    });
  }

  /** A model from the bytes of toBytes() (or a model file that train --out wrote for a table, or a checkpoint of one). */
  static async fromBytes(bytes: Uint8Array, options: LoadOptions = {}): Promise<MLP> {
    return worded(async () => {
      checkOptionNames('MLP.fromBytes', options, ['backend', 'gpu', 'shaders', 'source']);
      const source = options.source ?? 'the model bytes';
      const { spec, params } = decodeModel(bytes, source);
      if (!spec.data) throw new UserError(`${source} hold a model of MNIST-style images, which MLP does not take: use it with the CLI, or webgpu-mlp/lower`, 'savedModel');
      const engine = await openBackend(options.backend ?? 'auto', options.gpu, options.shaders);
      return new MLP(spec, params, engine, 1, { features: spec.data.features, targets: spec.data.targets, classes: spec.data.classes });
    });
  }

  /** The backend the model computes on: `'cpu'` or `'webgpu'`. */
  get backend(): 'cpu' | 'webgpu' {
    return this.engine.kind;
  }

  /** What it computes on, for people: the CPU, or the GPU adapter's name. */
  get device(): string {
    return this.engine.device;
  }

  /** Layer widths from input to output. */
  get layers(): number[] {
    return this.spec.layers.slice();
  }

  get task(): ModelSpec['task'] {
    return this.spec.task;
  }

  /** A classifier's class names in output order, once known (given, or from the first fit). */
  get classes(): string[] | undefined {
    return (this.spec.data?.classes ?? this.names.classes)?.slice();
  }

  /**
   * Trains on rows `x` with labels `y`: class labels for a classifier, targets for a regression. Resolves once training
   * ends with each epoch's record; the model then has the trained weights (with earlyStopping, the best epoch's).
   */
  async fit(x: Inputs, y: Labels, options: FitOptions = {}): Promise<FitResult> {
    return this.exclusive(() => worded(async () => {
      checkOptionNames('fit', options, FIT_OPTIONS);
      options.signal?.throwIfAborted();
      let spec = this.spec;
      let description = spec.data;
      let start: TrainStart = { params: this.params };
      let saved: ReturnType<typeof decodeCheckpoint> | undefined;
      if (options.resume) {
        saved = decodeCheckpoint(options.resume, 'the checkpoint');
        const fixed = Object.keys(options).find((key) => !FREE_ON_RESUME.includes(key) && options[key as keyof FitOptions] !== undefined);
        if (fixed) throw new UserError(`${fixed} is set by the checkpoint being resumed: leave it out (the checkpoint holds the run's settings)`);
        const shape = (s: ModelSpec) => `${s.task} ${s.layers.join('-')} (${modelSettings(s).join(', ')})`;
        if (shape(saved.spec) !== shape(spec)) throw new UserError(`the checkpoint is of a model ${shape(saved.spec)}, this one is ${shape(spec)}`, 'savedCheckpoint');
        description = saved.spec.data;
        start = { resume: saved.state };
      }
      if (options.validationSplit !== undefined && options.validationData) {
        throw new UserError('validationSplit and validationData both give the validation rows: use one', 'validationSplit');
      }
      const sets = trainingSets(spec, x, y, { ...this.names, validationSplit: options.validationSplit }, description);
      const d = sets.description;
      spec = { ...spec, data: d };
      const val = options.validationData ? labelledSet(spec, d, options.validationData.x, options.validationData.y, 'validationData.') : sets.val;
      const test = options.testData ? labelledSet(spec, d, options.testData.x, options.testData.y, 'testData.') : firstRow(spec, sets.train);
      if (options.earlyStopping !== undefined && !val) {
        throw new UserError('earlyStopping watches the validation loss, and there is no validation set: give validationSplit (e.g. 0.2) or validationData', 'earlyStopping');
      }
      if ((options.dropout ?? 0) !== 0 && spec.layers.length < 3) {
        throw new UserError('dropout acts on hidden layers, and this model has none: create it with hidden, e.g. [64]', 'dropout');
      }
      let trainOptions: TrainOptions;
      if (saved) {
        if (saved.data.trainSamples !== sets.train.count || saved.data.val !== val?.count) {
          throw new UserError(`the checkpoint trained on ${saved.data.trainSamples} rows (validation ${saved.data.val ?? 0}), these data give ` +
            `${sets.train.count} (validation ${val?.count ?? 0}): resume with the data of the saved run`, 'savedCheckpoint');
        }
        const savedSettings = settingsOf(saved.spec, saved.options);
        trainOptions = trainOptionsOf(options, sets.train.count, this.seed, spec, savedSettings);
      } else {
        trainOptions = trainOptionsOf(options, sets.train.count, this.seed, spec);
      }
      const run = checkRun(spec, { train: sets.train, test, ...(val ? { val } : {}) }, trainOptions, this.engine);
      const tested = options.testData !== undefined;
      const { signal, checkpoint } = options;
      const callbacks: TrainCallbacks = {
        ...(options.onChunk ? { onProgress: options.onChunk } : {}),
        ...(options.onEpoch ? { onEpoch: (record) => options.onEpoch!(fitRecord(record, tested)) } : {}),
        ...(checkpoint ? {
          onCheckpoint: (state) => checkpoint.save(encodeCheckpoint({
            spec, options: trainOptions, state, data: { trainSamples: sets.train.count, ...(val ? { val: val.count } : {}) },
          }), { epoch: state.epoch, step: state.step }),
        } : {}),
        yieldPoint: async (session: TrainingSession) => {
          await yieldToEventLoop();
          if (signal?.aborted) {
            // Stopped: the model keeps what the steps so far learned, and the standardisation they learned it with.
            [this.spec, this.params] = [spec, await session.readParams()];
            signal.throwIfAborted();
          }
        },
      };
      const result = await trainChecked(this.engine, run, callbacks, start);
      [this.spec, this.params] = [spec, result.params];
      return fitResult(result, tested);
    }));
  }

  /** The model's answers for rows `x`: a classifier's class probabilities and classes, or a regression's targets. */
  async predict(x: Inputs): Promise<Predictions> {
    return this.exclusive(() => worded(async () => {
      const spec = this.trained('predict');
      const set = inputSet(spec, spec.data!, x);
      const outputs = await predictOutputs(this.engine, spec, this.params, set, this.sized(spec, set));
      return predictions(spec, outputs, set.count);
    }));
  }

  /** Scores the model on rows `x` with labels `y`: loss and accuracy, or a regression's loss, RMSE, MAE and R² in the targets' units. */
  async evaluate(x: Inputs, y: Labels): Promise<ClassifierMetrics | RegressionMetrics> {
    return this.exclusive(() => worded(async () => {
      const spec = this.trained('evaluate');
      const set = labelledSet(spec, spec.data!, x, y);
      const sizes = this.sized(spec, set);
      if (spec.task === 'regression') {
        const { test, regression } = await evaluateRegression(this.engine, spec, this.params, set, sizes);
        return { loss: test.loss, rmse: regression.rmse, mae: regression.mae, r2: regression.r2 };
      }
      const { test } = await evaluateModel(this.engine, spec, this.params, set, sizes);
      return { loss: test.loss, accuracy: test.accuracy };
    }));
  }

  /**
   * The model as safetensors bytes: the CLI's model file (train --out), with the weights under nn.Sequential's names
   * and the feature names, classes or targets and standardisation in its metadata; `eval --model` and `predict
   * --model` read it, and MLP.fromBytes.
   */
  toBytes(): Uint8Array {
    if (!this.spec.data) throw new UserError('toBytes needs a trained model: call fit first (the model file keeps the standardisation fit learns)');
    return encodeModel(this.spec, this.params);
  }

  /** Frees the model's backend: its GPU buffers and, unless it was given one, its device. The model is then unusable. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.engine.dispose();
  }

  /** The spec of a model that fit has standardised the data of. */
  private trained(what: string): ModelSpec {
    if (!this.spec.data) throw new UserError(`${what} needs a trained model: call fit first`);
    return this.spec;
  }

  /** The sizes of an inference session on `set`, checked against this backend's limits. */
  private sized(spec: ModelSpec, set: Dataset) {
    const sizes = inferenceSizes(spec, set);
    this.engine.checkLimits?.(sizes);
    return sizes;
  }

  /** One call at a time: fit, predict and evaluate share the model's weights. */
  private async exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.disposed) throw new UserError('this model was disposed: create or load another');
    if (this.busy) throw new UserError('the model is busy with another fit, predict or evaluate: await it first');
    this.busy = true;
    try {
      return await work();
    } finally {
      this.busy = false;
    }
  }
}

/** The trainer needs a test set; without testData, one training row stands in and the records drop its figures. */
function firstRow(spec: ModelSpec, train: Dataset): Dataset {
  return { inputs: train.inputs.subarray(0, train.features), labels: train.labels.subarray(0, labelWidth(spec)), count: 1, features: train.features };
}

/** A description with the model's names and neutral statistics, to check the names against the layers. */
function placeholderDescription(spec: ModelSpec, names: { features: string[]; targets: string[]; classes?: string[] }) {
  const ones = (n: number) => Array.from({ length: n }, () => 1);
  const outputs = outputSize(spec);
  return {
    features: names.features, featureMean: ones(inputSize(spec)), featureStd: ones(inputSize(spec)), targets: names.targets,
    ...(spec.task === 'regression' ? { targetMean: ones(outputs), targetStd: ones(outputs) } : { classes: names.classes ?? defaultNames('class', outputs) }),
  };
}
