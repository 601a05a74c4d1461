import type { SettingName } from './train/setting-names.js';

/** What a UserError can be about: a training setting (src/train/settings.ts), or another part of a run. */
export type Field =
  | SettingName
  | 'layers'
  | 'hidden'
  | 'task'
  | 'data'
  | 'target'
  | 'testSplit'
  | 'checkpointEvery'
  | 'folds'
  | 'seeds'
  | 'grid'
  | 'gpuDataBytes'
  | 'savedModel'
  | 'savedCheckpoint';

/** How a message names a setting: the library by its field, the CLI by its flag. */
export type Naming = (field: Field) => string;

/** A message that names settings, worded by whoever shows it. */
export type Wording = (name: Naming) => string;

/** The fields that are no option's name: where the data comes from, and the files that training writes. */
const LIBRARY_NAMES: Partial<Record<Field, string>> = {
  data: 'the data location',
  savedModel: 'a model file saved after training',
  savedCheckpoint: 'a checkpoint saved during training',
};

const byField: Naming = (field) => LIBRARY_NAMES[field] ?? field;

/** A problem the user can fix: the CLI prints its message as one line and exits with code 2; anything else is a bug. */
export class UserError extends Error {
  override name = 'UserError';
  private readonly wording?: Wording;

  /** `message` is the text, or a wording that names settings through its argument; `field` is the one at fault. */
  constructor(
    message: string | Wording,
    readonly field?: Field,
  ) {
    super(typeof message === 'string' ? message : message(byField));
    if (typeof message !== 'string') this.wording = message;
  }

  /** The message with its settings named by `name` (the CLI passes their flags). */
  worded(name: Naming): string {
    return this.wording ? this.wording(name) : this.message;
  }
}

/**
 * A data set that the model does not fit: `set` ("training", "test", ...) has `data` features, a largest label or
 * targets per sample where the model has `model` inputs or outputs, for a caller that knows where the model came from.
 */
export class DataFitError extends UserError {
  override name = 'DataFitError';

  constructor(
    message: Wording,
    readonly set: string,
    readonly mismatch: 'inputs' | 'labels' | 'targets',
    readonly model: number,
    readonly data: number,
  ) {
    super(message, 'layers');
  }
}

/** The GPU device stopped working under a run: no bug, and the run can continue from its last checkpoint. */
export class DeviceLostError extends UserError {
  override name = 'DeviceLostError';

  /** `reason` and `detail` are what WebGPU reports (GPUDeviceLostInfo's reason and message). */
  constructor(
    readonly reason: string,
    readonly detail: string,
  ) {
    super(
      `the GPU device was lost (${reason}: ${detail || 'no message'}); ` +
        'a driver reset or a kernel running too long can cause this: run again',
    );
  }
}

/** No WebGPU adapter: `reason` is the gist of why, `diagnostics` what Dawn and Vulkan printed meanwhile. */
export class NoAdapterError extends UserError {
  override name = 'NoAdapterError';

  constructor(
    message: string,
    readonly reason = '',
    readonly diagnostics = '',
  ) {
    super(message);
  }
}
