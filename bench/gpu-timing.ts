/**
 * GPU timing for the benchmark: a timer (GPU timestamps where the device has `timestamp-query`, else the wall clock
 * from submit to onSubmittedWorkDone), the no-op dispatch baseline, and the matmul family at several sizes.
 */
import type { Gpu } from '../src/gpu/device.js';
import { type Kernels, launch } from '../src/gpu/kernels.js';
import {
  MATMUL_TILE_NAMES,
  type MatmulChoice,
  type MatmulForm,
  type MatmulTile,
  pickMatmul,
} from '../src/gpu/matmul-variants.js';
import { uniformStride } from '../src/gpu/plan.js';
import { buildDispatches, Resources, record } from '../src/gpu/record.js';
import { Rng } from '../src/model/rng.js';

export type TimingSource = 'gpu-timestamps' | 'wall-clock';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Random floats in [-1, 1) with no exact zeros: timing on zeros can flatter a kernel and hides unwritten outputs. */
export function nonZeroRandom(rng: Rng, length: number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniform(-1, 1) || 0.5;
  return out;
}

/**
 * Times command sequences recorded into compute passes. With `timestamp-query` the first pass's beginning and the
 * last pass's end are stamped on the GPU (Dawn rounds stamps to about 65 us unless its `timestamp_quantization`
 * toggle is off, which the benchmark asks for); otherwise the time from submit to onSubmittedWorkDone.
 */
export class GpuTimer {
  readonly source: TimingSource;
  private readonly querySet: GPUQuerySet | null = null;
  private readonly resolve: GPUBuffer | null = null;
  private readonly read: GPUBuffer | null = null;

