/** Checkpoint files (checkpoint-codec.ts holds the format), written atomically so a crash while saving leaves the previous checkpoint whole. */
import fs from 'node:fs';
import { UserError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint-codec.js';

export { decodeCheckpoint, encodeCheckpoint, type Checkpoint, type CheckpointData } from './checkpoint-codec.js';

export function saveCheckpoint(file: string, checkpoint: Checkpoint): void {
  writeFileAtomic(file, encodeCheckpoint(checkpoint));
}

export function loadCheckpoint(file: string): Checkpoint {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new UserError(`${file}: cannot read the checkpoint (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return decodeCheckpoint(bytes, file);
}
