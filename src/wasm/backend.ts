import type { Backend, ModelsOptions, ModelsSession, SessionOptions } from '../backend.js';
import { checkSession } from '../check.js';
import { type CpuKernels, CpuSession, EVAL_ROWS } from '../cpu/backend.js';
import { adamBiasCorrection, type OptimizerConfig, rmspropState } from '../model/optimizer.js';
import { SequentialModels } from '../sequential-models.js';
import { bytesFor, KERNEL_NAMES, ptr, relaxedSimdSupported, WasmKernels } from './kernels.js';
import { WasmNetwork } from './network.js';
import { hardwareThreads, MAX_THREADS, ThreadPool, threadsAvailable } from './threads.js';

export interface WasmOptions {
  /**
   * Threads that compute (the caller's included): default every hardware thread where the platform shares memory
   * with workers (Node; a cross-origin-isolated page), else 1; at most 255.
   */
  threads?: number;
}

/**
 * The fast CPU backend: CpuSession's steps on WebAssembly SIMD kernels (src/wasm/kernels.c), split across worker
 * threads. Each session computes in a memory of its own; the backend's threads serve every session. Its results
 * match the reference's to float32 rounding (the matmuls sum in float32 where the reference sums in float64); the
 * optimiser updates are bitwise the reference's.
 */
export class WasmBackend implements Backend {
  readonly kind = 'wasm';

  private constructor(
    private readonly pool: ThreadPool | null,
    readonly device: string,
  ) {}

  static async create(options: WasmOptions = {}): Promise<WasmBackend> {
    const hardware = threadsAvailable() ? Math.min(await hardwareThreads(), MAX_THREADS) : 1;
    const threads = Math.max(1, Math.floor(options.threads ?? hardware));
    if (threads > MAX_THREADS) throw new Error(`threads: at most ${MAX_THREADS}`);
    if (threads > 1 && !threadsAvailable()) {
      throw new Error('threads > 1 need shared memory: Node, or a cross-origin-isolated page');
    }
    const pool = threads > 1 ? await ThreadPool.start(threads, KERNEL_NAMES) : null;
    const node = globalThis.process?.versions?.node;
    const where = node ? `Node ${node}, ${process.arch}` : 'in the browser';
    const simd = relaxedSimdSupported() ? 'WebAssembly relaxed SIMD' : 'WebAssembly SIMD';
    return new WasmBackend(pool, `${simd} (${threads} thread${threads > 1 ? 's' : ''}, ${where})`);
  }

  get threads(): number {
    return this.pool?.threads ?? 1;
  }

  async createSession(options: SessionOptions): Promise<CpuSession> {
    const { slots, table } = checkSession(options);
    const params = [table.total, ...slots.map(() => table.total)];
    const bytes = WasmNetwork.bytes(options.spec, Math.max(options.batch, EVAL_ROWS)) + bytesFor(params);
    const kernels = await WasmKernels.create(bytes, this.pool, Math.max(...options.spec.layers));
    return new CpuSession(options, wasmKernels(kernels));
  }

  /** Models one after another, each a session of its own, as the reference trains them. */
  createModels(options: ModelsOptions): Promise<ModelsSession> {
    return SequentialModels.create(options, (alone) => this.createSession(alone));
  }

  dispose(): void {
    this.pool?.dispose();
  }
}

function wasmKernels(kernels: WasmKernels): CpuKernels {
  return {
    floats: (length) => kernels.floats(length),
    network: (spec, maxRows) => new WasmNetwork(kernels, spec, maxRows),
    // A whole evaluation batch at once: a few milliseconds for a large layer, and the matmuls prefer many rows.
    sliceRows: EVAL_ROWS,
    update: (params, grads, state, o, lr, t) => update(kernels, params, grads, state, o, lr, t),
    dispose: () => kernels.dispose(),
  };
}

/** The reference's update (src/cpu/updates.ts) in kernels.c, with the same scalars worked out here. */
function update(
  kernels: WasmKernels,
  params: Float32Array,
  grads: Float32Array,
  state: Float32Array[],
  o: OptimizerConfig,
  lr: number,
  t: number,
): void {
  const n = params.length;
  const [p, g] = [ptr(params), ptr(grads)];
  switch (o.name) {
    case 'sgd':
      return kernels.run('sgd_update', [p, g, lr, o.weightDecay, n], n);
    case 'momentum':
    case 'nesterov': {
      const args = [p, ptr(state[0]), g, lr, o.momentum, o.dampening, o.weightDecay, +(o.name === 'nesterov')];
      return kernels.run('momentum_update', [...args, +(t === 1), n], n);
    }
    case 'adam':
    case 'adamw': {
      const decoupled = o.name === 'adamw';
      const { stepSize, bc2Sqrt } = adamBiasCorrection(lr, o.beta1, o.beta2, t);
      // The decay factor is a float32, as the reference and PyTorch take it (src/cpu/updates.ts).
      const decay = decoupled ? Math.fround(1 - lr * o.weightDecay) : 1;
      const coupled = decoupled ? 0 : o.weightDecay;
      const args = [p, ptr(state[0]), ptr(state[1]), g, o.beta1, o.beta2, o.eps, coupled, decay, +decoupled];
      return kernels.run('adam_update', [...args, stepSize, bc2Sqrt, n], n);
    }
    case 'rmsprop': {
      const { squareAvg, momentumBuffer, gradAvg } = rmspropState(state, o);
      const args = [p, ptr(squareAvg), ptr(momentumBuffer), ptr(gradAvg), g, lr, o.alpha, o.eps, o.weightDecay];
      return kernels.run('rmsprop_update', [...args, o.momentum, n], n);
    }
  }
}
