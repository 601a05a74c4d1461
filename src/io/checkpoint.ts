/**
 * Checkpoint files (checkpoint-codec.ts holds the format), written atomically so a crash while saving leaves the
 * previous checkpoint whole.
 */
import { readFileBytes, writeFileAtomic } from './atomic.js';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from './checkpoint-codec.js';

export { type Checkpoint, type CheckpointData, decodeCheckpoint, encodeCheckpoint } from './checkpoint-codec.js';

export function saveCheckpoint(file: string, checkpoint: Checkpoint): void {
  writeFileAtomic(file, encodeCheckpoint(checkpoint));
}

export function loadCheckpoint(file: string): Checkpoint {
  return decodeCheckpoint(readFileBytes(file, 'checkpoint'), file);
}
