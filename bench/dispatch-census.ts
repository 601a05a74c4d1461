/**
 * What a training step sends to the GPU, ours against jax-js's, in Node on Dawn: the WebGPU calls of a few steps
 * counted (dispatches, passes, submits, read-backs, writes), and each dispatch of one step with its pipeline, its
 * workgroup size and grid, and its cost alone (recorded `repeat` times in one pass, submit to onSubmittedWorkDone).
 *
 *   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx tsx bench/dispatch-census.ts A [--shaders DIR]
 *     [--contenders webgpu,webgpu-micro,jax-webgpu]
 *
 * --shaders writes each jax-js pipeline's WGSL there (jax-js generates them; ours are in shaders/). webgpu-micro is
 * ours with every matmul forced onto the micro tile (16 threads of 4 x 4 outputs, operands loaded from storage).
 */
import fs from 'node:fs';
import path from 'node:path';
import { chooseContenders, chooseWorkloads, median, stepData } from './steps.js';
import { NODE_CONTENDERS } from './steps-node.js';

interface PipelineInfo {
  id: number;
  label: string;
  code: string;
  constants: Record<string, number>;
  device: GPUDevice;
}

interface Dispatch {
  pipeline: GPUComputePipeline;
  groups: [number, number, number];
  bindGroups: { index: number; group: GPUBindGroup; offsets: number[] }[];
}

const pipelines = new WeakMap<GPUComputePipeline, PipelineInfo>();
const codes = new WeakMap<GPUShaderModule, string>();
const passState = new WeakMap<GPUComputePassEncoder, Omit<Dispatch, 'groups'>>();
const counts = { dispatches: 0, passes: 0, submits: 0, mapAsync: 0, writeBuffer: 0 };
let log: Dispatch[] = [];
let nextId = 0;

/** Wraps the prototypes' methods that matter here; Dawn's objects all share them. */
function instrument(): void {
  const g = globalThis as unknown as Record<string, { prototype: Record<string, unknown> }>;
  const wrap = (cls: string, name: string, after: (self: never, args: never[], result: unknown) => void) => {
    const proto = g[cls].prototype;
    const original = proto[name] as (...args: unknown[]) => unknown;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      const result = original.apply(this, args);
      after(this as never, args as never[], result);
      return result;
    };
  };
  wrap('GPUDevice', 'createShaderModule', (_, [d]: GPUShaderModuleDescriptor[], m) => {
    codes.set(m as GPUShaderModule, d.code);
  });
  const remember = (device: GPUDevice, d: GPUComputePipelineDescriptor, p: GPUComputePipeline) => {
    const constants = (d.compute.constants ?? {}) as Record<string, number>;
    const code = codes.get(d.compute.module) ?? '';
    pipelines.set(p, { id: nextId++, label: d.label ?? '', code, constants, device });
  };
  wrap('GPUDevice', 'createComputePipeline', (device: GPUDevice, [d]: GPUComputePipelineDescriptor[], p) => {
    remember(device, d, p as GPUComputePipeline);
  });
  wrap('GPUDevice', 'createComputePipelineAsync', (device: GPUDevice, [d]: GPUComputePipelineDescriptor[], p) => {
    void (p as Promise<GPUComputePipeline>).then((pipeline) => remember(device, d, pipeline));
  });
  wrap('GPUCommandEncoder', 'beginComputePass', (_, __, pass) => {
    counts.passes++;
    passState.set(pass as GPUComputePassEncoder, { pipeline: null as never, bindGroups: [] });
  });
  wrap('GPUComputePassEncoder', 'setPipeline', (pass: GPUComputePassEncoder, [p]: GPUComputePipeline[]) => {
    passState.get(pass)!.pipeline = p;
  });
  wrap('GPUComputePassEncoder', 'setBindGroup', (pass: GPUComputePassEncoder, args: unknown[]) => {
    const state = passState.get(pass)!;
    const [index, group, offsets] = args as [number, GPUBindGroup, number[] | undefined];
    state.bindGroups = [...state.bindGroups.filter((b) => b.index !== index), { index, group, offsets: offsets ?? [] }];
  });
  wrap('GPUComputePassEncoder', 'dispatchWorkgroups', (pass: GPUComputePassEncoder, args: number[]) => {
    counts.dispatches++;
    const state = passState.get(pass)!;
    log.push({ ...state, groups: [args[0], args[1] ?? 1, args[2] ?? 1] });
  });
  wrap('GPUQueue', 'submit', () => counts.submits++);
  wrap('GPUQueue', 'writeBuffer', () => counts.writeBuffer++);
  wrap('GPUBuffer', 'mapAsync', () => counts.mapAsync++);
}

