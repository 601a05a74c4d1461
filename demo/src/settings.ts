/**
 * The training settings of the form, checked with messages for people (the trainer checks again, in the library's words).
 * The URL may prefill them (?hidden=64&batch=32&lr=0.05&epochs=2&seed=7&backend=cpu) and limit the data
 * (?train=2000&test=500), so a setting can be shared as a link.
 */

export type BackendChoice = 'webgpu' | 'cpu';

export interface Settings {
  /** Hidden layer widths; the input (784) and output (10) come from the data. */
  hidden: number[];
  batch: number;
  learningRate: number;
  epochs: number;
  seed: number;
  backend: BackendChoice;
}

export const DEFAULT_SETTINGS: Settings = { hidden: [128], batch: 64, learningRate: 0.1, epochs: 3, seed: 1, backend: 'webgpu' };

/** Widths beyond this make a model too slow to be fun in a page (and too big for some GPUs' bindings). */
const MAX_WIDTH = 4096;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** "128" or "256, 128" or "" (no hidden layer: a linear classifier). */
export function parseHidden(text: string): Parsed<number[]> {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, value: [] };
  const parts = trimmed.split(/[\s,]+/);
  const sizes = parts.map(Number);
  const bad = parts.findIndex((p, i) => !/^\d+$/.test(p) || sizes[i] < 1 || sizes[i] > MAX_WIDTH);
  if (bad >= 0) return { ok: false, error: `Hidden layers: "${parts[bad]}" is not a width from 1 to ${MAX_WIDTH}. Write widths separated by commas, like 256, 128.` };
  return { ok: true, value: sizes };
}

function parseInteger(label: string, text: string, min: number, max: number): Parsed<number> {
  const value = Number(text.trim());
  if (!/^\s*\d+\s*$/.test(text) || value < min || value > max) {
    return { ok: false, error: `${label}: "${text.trim()}" is not a whole number from ${min} to ${max}.` };
  }
  return { ok: true, value };
}

function parseRate(text: string): Parsed<number> {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || value > 10) {
    return { ok: false, error: `Learning rate: "${text.trim()}" is not a number above 0 and at most 10 (0.1 is a good start).` };
  }
  return { ok: true, value };
}

export interface SettingsText {
  hidden: string;
  batch: string;
  learningRate: string;
  epochs: string;
  seed: string;
  backend: string;
}

/** Checks the form's text; every problem is one sentence naming the field. */
export function parseSettings(text: SettingsText, trainCount: number): Parsed<Settings> {
  class FieldError extends Error {}
  const must = <T>(parsed: Parsed<T>): T => {
    if (!parsed.ok) throw new FieldError(parsed.error);
    return parsed.value;
  };
  try {
    const backend = text.backend;
    if (backend !== 'webgpu' && backend !== 'cpu') throw new FieldError(`Backend: unknown "${backend}".`);
    return {
      ok: true,
      value: {
        hidden: must(parseHidden(text.hidden)),
        batch: must(parseInteger('Batch size', text.batch, 1, Math.min(trainCount, 65536))),
        learningRate: must(parseRate(text.learningRate)),
        epochs: must(parseInteger('Epochs', text.epochs, 1, 100)),
        seed: must(parseInteger('Seed', text.seed, 0, 0xffffffff)),
        backend,
      },
    };
  } catch (error) {
    if (error instanceof FieldError) return { ok: false, error: error.message };
    throw error;
  }
}

/** Form text from the URL, for the fields it names. */
export function settingsFromUrl(params: URLSearchParams): Partial<SettingsText> {
  const out: Partial<SettingsText> = {};
  const keys: [keyof SettingsText, string][] = [
    ['hidden', 'hidden'], ['batch', 'batch'], ['learningRate', 'lr'], ['epochs', 'epochs'], ['seed', 'seed'], ['backend', 'backend'],
  ];
  for (const [field, key] of keys) {
    const value = params.get(key);
    if (value !== null) out[field] = value;
  }
  return out;
}

/** ?train=N&test=N: positive whole numbers, else ignored. */
export function limitsFromUrl(params: URLSearchParams): { train?: number; test?: number } {
  const read = (key: string) => {
    const value = Number(params.get(key));
    return Number.isInteger(value) && value > 0 ? value : undefined;
  };
  return { train: read('train'), test: read('test') };
}
