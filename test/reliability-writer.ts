/**
 * The process that test/reliability-files.test.ts kills: node --import tsx test/reliability-writer.ts DIR. It goes on
 * writing DIR/model.safetensors and DIR/run.ckpt, as train --out and --checkpoint write them, each time with every
 * parameter equal to the next generation number (one more than the file holds), and prints "model N" or
 * "checkpoint N" once each write has returned. It never stops by itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { paramTable } from '../src/model/params.js';
import { makeSpec } from '../src/model/spec.js';
import { loadCheckpoint, readModel as loadModel, saveCheckpoint, writeModel as saveModel } from './model-files.js';

/** 1.6 MB per file: long enough to write that a kill at a random moment often lands inside a write. */
export const WRITER_SPEC = makeSpec([784, 512, 10]);
const total = paramTable(WRITER_SPEC).total;

export const writerFiles = (dir: string) => ({
  model: path.join(dir, 'model.safetensors'),
  checkpoint: path.join(dir, 'run.ckpt'),
});

/** A checkpoint of generation n: its parameters all equal n, and so does its step. */
export function checkpointOf(n: number) {
  return {
    spec: WRITER_SPEC,
    options: { epochs: 1, batch: 64, learningRate: 0.1, seed: 1, logEvery: 100 },
    data: { trainSamples: 60000 },
    state: {
      params: new Float32Array(total).fill(n),
      optimizer: [],
      step: n,
      epoch: 1,
      epochStep: n,
      shuffleState: [1, 2, 3, 4],
      epochLossSum: 0,
      history: [],
    },
  };
}

if (process.argv[1] === import.meta.filename) {
  const { model, checkpoint } = writerFiles(process.argv[2]);
  let modelGeneration = loadModel(model).params[0];
  let checkpointGeneration = loadCheckpoint(checkpoint).state.step;
  fs.writeSync(1, 'start\n');
  for (;;) {
    saveModel(model, WRITER_SPEC, new Float32Array(total).fill(++modelGeneration));
    fs.writeSync(1, `model ${modelGeneration}\n`);
    saveCheckpoint(checkpoint, checkpointOf(++checkpointGeneration));
    fs.writeSync(1, `checkpoint ${checkpointGeneration}\n`);
  }
}
