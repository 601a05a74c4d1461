/**
 * A problem the user can fix (a bad flag, a bad file, a model that does not fit the device).
 * The CLI prints its message as one line and exits with code 2; anything else is a bug: the CLI names it in one line
 * and prints its stack with --verbose.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/**
 * The GPU device stopped working under a run (a driver reset, a kernel that ran too long, the GPU taken away). Not a
 * bug of ours and nothing the user did wrong: the run can continue from its last checkpoint, which the CLI says.
 */
export class DeviceLostError extends UserError {
  override name = 'DeviceLostError';

  /** `reason` and `detail` are what WebGPU reports (GPUDeviceLostInfo's reason and message). */
  constructor(readonly reason: string, readonly detail: string) {
    super(`the GPU device was lost (${reason}: ${detail || 'no message'}); a driver reset or a kernel running too long can cause this: run again`);
  }
}

/**
 * No WebGPU adapter. `reason` is the gist of why, where known ("vkCreateInstance: Found no drivers!"); `diagnostics`
 * is all that the WebGPU implementation itself printed meanwhile (Dawn's and Vulkan's lines in Node), for --verbose.
 */
export class NoAdapterError extends UserError {
  override name = 'NoAdapterError';

  constructor(message: string, readonly reason = '', readonly diagnostics = '') {
    super(message);
  }
}
