/** Checkpoint files (checkpoint-codec.ts holds the format), written atomically so a crash while saving leaves the previous checkpoint whole. */
import { readFileBytes, writeFileAtomic } from './atomic.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint-codec.js';

export { decodeCheckpoint, encodeCheckpoint, type Checkpoint, type CheckpointData } from './checkpoint-codec.js';

export function saveCheckpoint(file: string, checkpoint: Checkpoint): void {
  writeFileAtomic(file, encodeCheckpoint(checkpoint));
}

export function loadCheckpoint(file: string): Checkpoint {
  return decodeCheckpoint(readFileBytes(file, 'checkpoint'), file);
}
