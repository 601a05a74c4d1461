/** What the data fixes of a run: the model's input and output widths, and a table's defaults by its size. */
import type { Columns } from '../data/table.js';
import { UserError } from '../errors.js';
import { parseLayers, parseWidths, type Task } from '../model/spec.js';
import { DEFAULT_HIDDEN } from '../train/defaults.js';
import type { Flags } from './args.js';

export interface DataShape {
  /** Features per sample. */
  inputs: number;
  /** Classes (one past the largest label of an image set), or regression targets. */
  outputs: number;
  task: Task;
  /** A table's columns; absent for images. */
  data?: Columns;
  /** Samples in the training set (after any limit and validation hold-out). */
  trainRows: number;
}

/** "64,32": the hidden layers' widths, each a positive integer. */
export function parseHidden(text: string): number[] {
  const parsed = parseWidths(text);
  if ('bad' in parsed || parsed.widths.length === 0) {
    throw new UserError(
      `--hidden "${text}" is not a list of widths: use e.g. --hidden 64,32 ` +
        '(for no hidden layer, --layers INPUTS,OUTPUTS)',
    );
  }
  return parsed.widths;
}

/** What the data is, for people: its widths in its own terms. */
function describeShape(shape: DataShape): string {
  if (!shape.data) return `${shape.inputs} inputs and ${shape.outputs} classes`;
  const columns = `${shape.inputs} feature column${shape.inputs === 1 ? '' : 's'}`;
  return shape.task === 'regression'
    ? `${columns} and ${shape.outputs} target${shape.outputs === 1 ? '' : 's'}`
    : `${columns} and ${shape.outputs} classes`;
}

/** The layer sizes: --layers (checked against a table here), or --hidden between the data's widths, or the base's. */
export function layersFromFlags(flags: Flags, shape: DataShape, base?: number[]): number[] {
  const layersText = flags.layers as string | undefined;
  const hiddenText = flags.hidden as string | undefined;
  if (layersText !== undefined && hiddenText !== undefined) {
    throw new UserError(
      '--layers and --hidden both give the layers: ' +
        'use --hidden for the hidden widths alone, or --layers for all of them',
    );
  }
  if (layersText !== undefined) {
    const layers = parseLayers(layersText);
    const [first, last] = [layers[0], layers[layers.length - 1]];
    if (shape.data && (first !== shape.inputs || last !== shape.outputs)) {
      const hidden = layers.slice(1, -1);
      throw new UserError(
        `--layers ${layersText} does not fit the data, which has ${describeShape(shape)}: use --layers ` +
          `${[shape.inputs, ...hidden, shape.outputs].join(',')}` +
          `${hidden.length ? `, or --hidden ${hidden.join(',')}` : ''}`,
      );
    }
    return layers;
  }
  if (hiddenText !== undefined) return [shape.inputs, ...parseHidden(hiddenText), shape.outputs];
  return base ?? [shape.inputs, shape.data ? DEFAULT_HIDDEN.table : DEFAULT_HIDDEN.images, shape.outputs];
}