  constructor(
    private readonly gpu: Gpu,
    res: Resources,
    useTimestamps: boolean,
  ) {
    const { device } = gpu;
    this.source = useTimestamps && device.features.has('timestamp-query') ? 'gpu-timestamps' : 'wall-clock';
    if (this.source === 'gpu-timestamps') {
      this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
      this.resolve = res.buffer('timestamps', 16, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
      this.read = res.buffer('timestamps read', 16, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    }
  }

  /** Milliseconds of `passes` compute passes, each recorded by `fill(pass, index)`. */
  async time(passes: number, fill: (pass: GPUComputePassEncoder, index: number) => void): Promise<number> {
    const { device } = this.gpu;
    const encoder = device.createCommandEncoder();
    for (let p = 0; p < passes; p++) {
      const stamps: GPUComputePassTimestampWrites | undefined = this.querySet
        ? {
            querySet: this.querySet,
            beginningOfPassWriteIndex: p === 0 ? 0 : undefined,
            endOfPassWriteIndex: p === passes - 1 ? 1 : undefined,
          }
        : undefined;
      const pass = encoder.beginComputePass(stamps && (p === 0 || p === passes - 1) ? { timestampWrites: stamps } : {});
      fill(pass, p);
      pass.end();
    }
    if (this.querySet && this.resolve && this.read) {
      encoder.resolveQuerySet(this.querySet, 0, 2, this.resolve, 0);
      encoder.copyBufferToBuffer(this.resolve, 0, this.read, 0, 16);
    }
    const commands = encoder.finish();
    const start = performance.now();
    device.queue.submit([commands]);
    await device.queue.onSubmittedWorkDone();
    const wall = performance.now() - start;
    this.gpu.check();
    if (!this.read) return wall;
    await this.read.mapAsync(GPUMapMode.READ);
    const [begin, end] = new BigUint64Array(this.read.getMappedRange().slice(0));
    this.read.unmap();
    return Number(end - begin) / 1e6;
  }

  destroy(): void {
    this.querySet?.destroy();
  }
}

export interface NoopResult {
  dispatches: number;
  /** All dispatches in one compute pass (each writes the word the next one reads: a barrier between them). */
  usPerDispatchOnePass: number;
  /** One pass per dispatch. */
  usPerDispatchPassEach: number;
  /** A submit of a tiny copy and mapAsync of its result, on the wall clock: a read back's fixed cost. */
  roundTripMs: number;
  /** Milliseconds the CPU spent recording the one-pass sequence: the encoding cost per dispatch. */
  usRecordPerDispatch: number;
}

/** The overhead baseline: what a dispatch costs when it does nothing. */
export async function measureNoop(
  gpu: Gpu,
  kernels: Kernels,
  timer: GpuTimer,
  dispatches: number,
  samples: number,
): Promise<NoopResult> {
  const { device } = gpu;
  const res = new Resources(gpu);
  try {
    const out = res.buffer('noop out', 16, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    const [noop] = await buildDispatches(
      res,
      kernels,
      [{ kernel: 'noop', outputs: [out], inputs: [], launch: launch.noop() }],
      null,
      'noop',
    );
    const stride = uniformStride(device);
    const list = [noop];
    let recordMs = 0;
    const onePass = async () =>
      timer.time(1, (pass) => {
        const start = performance.now();
        for (let i = 0; i < dispatches; i++) record(pass, list, 0, stride, res.stats);
        recordMs += performance.now() - start;
      });
    await onePass(); // warm-up
    recordMs = 0;
    const one: number[] = [];
    for (let s = 0; s < samples; s++) one.push(await onePass());
    const each: number[] = [];
    await timer.time(dispatches, (pass) => record(pass, list, 0, stride, res.stats));
    for (let s = 0; s < samples; s++)
      each.push(await timer.time(dispatches, (pass) => record(pass, list, 0, stride, res.stats)));

    const staging = res.buffer('noop read', 16, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const trips: number[] = [];
    for (let i = 0; i < 20 + samples * 10; i++) {
      const start = performance.now();
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(out, 0, staging, 0, 4);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      staging.unmap();
      if (i >= 20) trips.push(performance.now() - start);
    }
    gpu.check();
    return {
      dispatches,
      usPerDispatchOnePass: (median(one) * 1000) / dispatches,
      usPerDispatchPassEach: (median(each) * 1000) / dispatches,
      roundTripMs: median(trips),
      usRecordPerDispatch: (recordMs * 1000) / (samples * dispatches),
    };
  } finally {
    res.destroy();
  }
}

export interface MatmulResult {
  form: MatmulForm;
  m: number;
  n: number;
  k: number;
  tile: MatmulTile;
  mode: string;
  /** The variant training would pick for this shape on this device (the others are forced, for comparison). */
  picked: boolean;
  /** Median milliseconds per matmul. */
  ms: number;
  tflops: number;
  /** Input sets rotated through, so repeated runs do not all hit the cache. */
  inputSets: number;
  repetitions: number;
  samples: number;
  /** Worst |GPU - float64 CPU| / Σ|a·b| over sampled outputs of the timed kernel. */
  maxError: number;
}

/**
 * One matmul shape and form through the picked variant and (with `allTiles`) every other tile: warm-up, then
 * `samples` timed passes of `repetitions` dispatches each, rotating through input sets, median per dispatch.
 * Outputs are spot-checked against the CPU afterwards: the kernel that is timed is the kernel that is checked.
 */
export async function measureMatmul(
  gpu: Gpu,
  kernels: Kernels,
  timer: GpuTimer,
  form: MatmulForm,
  size: { m: number; n: number; k: number },
  options: { choice: MatmulChoice; allTiles: boolean; samples: number; targetMs: number; seed: number },
): Promise<MatmulResult[]> {
  const { device } = gpu;
  const { m, n, k } = size;
  const res = new Resources(gpu);
  try {
    const rng = new Rng(options.seed);
    const setBytes = (m * k + n * k) * 4;
    const inputSets = Math.min(8, Math.max(1, Math.ceil((128 << 20) / setBytes)));
    const sets = Array.from({ length: inputSets }, (_, i) => {
      const a = nonZeroRandom(rng, m * k);
      const b = nonZeroRandom(rng, n * k);
      return {
        a,
        b,
        aBuf: res.buffer(`a ${i}`, a.byteLength, GPUBufferUsage.STORAGE, a),
        bBuf: res.buffer(`b ${i}`, b.byteLength, GPUBufferUsage.STORAGE, b),
      };
    });
    const c = res.buffer('c', m * n * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    const shape = { m, n, k, aOff: 0, bOff: 0 };
    const picked = pickMatmul(form, shape, options.choice);
    const tiles: MatmulTile[] = options.allTiles ? MATMUL_TILE_NAMES : [picked.tile];
    const results: MatmulResult[] = [];
    for (const tile of tiles) {
      const args = { m, n, k, tile };
      const dispatches = await buildDispatches(
        res,
        kernels,
        sets.map((set) => ({
          kernel: 'matmul' as const,
          outputs: [c],
          inputs: [set.aBuf, set.bBuf, set.aBuf],
          launch: launch.matmul(form, args),
        })),
        null,
        `matmul ${form}`,
      );
      const stride = uniformStride(device);
      const runs = (count: number) => (pass: GPUComputePassEncoder) => {
        for (let r = 0; r < count; r++) record(pass, [dispatches[r % dispatches.length]], 0, stride, res.stats);
      };
      const first = await timer.time(1, runs(1)); // warm-up, and a first estimate
      const one = Math.max(1e-3, (await timer.time(1, runs(inputSets))) / inputSets, first / 50);
      const repetitions = Math.max(inputSets, Math.min(500, Math.round(options.targetMs / one)));
      const times: number[] = [];
      for (let s = 0; s < options.samples; s++) times.push((await timer.time(1, runs(repetitions))) / repetitions);
      const ms = median(times);
      const last = (repetitions - 1) % dispatches.length;
      const maxError = await spotCheck(device, res, c, form, sets[last].a, sets[last].b, m, n, k, rng);
      const variant = dispatches[0].variant!;
      results.push({
        form,
        m,
        n,
        k,
        tile,
        mode: variant.mode,
        picked: tile === picked.tile,
        ms,
        tflops: (2 * m * n * k) / (ms * 1e9),
        inputSets,
        repetitions,
        samples: options.samples,
        maxError,
      });
    }
    return results;
  } finally {
    res.destroy();
  }
}

/** Compares 32 random outputs with float64 sums; returns the worst error relative to Σ|a·b| of its dot product. */
async function spotCheck(
  device: GPUDevice,
  res: Resources,
  c: GPUBuffer,
  form: MatmulForm,
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  rng: Rng,
): Promise<number> {
  const staging = res.buffer('check', m * n * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(c, 0, staging, 0, m * n * 4);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const got = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  res.gpu.destroyBuffer(staging);
  // Element (i, p) of op(a) and (p, j) of op(b), by form: nt a [m,k] b [n,k]; tn a [k,m] b [k,n]; nn a [m,k] b [k,n].
  const aAt = form === 'tn' ? (i: number, p: number) => a[p * m + i] : (i: number, p: number) => a[i * k + p];
  const bAt = form === 'nt' ? (p: number, j: number) => b[j * k + p] : (p: number, j: number) => b[p * n + j];
  let worst = 0;
  for (let s = 0; s < 32; s++) {
    const i = rng.below(m);
    const j = rng.below(n);
    let sum = 0;
    let scale = 0;
    for (let p = 0; p < k; p++) {
      const x = aAt(i, p) * bAt(p, j);
      sum += x;
      scale += Math.abs(x);
    }
    const error = Math.abs(got[i * n + j] - sum) / scale;
    worst = Math.max(worst, Number.isNaN(error) ? Infinity : error);
  }
  return worst;
}

/** The matmul sizes and forms a run measures. */
export const matmulForms: MatmulForm[] = ['nt', 'tn', 'nn'];
