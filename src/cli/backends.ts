/** The CLI's backends and models: MLP.fromBytes on the backend asked for, and auto's choice said in a line. */
import { BACKEND_CHOICES, type BackendNote } from '../api/engine.js';
import { MLP } from '../api/model.js';
import type { BackendChoice } from '../api/options.js';
import { nodeShaderLoader } from '../gpu/shaders-node.js';
import { readFileBytes } from '../io/atomic.js';
import { decodeModel } from '../io/model-codec.js';
import type { ModelSpec } from '../model/spec.js';
import { checkMembers, EnsembleModel, type Predictor } from './ensemble.js';
import { cliMessage } from './failure.js';
import { isFolder, modelFolderFiles } from './model-folder.js';

export { BACKEND_CHOICES, type BackendChoice };

/** auto's choice in the CLI's words; `work` says what the backend is for ("training", "evaluating"). */
export function choiceLine(note: BackendNote, work: string): string {
  if (note.kind === 'webgpu') return 'backend auto: using WebGPU';
  if (note.because === 'faster')
    return `backend auto: ${note.detail}, ${work} on the CPU (--backend webgpu forces the GPU)`;
  if (note.because === 'limits')
    return `backend auto: too large for this GPU (${cliMessage(note.error)}), ${work} on the CPU`;
  const why = note.detail ? ` (${note.detail})` : '';
  return `backend auto: no WebGPU adapter found${why}, ${work} on the CPU (--backend webgpu says how to get one)`;
}

/** A model file read: its spec, for the checks before a backend is opened, and the model on the backend asked for. */
function readOneModel(file: string, choice: BackendChoice, gpuDataBytes?: number) {
  const bytes = readFileBytes(file, 'model file');
  return {
    spec: decodeModel(bytes, file).spec,
    /** The model on the backend asked for; auto says what it chose through `say`, for `work` ("evaluating"). */
    open: (say: (line: string) => void, work: string) =>
      MLP.fromBytes(bytes, {
        backend: choice,
        shaders: nodeShaderLoader,
        gpuDataBytes,
        source: file,
        onBackend: (note) => say(choiceLine(note, work)),
      }),
  };
}

export interface ModelFile {
  /** The model's spec (an ensemble's first member's), for the checks before a backend is opened. */
  spec: ModelSpec;
  /** Its members, where it is sweep --ensemble's folder. */
  members?: number;
  open(say: (line: string) => void, work: string): Promise<Predictor>;
}

/** A model file, or sweep --ensemble's folder of them (one model answering with their mean). */
export function readModelFile(file: string, choice: BackendChoice, gpuDataBytes?: number): ModelFile {
  if (!isFolder(file)) return readOneModel(file, choice, gpuDataBytes);
  const files = modelFolderFiles(file);
  const members = files.map((member) => readOneModel(member, choice, gpuDataBytes));
  checkMembers(
    members.map((m) => m.spec),
    files,
  );
  return {
    spec: members[0].spec,
    members: members.length,
    open: async (say, work) => {
      const models: MLP[] = [];
      try {
        // auto's choice is said once: it is the same for models of one size.
        for (const [i, member] of members.entries()) models.push(await member.open(i === 0 ? say : () => {}, work));
      } catch (error) {
        for (const model of models) model.dispose();
        throw error;
      }
      return new EnsembleModel(models);
    },
  };
}
