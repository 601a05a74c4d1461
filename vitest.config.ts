import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // GPU tests on SwiftShader and the MNIST training test are slow on 2 cores.
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
