/**
 * Outputs of the models on a set, in batches of evalRows without dropout: the one part of a session that makes
 * objects after set-up (its own set where it is not on the GPU yet, its tables, dispatches and read-back buffers), all
 * destroyed before it returns. One submit, one read back.
 */
import type { Dataset } from '../backend.js';
import type { ModelSpec } from '../model/spec.js';
import { uploadSet } from './buffers.js';
import type { DataBuffers, EvalSource, Layout, NetBuffers, NetGraph } from './graph.js';
import type { Kernels } from './kernels.js';
import { type EvalPlan, type Plan, PREDICTION_FIX } from './plan.js';
import {
  buildBatchLists,
  createModelTable,
  createStepTable,
  type Recorder,
  Resources,
  scoped,
  type Tables,
} from './record.js';
import { evalEntries, type ModelConstants } from './tables.js';

/** What a prediction needs of its session. */
export interface PredictionParts {
  res: Resources;
  plan: Plan;
  buffers: NetBuffers;
  layout: Layout;
  constants: ModelConstants[];
  recorder: Recorder;
  kernels: Kernels;
  graph: NetGraph;
}

/** Where a prediction reads: a set the session holds, or one to upload. */
export type PredictionSource = EvalSource | DataBuffers | Dataset;

/**
 * Each model's last-layer outputs on `counts[model]` rows of `source`, batch b at step-table entry firstEntry + b of
 * `given` (the session's tables), or of tables made here from entry 0 (every model taking every batch); a streamed
 * set's rows written into its window by `fill` a group of batches at a time.
 */
export async function predictOutputs(
  parts: PredictionParts,
  spec: ModelSpec,
  source: PredictionSource,
  setPlan: EvalPlan,
  counts: number[],
  given: Tables | null,
  firstEntry: number,
  fill?: (from: number, to: number) => void,
): Promise<Float32Array[]> {
  const { plan, kernels, graph, layout, constants, recorder } = parts;
  const device = parts.res.device;
  const classes = plan.table.layers[plan.table.layers.length - 1].outSize;
  const most = Math.max(...counts);
  const bytes = plan.k * most * classes * 4;
  const res = new Resources(parts.res.gpu);
  try {
    const { lists, outputs, staging } = await scoped(device, 'the prediction', PREDICTION_FIX, async () => {
      const data: EvalSource =
        'count' in source
          ? { data: uploadSet(res, 'predict', source, spec, plan.shard.bytes) }
          : 'data' in source
            ? source
            : { data: source };
      const tables = given ?? {
        step: createStepTable(res, evalEntries(setPlan)),
        models: createModelTable(
          res,
          Array.from({ length: setPlan.batches }, () => plan.models.map(() => ({}))),
          constants,
        ),
      };
      const batch = (rows: number) => graph.predictBatch(data, rows);
      return {
        lists: await buildBatchLists(res, kernels, tables, setPlan, batch, 'predict batch'),
        outputs: res.buffer('predictions', bytes, GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC),
        staging: res.buffer('predictions read back', bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST),
      };
    });
    // Each batch's outputs lie in acts[last] only until the next batch: copied out between the passes, model by model.
    const last = plan.table.layers.length;
    const logits = parts.buffers.acts[last];
    const { rows } = setPlan;
    const encoder = recorder.inGroups(setPlan, fill, (encoder, from, to) =>
      recorder.batches(
        encoder,
        lists,
        setPlan.batches,
        firstEntry,
        (b) => {
          counts.forEach((count, i) => {
            const own = Math.min(rows, count - b * rows);
            if (own <= 0) return;
            const at = (i * most + b * rows) * classes * 4;
            encoder.copyBufferToBuffer(logits, i * layout.acts[last] * 4, outputs, at, own * classes * 4);
          });
        },
        [from, to],
      ),
    );
    const work = { kind: 'predict', units: setPlan.batches };
    const all = new Float32Array(await recorder.readBack(outputs, 0, bytes, { encoder, staging, work }));
    return counts.map((count, i) => all.slice(i * most * classes, (i * most + count) * classes));
  } finally {
    res.destroy();
  }
}
