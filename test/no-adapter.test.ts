/** NoAdapterError's advice fits where the page or program runs: a browser's settings, or Node's Vulkan drivers. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NoAdapterError } from '../src/errors.js';
import { requestGpu } from '../src/gpu/device.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('NoAdapterError', () => {
  it('in a browser (navigator.gpu without an adapter), speaks of browsers, not Vulkan or apt-get', async () => {
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => null } });
    const error = await requestGpu().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NoAdapterError);
    const { message } = error as NoAdapterError;
    expect(message).toMatch(/^no WebGPU adapter found\. Use a browser with WebGPU enabled \(Chrome or Edge 113/);
    expect(message).toContain('backend: cpu');
    expect(message).not.toMatch(/Vulkan|apt-get|Linux|Node/);
  });
});
