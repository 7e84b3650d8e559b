import type { Activation, MlpLayer } from '../../builtin/mlp.js';
import { TensorDataType, modelProto, rawData, type NodeInit, type TensorDataTypeCode, type TensorInit } from './model-proto.js';

/** The element type of a model's tensors. */
export type OnnxFloatType = 'float32' | 'float64';

export interface MlpModelOptions {
  /** The width of the network's input (the first layer's w is inputs x outputs). */
  inputs: number;
  /**
   * float64 on ONNX Runtime's CPU provider (Gemm, Relu and Sigmoid all have double kernels there),
   * which matches the JS reference to rounding; float32 for CUDA and CoreML (CoreML takes float
   * tensors only, and a GPU's double throughput is a fraction of its float throughput).
   */
  dtype: OnnxFloatType;
}

/** The graph's input and output names: x (rows x inputs) in, y (rows x outputs) out. */
export const MLP_INPUT = 'x';
export const MLP_OUTPUT = 'y';
/** The name of the batch dimension, which each run sets (its number of rows). */
export const MLP_ROWS_DIM = 'rows';

/**
 * IR version 8 and opset 17: what ONNX Runtime has read since 1.13 and every exporter still writes;
 * Gemm (13), Relu (14) and Sigmoid (13) have not changed since.
 */
const IR_VERSION = 8;
const OPSET_VERSION = 17;

const ACTIVATION_OP: Record<Activation, string | undefined> = { linear: undefined, relu: 'Relu', sigmoid: 'Sigmoid' };

/**
 * The ONNX model of an MLP: per layer one Gemm (x w + b, which starts from the bias as the JS
 * `dense` core does) and its activation, weights stored in the model as initializers. Deterministic:
 * the same layers give the same bytes.
 */
export function mlpModelBytes(layers: readonly MlpLayer[], { inputs, dtype }: MlpModelOptions): Uint8Array {
  if (layers.length === 0) throw new RangeError('mlpModelBytes: an MLP needs at least one layer');
  const type: TensorDataTypeCode = dtype === 'float64' ? TensorDataType.DOUBLE : TensorDataType.FLOAT;
  const nodes: NodeInit[] = [];
  const initializers: TensorInit[] = [];
  let current = MLP_INPUT;
  let width = inputs;
  layers.forEach((layer, i) => {
    const outputs = layer.b.length;
    if (layer.w.length !== width * outputs) throw new RangeError(`mlpModelBytes: layers[${i}].w has ${layer.w.length} elements; expected inputs x outputs = ${width} x ${outputs}`);
    const last = i === layers.length - 1;
    const op = ACTIVATION_OP[layer.activation];
    const w = `layer${i}.w`;
    const b = `layer${i}.b`;
    initializers.push({ name: w, dims: [width, outputs], dataType: type, rawData: rawData(layer.w, type) });
    initializers.push({ name: b, dims: [outputs], dataType: type, rawData: rawData(layer.b, type) });
    const linear = last && op === undefined ? MLP_OUTPUT : `layer${i}.linear`;
    nodes.push({ name: `layer${i}.gemm`, opType: 'Gemm', inputs: [current, w, b], outputs: [linear] });
    current = linear;
    if (op !== undefined) {
      const activated = last ? MLP_OUTPUT : `layer${i}.${layer.activation}`;
      nodes.push({ name: `layer${i}.${layer.activation}`, opType: op, inputs: [current], outputs: [activated] });
      current = activated;
    }
    width = outputs;
  });
  return modelProto({
    irVersion: IR_VERSION,
    opsetVersion: OPSET_VERSION,
    producerName: 'dualbus',
    producerVersion: 'mlp-model 1',
    graph: {
      name: 'mlp',
      nodes,
      initializers,
      inputs: [{ name: MLP_INPUT, elemType: type, shape: [MLP_ROWS_DIM, inputs] }],
      outputs: [{ name: MLP_OUTPUT, elemType: type, shape: [MLP_ROWS_DIM, width] }],
    },
  });
}