/** A pipeline's workgroup size: ours from its override constants, jax-js's from the literal in its WGSL. */
function workgroupSize(info: PipelineInfo): number {
  const c = info.constants;
  if (c.WORKGROUP) return c.WORKGROUP;
  if (c.TM) return (c.TM / c.RM) * (c.TN / c.RN) * (c.SK ?? 1);
  const literal = /@workgroup_size\(([^)]*)\)/.exec(info.code)?.[1] ?? '';
  return literal.split(',').reduce((product, n) => product * (Number(n.trim()) || 1), 1);
}

/** One dispatch alone: `repeat` copies in one pass, submit to done, median of 5, in microseconds per copy. */
async function costAlone(device: GPUDevice, d: Dispatch, repeat: number): Promise<number | null> {
  const samples: number[] = [];
  for (let s = 0; s < 5; s++) {
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(d.pipeline);
    for (const b of d.bindGroups) pass.setBindGroup(b.index, b.group, b.offsets);
    for (let r = 0; r < repeat; r++) pass.dispatchWorkgroups(...d.groups);
    pass.end();
    const start = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    samples.push(((performance.now() - start) * 1000) / repeat);
    if (await device.popErrorScope()) return null; // a buffer the step had freed since
  }
  return median(samples);
}

async function main(): Promise<void> {
  const [name = 'A', ...rest] = process.argv.slice(2);
  const flag = (f: string) => (rest.includes(f) ? rest[rest.indexOf(f) + 1] : undefined);
  const shaderDir = flag('--shaders');
  const contenders = chooseContenders((flag('--contenders') ?? 'webgpu,jax-webgpu').split(','), NODE_CONTENDERS);
  const [w] = chooseWorkloads([name]);
  const { createDawn } = await import('../src/node.js');
  const gpu = await createDawn([]);
  // One Dawn instance for both, as navigator.gpu: jax-js looks there, and our requestGpu prefers it.
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'Node.js' }, configurable: true });
  instrument();
  const data = stepData(w);
  const steps = 4;
  for (const [contender, open] of Object.entries(contenders)) {
    const opened = await open();
    const runner = await opened.prepare(w, data);
    await runner.run(2); // compiles
    await runner.run(steps); // settles buffer pools
    for (const key of Object.keys(counts) as (keyof typeof counts)[]) counts[key] = 0;
    log = [];
    await runner.run(steps);
    const per = Object.entries(counts).map(([k, v]) => `${k} ${(v / steps).toFixed(2)}`);
    console.log(`\n${contender} (${opened.device}), workload ${w.name}, per step: ${per.join(', ')}`);
    const oneStep = log.slice(0, log.length / steps);
    console.log('  #  pipeline                                   wg   grid          invocations  us alone');
    for (const [i, d] of oneStep.entries()) {
      const info = pipelines.get(d.pipeline)!;
      const wg = workgroupSize(info);
      const invocations = wg * d.groups[0] * d.groups[1] * d.groups[2];
      const alone = await costAlone(info.device, d, 20);
      const label = (info.label || `jax kernel ${info.id}`).slice(0, 42);
      const cost = alone === null ? '-' : alone.toFixed(0);
      console.log(
        `  ${String(i).padStart(2)} ${label.padEnd(42)} ${String(wg).padStart(4)}  ${d.groups.join('x').padEnd(13)}` +
          ` ${String(invocations).padStart(11)}  ${cost}`,
      );
      if (shaderDir && !info.label) {
        fs.mkdirSync(shaderDir, { recursive: true });
        fs.writeFileSync(path.join(shaderDir, `jax-${w.name}-kernel-${info.id}.wgsl`), info.code);
      }
    }
    runner.dispose();
    opened.dispose();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`dispatch-census: ${(error as Error).stack}\n`);
    process.exit(1);
  },
);
