/**
 * What each backend can run. The CPU reference runs everything; the WebGPU backend gets the kernels of issue 6 in
 * its next phase, and until then every setting it lacks is refused up front, by name, rather than silently trained
 * as something else. Delete an entry here when its kernel lands (with its parity test).
 */
import type { Dataset } from '../backend.js';
import type { OptimizerConfig } from '../model/optimizer.js';
import type { ScheduleOptions } from '../model/schedule.js';
import type { ModelSpec } from '../model/spec.js';

export interface RunSettings {
  spec: ModelSpec;
  optimizer?: OptimizerConfig;
  schedule?: ScheduleOptions;
  dropout?: number;
  val?: Dataset;
}

/** The settings of a training run the WebGPU backend cannot do yet, as the flags that ask for them. */
export function webGpuGaps(_run: RunSettings): string[] {
  const gaps: string[] = [];
  return gaps;
}

/** The one-line refusal for a setting the WebGPU backend lacks. */
export function webGpuRefusal(gap: string): string {
  return `${gap} is not on the WebGPU backend yet: use --backend cpu`;
}
