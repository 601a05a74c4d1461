import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { mnistData } from './mnist-plugin.js';

const demo = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('..', import.meta.url));

/**
 * Cross-origin isolation (these two headers) gives the page SharedArrayBuffer, so the wasm backend trains on every
 * core; a static host without them still serves a working page, on one thread.
 */
const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** `npm run demo` serves this folder; `npm run build:demo` writes a static site to demo/dist. */
export default defineConfig({
  root: demo,
  // Relative asset paths: the built site works from any folder of any static server.
  base: './',
  plugins: [mnistData()],
  server: { fs: { allow: [repo] }, headers: ISOLATED },
  preview: { headers: ISOLATED },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
});
