/** MLP.summary's text: the layers as PyTorch would list them, the parameter count, where the model computes. */
import { paramTable } from '../model/params.js';
import type { ModelSpec } from '../model/spec.js';

/** The number of weights and biases of a model of `spec`. */
export const parameterCount = (spec: ModelSpec): number => paramTable(spec).total;

/** The model in a few lines: its task, each layer with its activation and parameters, the total, backend and device. */
export function summaryText(spec: ModelSpec, backend: string, device: string): string {
  const { layers } = spec;
  const classes = spec.data?.classes;
  const task =
    spec.task === 'regression'
      ? `regression of ${layers[layers.length - 1]} target${layers[layers.length - 1] === 1 ? '' : 's'}`
      : `classifier of ${layers[layers.length - 1]} classes${classes ? ` (${shortList(classes)})` : ''}`;
  const last = spec.task === 'classification' && spec.loss === 'softmax-cross-entropy' ? ' + softmax' : '';
  const rows = layers.slice(1).map((out, i) => {
    const name = `Linear(${layers[i]}, ${out})${i < layers.length - 2 ? ` + ${spec.activation}` : last}`;
    return [name, (layers[i] * out + out).toLocaleString('en-US')];
  });
  const width = Math.max(...rows.map(([name]) => name.length));
  const figures = Math.max(...rows.map(([, count]) => count.length));
  return [
    `MLP, a ${task}, on ${backend}: ${device}`,
    ...rows.map(([name, count]) => `  ${name.padEnd(width)}  ${count.padStart(figures)} parameters`),
    `  ${parameterCount(spec).toLocaleString('en-US')} parameters in all`,
  ].join('\n');
}

/** At most the first five names, then how many more. */
function shortList(names: string[]): string {
  return names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')}, and ${names.length - 5} more`;
}
