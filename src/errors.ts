import type { SettingName } from './train/setting-names.js';

/**
 * What a UserError can be about: a training setting (src/train/settings.ts), or one of the run's other parts: the
 * layers (all widths) or hidden widths, the task, the data's location, a table's target columns and test split, the
 * steps between checkpoints, and the files that training writes.
 */
export type Field =
  | SettingName
  | 'layers'
  | 'hidden'
  | 'task'
  | 'data'
  | 'target'
  | 'testSplit'
  | 'checkpointEvery'
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

/**
 * A problem the user can fix (a bad setting, a bad file, a model that does not fit the device). The CLI prints its
 * message as one line and exits with code 2; anything else is a bug: the CLI names it in one line and prints its
 * stack on request.
 */
export class UserError extends Error {
  override name = 'UserError';
  private readonly wording?: Wording;

  /**
   * `message` is the text, or a wording that names settings through its argument (`message` is then worded with
   * the fields' own names); `field` is the setting at fault, where there is one.
   */
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
 * A data set that the model does not fit: inputs of another size than its input (`model` inputs, `data` features), a
 * label beyond its outputs (`model` outputs, `data` the largest label), or regression targets of another width than
 * its outputs (`model` outputs, `data` targets per sample). `set` names the set ("training", "test", "validation",
 * "prediction"). The numbers let a caller that knows where the model came from say so.
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

/**
 * The GPU device stopped working under a run (a driver reset, a kernel that ran too long, the GPU taken away). Not a
 * bug of ours and nothing the user did wrong: the run can continue from its last checkpoint, which the CLI says.
 */
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

/**
 * No WebGPU adapter. `reason` is the gist of why, where known ("vkCreateInstance: Found no drivers!"); `diagnostics`
 * is all that the WebGPU implementation itself printed meanwhile (Dawn's and Vulkan's lines in Node), for a verbose
 * report.
 */
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
