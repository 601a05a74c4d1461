/** export: a model file as an ONNX model, for ONNX Runtime and the other tools that read ONNX. */
import { MLP } from '../api/model.js';
import { UserError } from '../errors.js';
import { readFileBytes, writeFileAtomic } from '../io/atomic.js';
import { type FlagSpec, helpText, parseFlags, VERBOSE_FLAG } from './args.js';
import { cliIo } from './io.js';
import { checkOutputFile } from './output.js';

const FLAGS: FlagSpec[] = [
  { name: 'model', value: 'FILE', help: 'the model to export (train --out, or a checkpoint)' },
  { name: 'onnx', value: 'FILE.onnx', help: 'where to write the ONNX model' },
  VERBOSE_FLAG,
  { name: 'help', help: 'show this help' },
];

const USAGE = 'webgpu-mlp export --model FILE --onnx FILE.onnx';
const SUMMARY = `Writes the model as ONNX (opset 13), computing what predict does: input "input" [batch, features]
float32, a table's raw rows (an image model's: [batch, pixels] uint8 bytes), standardised as the model was trained;
output "output" [batch, outputs], a classifier's class probabilities (an mse classifier's raw outputs) or a
regression's targets in their units. A table's feature, class and target names are in the model's metadata.`;

export async function exportCommand(argv: string[]): Promise<void> {
  const say = (text: string) => cliIo().stdout.write(text);
  const flags = parseFlags(argv, FLAGS, 'export');
  if (flags.help) {
    say(helpText(USAGE, SUMMARY, FLAGS));
    return;
  }
  const modelFile = flags.model as string | undefined;
  const onnxFile = flags.onnx as string | undefined;
  if (!modelFile) throw new UserError('export needs --model FILE: a model written by train --out');
  if (!onnxFile) throw new UserError('export needs --onnx FILE.onnx: where to write the ONNX model');
  checkOutputFile('onnx', onnxFile, ['.onnx']);
  // The CPU backend: exporting reads the weights and computes nothing, so it never needs a GPU.
  const model = await MLP.fromBytes(readFileBytes(modelFile, 'model file'), { backend: 'cpu', source: modelFile });
  try {
    const bytes = await model.toOnnx();
    writeFileAtomic(onnxFile, bytes);
    say(`wrote ${onnxFile}: ${model.layers.join('-')} ${model.task} model, ${bytes.length} bytes\n`);
  } finally {
    model.dispose();
  }
}
