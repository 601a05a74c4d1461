/**
 * WGSL comes from shaders/<name>.wgsl only: Node reads the files (shaders-node.ts), a browser build passes Vite's
 * `import.meta.glob('../../shaders/*.wgsl', { query: '?raw', eager: true, import: 'default' })` to loaderFromFiles.
 */
export type ShaderLoader = (name: string) => string;

/** A loader over a map from file path (anything ending in /<name>.wgsl) to source, as import.meta.glob returns. */
export function loaderFromFiles(files: Record<string, string>): ShaderLoader {
  return (name) => {
    const path = Object.keys(files).find((p) => p.endsWith(`/${name}.wgsl`));
    if (path === undefined) throw new Error(`shader ${name}.wgsl is not among the ${Object.keys(files).length} loaded`);
    return files[path];
  };
}
