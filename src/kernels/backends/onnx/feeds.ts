import { describeValue } from '../../errors.js';
import type { InferenceSession } from './ort-module.js';

/** A model input's values, row-major, and its dimensions. */
export interface Feed {
  data: Float32Array | Float64Array;
  dims: readonly number[];
}
export type Feeds = Record<string, Feed>;

/** A model output: its values as float64 (shared where the kernel asked for it) and its dimensions. */
export interface ModelOutput {
  data: Float64Array;
  dims: number[];
}
export type ModelOutputs = Record<string, ModelOutput>;

/** The element types a feed may have, and that model inputs must have. */
export type FeedType = 'float32' | 'float64';

/**
 * A model file or its feeds do not fit: names the argument (`model`, `feeds.x`, `feeds.x.dims`),
 * what was expected and what was given, which the model.onnx kernel turns into its
 * KernelArgumentError.
 */
export class OnnxArgumentError extends Error {
  constructor(
    readonly argument: string,
    readonly expected: string,
    readonly given: unknown,
  ) {
    super(`argument '${argument}' must be ${expected}; got ${describeValue(given)}`);
    this.name = 'OnnxArgumentError';
  }
}

/** A feed on its own: a Float32Array or Float64Array and dimensions whose product is its length. */
export function checkFeed(name: string, feed: unknown): asserts feed is Feed {
  const argument = `feeds.${name}`;
  if (typeof feed !== 'object' || feed === null) throw new OnnxArgumentError(argument, 'an object { data, dims }', feed);
  const { data, dims } = feed as Record<string, unknown>;
  if (!(data instanceof Float32Array || data instanceof Float64Array)) throw new OnnxArgumentError(`${argument}.data`, 'a Float32Array or Float64Array', data);
  if (!Array.isArray(dims) || !dims.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new OnnxArgumentError(`${argument}.dims`, 'an array of non-negative integers', dims);
  const count = dims.reduce((n: number, d: number) => n * d, 1);
  if (count !== data.length) throw new OnnxArgumentError(`${argument}.dims`, `dimensions whose product is data.length (${data.length})`, `[${dims.join(', ')}] (product ${count})`);
}

/**
 * Matches feeds to the model's inputs: one feed per input, no others, float inputs only, and
 * dimensions that fit the input's shape (its rank, and its fixed sizes; named sizes are free).
 * Returns each input's element type.
 */
export function matchFeeds(inputs: readonly InferenceSession.ValueMetadata[], feeds: Feeds): Map<string, FeedType> {
  const types = new Map<string, FeedType>();
  const names = inputs.map((input) => input.name);
  for (const name of Object.keys(feeds)) {
    if (!names.includes(name)) throw new OnnxArgumentError(`feeds.${name}`, `named after one of the model's inputs (${names.map((n) => `'${n}'`).join(', ')})`, name);
  }
  for (const input of inputs) {
    const feed = feeds[input.name];
    if (!input.isTensor) throw new OnnxArgumentError('model', 'a model whose inputs are tensors', `input '${input.name}', which is not a tensor`);
    const shape = `[${input.shape.join(', ')}]`;
    if (feed === undefined) throw new OnnxArgumentError(`feeds.${input.name}`, `a feed for the model's input '${input.name}' (${input.type} ${shape})`, undefined);
    checkFeed(input.name, feed);
    if (input.type !== 'float32' && input.type !== 'float64') throw new OnnxArgumentError('model', 'a model whose inputs are float32 or float64 tensors', `input '${input.name}' of type ${input.type}`);
    if (!fitsShape(feed.dims, input.shape)) throw new OnnxArgumentError(`feeds.${input.name}.dims`, `dimensions that fit the model's input shape ${shape}`, `[${feed.dims.join(', ')}]`);
    types.set(input.name, input.type);
  }
  return types;
}

/**
 * A feed's values as the tensor data ORT takes: the model's element type (float64 feeds of a
 * float32 input are rounded), on an ordinary ArrayBuffer (the Node binding rejects typed arrays
 * on a SharedArrayBuffer, which is what kernel inputs usually are), copied only where needed.
 */
export function tensorData(data: Float32Array | Float64Array, type: FeedType): Float32Array | Float64Array {
  const shared = data.buffer instanceof SharedArrayBuffer;
  if (type === 'float32') return data instanceof Float32Array && !shared ? data : Float32Array.from(data);
  return data instanceof Float64Array && !shared ? data : Float64Array.from(data);
}

/** Copies a numeric output tensor's values into `out` as float64 (int64 through Number: exact below 2^53). */
export function copyOutput(name: string, data: unknown, out: Float64Array): void {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  } else if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    out.set(data as unknown as ArrayLike<number>);
  } else {
    throw new OnnxArgumentError('model', 'a model whose outputs are numeric tensors', `output '${name}' of ${describeValue(data)}`);
  }
}

function fitsShape(dims: readonly number[], shape: readonly (number | string)[]): boolean {
  if (shape.length === 0) return true; // ORT reports an unknown shape as []
  if (dims.length !== shape.length) return false;
  // A fixed size is a non-negative number; a named one (a string) or -1 takes any size.
  return shape.every((size, i) => typeof size !== 'number' || size < 0 || size === dims[i]);
}
