/**
 * A trained MLP as an ONNX model: one graph from the input predict takes to the answers it gives. A table's rows are
 * standardised with the model's feature statistics, an image's bytes normalised as the spec says; each layer is a Gemm
 * and its activation; a cross-entropy classifier ends in Softmax (its class probabilities), a regression in its
 * targets' units. The messages are declared below by reflection, with onnx.proto's field numbers, and protobufjs
 * writes them.
 */
import protobuf from 'protobufjs/light.js';
import { paramTable, view } from '../model/params.js';
import { inputSize, LEAKY_SLOPE, type ModelSpec, outputSize } from '../model/spec.js';
import { type TableDescription, targetStandardisation } from '../model/table.js';

/**
 * Opset 13 (ONNX 1.8) holds every operator the graph needs, each as it is still defined (Softmax over one axis is
 * 13's), so runtimes from 2020 on read the file; Gelu only came in opset 20, so GELU is built of Erf. IR version 7 is
 * the file format of ONNX 1.8, the release that brought opset 13.
 */
const OPSET = 13;
const IR_VERSION = 7;

/** The graph's input, [batch, features] (an image model's: [batch, pixels] of uint8 bytes), and output. */
const INPUT = 'input';
const OUTPUT = 'output';

/** TensorProto.DataType's values for the element types used here. */
const FLOAT = 1;
const UINT8 = 2;

/** A message of onnx.proto (a proto2 file): its fields as [name, number, type, rule], and what is nested in it. */
function message(
  name: string,
  fields: [name: string, id: number, type: string, rule?: 'repeated'][],
  ...nested: (protobuf.Type | protobuf.Enum)[]
): protobuf.Type {
  const type = new protobuf.Type(name);
  for (const [field, id, kind, rule] of fields) type.add(new protobuf.Field(field, id, kind, rule));
  for (const inner of nested) type.add(inner);
  return type;
}

/** The messages and fields of onnx.proto that this file writes, under its names and field numbers. */
const schema = new protobuf.Root()
  .add(
    message('ModelProto', [
      ['ir_version', 1, 'int64'],
      ['producer_name', 2, 'string'],
      ['doc_string', 6, 'string'],
      ['graph', 7, 'GraphProto'],
      ['opset_import', 8, 'OperatorSetIdProto', 'repeated'],
      ['metadata_props', 14, 'StringStringEntryProto', 'repeated'],
    ]),
  )
  .add(
    message('OperatorSetIdProto', [
      ['domain', 1, 'string'],
      ['version', 2, 'int64'],
    ]),
  )
  .add(
    message('StringStringEntryProto', [
      ['key', 1, 'string'],
      ['value', 2, 'string'],
    ]),
  )
  .add(
    message('GraphProto', [
      ['node', 1, 'NodeProto', 'repeated'],
      ['name', 2, 'string'],
      ['initializer', 5, 'TensorProto', 'repeated'],
      ['input', 11, 'ValueInfoProto', 'repeated'],
      ['output', 12, 'ValueInfoProto', 'repeated'],
    ]),
  )
  .add(
    message('NodeProto', [
      ['input', 1, 'string', 'repeated'],
      ['output', 2, 'string', 'repeated'],
      ['name', 3, 'string'],
      ['op_type', 4, 'string'],
      ['attribute', 5, 'AttributeProto', 'repeated'],
    ]),
  )
  .add(
    message(
      'AttributeProto',
      [
        ['name', 1, 'string'],
        ['f', 2, 'float'],
        ['i', 3, 'int64'],
        ['type', 20, 'AttributeType'],
      ],
      new protobuf.Enum('AttributeType', { FLOAT: 1, INT: 2 }),
    ),
  )
  .add(
    message('TensorProto', [
      ['dims', 1, 'int64', 'repeated'],
      ['data_type', 2, 'int32'],
      ['name', 8, 'string'],
      ['raw_data', 9, 'bytes'],
    ]),
  )
  .add(
    message('ValueInfoProto', [
      ['name', 1, 'string'],
      ['type', 2, 'TypeProto'],
    ]),
  )
  .add(
    message(
      'TypeProto',
      [['tensor_type', 1, 'Tensor']],
      message('Tensor', [
        ['elem_type', 1, 'int32'],
        ['shape', 2, 'TensorShapeProto'],
      ]),
    ),
  )
  .add(
    message(
      'TensorShapeProto',
      [['dim', 1, 'Dimension', 'repeated']],
      message('Dimension', [
        ['dim_value', 1, 'int64'],
        ['dim_param', 2, 'string'],
      ]),
    ),
  );
