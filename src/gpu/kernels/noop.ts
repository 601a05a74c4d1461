/** noop.wgsl: the benchmark's overhead baseline, one thread writing one word. No CPU reference. */
import { defineKernel, words } from './define.js';

/** Output the word. */
export const noop = defineKernel({
  name: 'noop',
  outputs: 1,
  inputs: 0,
  models: false,
  step: false,
  launch: () => ({ dims: words(0), groups: [1, 1, 1] as [number, number, number] }),
});
