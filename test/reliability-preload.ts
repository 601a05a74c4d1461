/**
 * Loaded into a CLI process by the reliability tests (node --import tsx --import ./test/reliability-preload.ts), it
 * stands in for the browser's navigator.gpu, which src/gpu/device.ts prefers to Dawn, so the tests can make the GPU
 * misbehave without any test code in src/. RELIABILITY_GPU picks how:
 * - "broken": requestAdapter throws a TypeError, as a bug in a WebGPU implementation would: an internal error.
 * - "lose-after:N": Dawn as usual, but the device is destroyed right after its Nth queue submission, while the GPU
 *   works on it. Destroyed by someone other than our Gpu class, it reads exactly as a device lost to a driver reset.
 */
import { createDawn } from '../src/gpu/dawn-node.js';

const mode = process.env.RELIABILITY_GPU ?? '';
let gpu: GPU;
if (mode === 'broken') {
  gpu = {
    requestAdapter: () => {
      throw new TypeError('adapter.limits is not iterable (a broken WebGPU implementation)');
    },
  } as unknown as GPU;
} else {
  const loseAfter = Number(/^lose-after:(\d+)$/.exec(mode)?.[1]);
  if (!Number.isInteger(loseAfter)) throw new Error(`RELIABILITY_GPU "${mode}" is not broken or lose-after:N`);
  const dawn = await createDawn([]);
  gpu = {
    wgslLanguageFeatures: dawn.wgslLanguageFeatures,
    getPreferredCanvasFormat: () => dawn.getPreferredCanvasFormat(),
    requestAdapter: async (options?: GPURequestAdapterOptions) => {
      const adapter = await dawn.requestAdapter(options);
      if (!adapter) return null;
      const requestDevice = adapter.requestDevice.bind(adapter);
      adapter.requestDevice = async (descriptor?: GPUDeviceDescriptor) => {
        const device = await requestDevice(descriptor);
        const queue = device.queue;
        const submit = queue.submit.bind(queue);
        let submits = 0;
        queue.submit = (buffers: Iterable<GPUCommandBuffer>) => {
          submit(buffers);
          if (++submits === loseAfter) device.destroy();
        };
        return device;
      };
      return adapter;
    },
  } as GPU;
}
Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
