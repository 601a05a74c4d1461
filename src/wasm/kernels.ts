/**
 * The wasm kernels (src/wasm/kernels.c) as a session uses them: a memory of its own, sized once for everything the
 * session holds (so views into it stay valid), arrays handed out in it, and each kernel called on one thread or split
 * across a ThreadPool's threads.
 */
import { UserError } from '../errors.js';
import { KERNELS_WASM } from './kernels-embedded.js';
import type { ThreadPool } from './threads.js';

/** Every kernel kernels.c exports; each takes its arguments, then (part, parts). */
export const KERNEL_NAMES = [
  'matmul',
  'transpose',
  'column_sum',
  'relu',
  'relu_backward',
  'sgd_update',
  'momentum_update',
  'adam_update',
  'rmsprop_update',
] as const;

export type KernelName = (typeof KERNEL_NAMES)[number];

type Exports = Record<KernelName, (...args: number[]) => void>;

type Variant = keyof typeof KERNELS_WASM;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

let simd: boolean | undefined;
let relaxed: boolean | undefined;

/** Whether this JavaScript engine runs WebAssembly with SIMD (every current browser and Node does). */
export function wasmSimdSupported(): boolean {
  simd ??= typeof WebAssembly === 'object' && WebAssembly.validate(decode(KERNELS_WASM.single));
  return simd;
}

/** Whether it also has relaxed SIMD, whose fused multiply-add the matmuls then use (Chrome and Edge do). */
export function relaxedSimdSupported(): boolean {
  relaxed ??= WebAssembly.validate(decode(KERNELS_WASM.singleRelaxed));
  return relaxed;
}

const compiled = new Map<Variant, Promise<WebAssembly.Module>>();

function compileKernels(variant: Variant): Promise<WebAssembly.Module> {
  let module = compiled.get(variant);
  if (!module) {
    module = WebAssembly.compile(decode(KERNELS_WASM[variant]));
    compiled.set(variant, module);
  }
  return module;
}

const PAGE = 65536;
/** WebAssembly's 32-bit memories: 65,536 pages of 64 KiB. */
const MAX_PAGES = 65536;
/** Arrays start on 16-byte boundaries, which the kernels' vector loads prefer; address 0 stays unused (null). */
const ALIGN = 16;

/** kernels.c's KC: the rows of b (and columns of A) a matmul packs at a time. */
const KC = 256;

/**
 * The least work a kernel is split across threads for: multiply-adds of a matmul, elements of the others. Waking a
 * sleeping thread costs tens of microseconds (more on a busy or virtual machine), so a share must take a millisecond
 * or so: a matmul of 784-128-10's first layer at batch 64 (6.4 million) stays on one thread, where two ran its step
 * slower (bench/NOTES.md), and 784-1024-1024-10's at batch 1024 (800 million) takes every thread.
 */
const PARALLEL_MACS = 10_000_000;
const PARALLEL_ELEMENTS = 500_000;

export class WasmKernels {
  private top = ALIGN;
  private disposed = false;
  private readonly bytes: number;
  /** Every thread's matmul panels (kernels.c), `stride` floats apart. */
  private readonly scratch: Float32Array;
  private readonly stride: number;

  private constructor(
    readonly memory: WebAssembly.Memory,
    private readonly exports: Exports,
    private readonly pool: ThreadPool | null,
    private readonly memoryId: number,
    widest: number,
  ) {
    this.bytes = memory.buffer.byteLength;
    this.stride = scratchStride(widest);
    this.scratch = this.floats(this.threads * this.stride);
  }

  /**
   * Kernels on a memory of at least `bytes` for arrays (besides the matmuls' scratch, for outputs up to `widest`
   * columns), on the pool's threads where one is given.
   */
  static async create(bytes: number, pool: ThreadPool | null, widest: number): Promise<WasmKernels> {
    const scratch = (pool?.threads ?? 1) * scratchStride(widest) * 4;
    const pages = Math.ceil((bytes + scratch + 2 * ALIGN) / PAGE) + 1;
    const variant: Variant = `${pool ? 'threads' : 'single'}${relaxedSimdSupported() ? 'Relaxed' : ''}`;
    const module = await compileKernels(variant);
    const gib = ((pages * PAGE) / 2 ** 30).toFixed(1);
    if (pages > MAX_PAGES) {
      throw new UserError(
        `the model needs ${gib} GiB of WebAssembly memory, more than its 4 GiB: ` +
          'use backend webgpu, or a smaller batch or layers',
      );
    }
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: pages, maximum: pages, ...(pool ? { shared: true } : {}) });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new UserError(`could not allocate the ${gib} GiB of memory the model needs: use a smaller batch or layers`);
    }
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const id = pool ? await pool.attach(module, memory) : 0;
    return new WasmKernels(memory, instance.exports as unknown as Exports, pool, id, widest);
  }

  get threads(): number {
    return this.pool?.threads ?? 1;
  }

  /** A zeroed float32 array in the memory; its byteOffset is what the kernels take as its pointer. */
  floats(length: number): Float32Array {
    const offset = this.take(length * 4);
    return new Float32Array(this.memory.buffer, offset, length);
  }

  private take(bytes: number): number {
    const offset = this.top;
    this.top = Math.ceil((offset + bytes) / ALIGN) * ALIGN;
    if (this.top > this.bytes) throw new Error(`wasm memory: ${this.top} bytes asked of ${this.bytes}`);
    return offset;
  }

  /**
   * c(m, n) = A · b (+ bias), A(i, p) = a[i·rs + p·ps], b (k, n) row-major (kernels.c's matmul); n at most the
   * widest the kernels were created for.
   */
  matmul(
    c: Float32Array,
    a: Float32Array,
    b: Float32Array,
    bias: Float32Array | null,
    dims: MatmulDims,
    work = dims.m * dims.n * dims.k,
  ): void {
    const { m, n, k, rs, ps } = dims;
    this.run('matmul', [ptr(c), ptr(a), ptr(b), ptr(bias), m, n, k, rs, ps, ptr(this.scratch), this.stride], work);
  }

  /**
   * Calls kernel `name`, split across the threads when `work` (a matmul's multiply-adds, the others' elements) is
   * large enough to repay waking them.
   */
  run(name: KernelName, args: readonly number[], work: number): void {
    if (this.disposed) throw new Error(`wasm kernel ${name} called on a disposed session`);
    const kernel = this.exports[name];
    const { pool } = this;
    if (!pool || work < (name === 'matmul' ? PARALLEL_MACS : PARALLEL_ELEMENTS)) {
      kernel(...args, 0, 1);
      return;
    }
    pool.run(this.memoryId, pool.kernelIndex(name), args, (part, parts) => kernel(...args, part, parts));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.pool) this.pool.detach(this.memoryId);
  }
}

/** A matmul's sizes, and where A(i, p) is: a[i·rs + p·ps]. */
export interface MatmulDims {
  m: number;
  n: number;
  k: number;
  rs: number;
  ps: number;
}

/** Floats of one thread's matmul panels for outputs up to `widest` columns: A's KC × 4, b's KC × widest (in 8s). */
function scratchStride(widest: number): number {
  return KC * (4 + Math.ceil(widest / 8) * 8);
}

/** The pointer the kernels take for an array in a WasmKernels memory (0 for none). */
export function ptr(array: Float32Array | null): number {
  return array ? array.byteOffset : 0;
}

/** Bytes a session's arrays take at most, each rounded up to the alignment: `lengths` in floats. */
export function bytesFor(lengths: readonly number[]): number {
  return lengths.reduce((sum, length) => sum + Math.ceil((length * 4) / ALIGN) * ALIGN, 0);
}
