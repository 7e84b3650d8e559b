/**
 * ONNX model bytes written by hand: the few messages of onnx.proto (onnx/onnx, onnx/onnx.proto)
 * that a feed-forward graph needs, in protobuf's wire format. No protobuf library: a model is a
 * handful of nested length-delimited messages, and writing them here keeps the bytes under our
 * control: fields are always written in the same order, so the same model gives the same bytes.
 *
 * Field numbers (onnx.proto):
 *   ModelProto          ir_version=1 (int64), producer_name=2, producer_version=3, graph=7, opset_import=8
 *   OperatorSetIdProto  domain=1, version=2 (int64)
 *   GraphProto          node=1, name=2, initializer=5, input=11, output=12
 *   NodeProto           input=1, output=2, name=3, op_type=4
 *   TensorProto         dims=1 (int64), data_type=2 (int32), name=8, raw_data=9
 *   ValueInfoProto      name=1, type=2
 *   TypeProto           tensor_type=1;  TypeProto.Tensor elem_type=1 (int32), shape=2
 *   TensorShapeProto    dim=1;  Dimension dim_value=1 (int64), dim_param=2
 */

/** TensorProto.DataType values this writer produces. */
export const TensorDataType = { FLOAT: 1, DOUBLE: 11 } as const;
export type TensorDataTypeCode = (typeof TensorDataType)[keyof typeof TensorDataType];

/** A dimension of a graph input or output: a fixed size, or a name for a size given at run time. */
export type Dimension = number | string;

export interface TensorInit {
  name: string;
  dims: readonly number[];
  dataType: TensorDataTypeCode;
  /** The elements, little-endian, row-major (TensorProto.raw_data). */
  rawData: Uint8Array;
}

export interface NodeInit {
  name: string;
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
}

export interface ValueInfoInit {
  name: string;
  elemType: TensorDataTypeCode;
  shape: readonly Dimension[];
}

export interface GraphInit {
  name: string;
  nodes: readonly NodeInit[];
  initializers: readonly TensorInit[];
  inputs: readonly ValueInfoInit[];
  outputs: readonly ValueInfoInit[];
}

export interface ModelInit {
  irVersion: number;
  /** The version of the default ('ai.onnx') operator set the nodes bind to. */
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  graph: GraphInit;
}

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;

/**
 * Appends protobuf fields. Kept as a list of chunks, not one growing array: a tensor's raw data and
 * a nested message are appended by reference and the bytes are copied once, in finish().
 */
class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private small: number[] = [];
  /** The bytes written so far, which a parent message writes as this one's length. */
  length = 0;

  varintField(field: number, value: number): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  stringField(field: number, value: string): this {
    return this.bytesField(field, new TextEncoder().encode(value));
  }

  bytesField(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(value.length);
    this.append(value);
    return this;
  }

  messageField(field: number, message: ProtoWriter): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(message.length);
    message.flushSmall();
    for (const chunk of message.chunks) this.append(chunk);
    return this;
  }

  finish(): Uint8Array {
    this.flushSmall();
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /**
   * A non-negative integer as a base-128 varint. Arithmetic rather than bit operators, which would
   * truncate to 32 bits: int64 fields (dims, ir_version) may exceed 2^31 in principle.
   */
  private varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`protobuf varint: expected a non-negative safe integer; got ${value}`);
    const before = this.small.length;
    let v = value;
    while (v >= 0x80) {
      this.small.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.small.push(v);
    this.length += this.small.length - before;
  }

  private append(chunk: Uint8Array): void {
    this.flushSmall();
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  private flushSmall(): void {
    if (this.small.length === 0) return;
    this.chunks.push(Uint8Array.from(this.small));
    this.small = [];
  }
}

export function modelProto(model: ModelInit): Uint8Array {
  const opset = new ProtoWriter().stringField(1, '').varintField(2, model.opsetVersion);
  return new ProtoWriter()
    .varintField(1, model.irVersion)
    .stringField(2, model.producerName)
    .stringField(3, model.producerVersion)
    .messageField(7, graphProto(model.graph))
    .messageField(8, opset)
    .finish();
}

function graphProto(graph: GraphInit): ProtoWriter {
  const w = new ProtoWriter();
  for (const node of graph.nodes) w.messageField(1, nodeProto(node));
  w.stringField(2, graph.name);
  for (const tensor of graph.initializers) w.messageField(5, tensorProto(tensor));
  for (const input of graph.inputs) w.messageField(11, valueInfoProto(input));
  for (const output of graph.outputs) w.messageField(12, valueInfoProto(output));
  return w;
}

function nodeProto(node: NodeInit): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.stringField(1, input);
  for (const output of node.outputs) w.stringField(2, output);
  return w.stringField(3, node.name).stringField(4, node.opType);
}

function tensorProto(tensor: TensorInit): ProtoWriter {
  const w = new ProtoWriter();
  // dims is `repeated int64` without [packed]: one field per dimension (parsers accept either form).
  for (const d of tensor.dims) w.varintField(1, d);
  return w.varintField(2, tensor.dataType).stringField(8, tensor.name).bytesField(9, tensor.rawData);
}

function valueInfoProto(value: ValueInfoInit): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of value.shape) {
    shape.messageField(1, typeof dim === 'number' ? new ProtoWriter().varintField(1, dim) : new ProtoWriter().stringField(2, dim));
  }
  const tensorType = new ProtoWriter().varintField(1, value.elemType).messageField(2, shape);
  const type = new ProtoWriter().messageField(1, tensorType);
  return new ProtoWriter().stringField(1, value.name).messageField(2, type);
}

/** Elements as TensorProto.raw_data: little-endian whatever the host's byte order. */
export function rawData(values: ArrayLike<number>, dataType: TensorDataTypeCode): Uint8Array {
  const size = dataType === TensorDataType.DOUBLE ? 8 : 4;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (dataType === TensorDataType.DOUBLE) view.setFloat64(i * 8, values[i], true);
    else view.setFloat32(i * 4, values[i], true);
  }
  return out;
}