const ModelProto = schema.lookupType('ModelProto');

interface Node {
  op_type: string;
  name: string;
  input: string[];
  output: string[];
  attribute?: ({ name: string } & ({ type: 'FLOAT'; f: number } | { type: 'INT'; i: number }))[];
}

/** The nodes and constant tensors of a graph as it is built, each value named once. */
class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: { name: string; dims: number[]; data_type: number; raw_data: Uint8Array }[] = [];

  /** A float32 constant (values rounded to float32, little-endian as raw_data must be); returns its name. */
  constant(name: string, values: ArrayLike<number>, dims = [values.length]): string {
    const floats = Float32Array.from(values);
    const bytes = new Uint8Array(floats.length * 4);
    const data = new DataView(bytes.buffer);
    floats.forEach((value, i) => data.setFloat32(i * 4, value, true));
    this.initializers.push({ name, dims, data_type: FLOAT, raw_data: bytes });
    return name;
  }

  /** A node of `op` on `inputs`, its output named `output`; returns that name. */
  node(op: string, inputs: string[], output: string, attribute?: Node['attribute']): string {
    this.nodes.push({
      op_type: op,
      name: output,
      input: inputs,
      output: [output],
      ...(attribute ? { attribute } : {}),
    });
    return output;
  }
}

/** The constants of GELU's nodes, by name. */
const GELU_CONSTANTS = { 'gelu.sqrt1_2': Math.SQRT1_2, 'gelu.half': 0.5, 'gelu.one': 1 };

/** GELU as activations.ts computes it, x/2 · (1 + erf(x/√2)), of opset 13's Erf, Mul and Add. */
function gelu(graph: GraphBuilder, x: string, out: string): string {
  const erf = graph.node('Erf', [graph.node('Mul', [x, 'gelu.sqrt1_2'], `${out}.scaled`)], `${out}.erf`);
  const half = graph.node('Mul', [x, 'gelu.half'], `${out}.half`);
  return graph.node('Mul', [half, graph.node('Add', [erf, 'gelu.one'], `${out}.one_plus_erf`)], out);
}

/** The hidden activation of `spec` on `x`, as node `out`. */
function activation(graph: GraphBuilder, spec: ModelSpec, x: string, out: string): string {
  switch (spec.activation) {
    case 'relu':
      return graph.node('Relu', [x], out);
    case 'leaky-relu':
      return graph.node('LeakyRelu', [x], out, [{ name: 'alpha', type: 'FLOAT', f: LEAKY_SLOPE }]);
    case 'sigmoid':
      return graph.node('Sigmoid', [x], out);
    case 'tanh':
      return graph.node('Tanh', [x], out);
    case 'gelu':
      return gelu(graph, x, out);
  }
}

const tensorType = (name: string, elemType: number, width: number) => ({
  name,
  type: { tensor_type: { elem_type: elemType, shape: { dim: [{ dim_param: 'batch' }, { dim_value: width }] } } },
});

/** The network's input as predict prepares it: a table's rows standardised, or image bytes normalised. */
function preparedInput(graph: GraphBuilder, spec: ModelSpec): string {
  const d = spec.data;
  if (d) {
    // (x - mean) / std, each rounded to float32 as predict's standardisation is.
    const centred = graph.node('Sub', [INPUT, graph.constant('feature_mean', d.featureMean)], 'centred');
    return graph.node('Div', [centred, graph.constant('feature_std', d.featureStd)], 'standardised');
  }
  // byte / (255 std) - mean / std, as the backends gather a batch of images.
  const bytes = graph.node('Cast', [INPUT], 'pixels', [{ name: 'to', type: 'INT', i: FLOAT }]);
  const scaled = graph.node('Mul', [bytes, graph.constant('pixel_scale', [1 / (255 * spec.inputStd)], [])], 'scaled');
  return graph.node('Sub', [scaled, graph.constant('pixel_shift', [spec.inputMean / spec.inputStd], [])], 'normalised');
}

