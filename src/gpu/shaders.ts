/**
 * WGSL comes from shaders/<name>.wgsl and nowhere else. Node reads the files (shaders-node.ts); a browser build
 * supplies a loader over Vite's `import.meta.glob('../../shaders/*.wgsl', { query: '?raw', eager: true,
 * import: 'default' })`, keyed by the same names. Either way there is one copy of each shader.
 */
export type ShaderLoader = (name: KernelName) => string;

/**
 * Every kernel, by file name: the snake_case of its CPU reference function in src/cpu/ops.ts (mse_onehot: losses.ts;
 * momentum_update and adam_update: optim.ts), except `matmul` (the family of matmulNT, matmulTN and matmulNN, see
 * src/gpu/matmul.ts), `activation` (every hidden activation and dropout, forward and backward: src/cpu/activations.ts
 * and dropout.ts) and `noop` (the benchmark's overhead baseline).
 */
export const KERNEL_NAMES = [
  'gather',
  'matmul',
  'bias_add',
  'relu',
  'relu_backward',
  'softmax_xent',
  'mse_onehot',
  'activation',
  'column_sum',
  'sgd_update',
  'momentum_update',
  'adam_update',
  'argmax_count',
  'noop',
] as const;

export type KernelName = (typeof KERNEL_NAMES)[number];

/** A loader over a map from file path (anything ending in /<name>.wgsl) to source, as import.meta.glob returns. */
export function loaderFromFiles(files: Record<string, string>): ShaderLoader {
  return (name) => {
    const path = Object.keys(files).find((p) => p.endsWith(`/${name}.wgsl`));
    if (path === undefined) throw new Error(`shader ${name}.wgsl is not among the ${Object.keys(files).length} loaded`);
    return files[path];
  };
}