/** The last layer's outputs as predict gives them: probabilities, a regression's targets in their units, or raw. */
function answers(graph: GraphBuilder, spec: ModelSpec, outputs: string): void {
  if (spec.task === 'regression') {
    const { mean, std } = targetStandardisation(spec.data, outputSize(spec));
    const scaled = graph.node('Mul', [outputs, graph.constant('target_std', std)], 'targets.scaled');
    graph.node('Add', [scaled, graph.constant('target_mean', mean)], OUTPUT);
  } else if (spec.loss === 'softmax-cross-entropy') {
    graph.node('Softmax', [outputs], OUTPUT, [{ name: 'axis', type: 'INT', i: -1 }]);
  } else {
    graph.node('Identity', [outputs], OUTPUT);
  }
}

/** What the output holds, for the model's doc string. */
function outputMeaning(spec: ModelSpec): string {
  if (spec.task === 'regression') return `the ${outputSize(spec)} targets in their units`;
  return spec.loss === 'mse' ? 'the raw scores of the classes (an mse classifier)' : 'the probability of each class';
}

/** A table's columns as metadata_props, each a JSON list: its features, and its classes or targets. */
function columns(d: TableDescription | undefined): { key: string; value: string }[] {
  if (!d) return [];
  const lists = { features: d.features, ...(d.classes ? { classes: d.classes } : { targets: d.targets }) };
  return Object.entries(lists).map(([key, names]) => ({ key, value: JSON.stringify(names) }));
}

/**
 * The ONNX model of `spec` with weights `params` (the flat vector of the parameter table): input "input"
 * [batch, features] float32 (an image model's: [batch, pixels] uint8), output "output" [batch, outputs], as predict
 * computes them.
 */
export function encodeOnnx(spec: ModelSpec, params: Float32Array): Uint8Array {
  const graph = new GraphBuilder();
  let x = preparedInput(graph, spec);
  if (spec.activation === 'gelu') {
    for (const [name, value] of Object.entries(GELU_CONSTANTS)) graph.constant(name, [value], []);
  }
  const { layers } = paramTable(spec);
  layers.forEach(({ weight, bias }, l) => {
    // nn.Linear's [out, in] weight is Gemm's B transposed: y = x · Wᵀ + b.
    const w = graph.constant(weight.name, view(params, weight), weight.shape);
    const b = graph.constant(bias.name, view(params, bias), bias.shape);
    const z = graph.node('Gemm', [x, w, b], `${2 * l}.linear`, [{ name: 'transB', type: 'INT', i: 1 }]);
    x = l + 1 < layers.length ? activation(graph, spec, z, `${2 * l + 1}.${spec.activation}`) : z;
  });
  answers(graph, spec, x);
  const model = {
    ir_version: IR_VERSION,
    producer_name: 'webgpu-mlp',
    doc_string: `An MLP ${spec.layers.join('-')} (${spec.activation}): the output is ${outputMeaning(spec)}.`,
    opset_import: [{ domain: '', version: OPSET }],
    metadata_props: columns(spec.data),
    graph: {
      name: 'mlp',
      node: graph.nodes,
      initializer: graph.initializers,
      input: [tensorType(INPUT, spec.data ? FLOAT : UINT8, inputSize(spec))],
      output: [tensorType(OUTPUT, FLOAT, outputSize(spec))],
    },
  };
  // A Uint8Array of its own: protobufjs gives a Node Buffer, maybe a view into Node's shared pool.
  return new Uint8Array(ModelProto.encode(ModelProto.fromObject(model)).finish());
}
