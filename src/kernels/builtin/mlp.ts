import type { KernelContext } from '../define.js';
import { defineCoreKernel } from './core-kernel.js';
import { float64Array, oneOf, positiveInteger, requireObject } from './checks.js';
import { atLeast, randomNormals } from './samples.js';
import { mlpOnOnnx } from '../backends/onnx/mlp-kernel.js';

export type Activation = 'relu' | 'sigmoid' | 'linear';

/** One dense layer: outputs = b.length, w is (inputs x outputs) row-major, inputs = the previous layer's outputs. */
export interface MlpLayer {
  w: Float64Array;
  b: Float64Array;
  activation: Activation;
}

/** A forward pass of `rows` inputs x (rows x inputs, inputs = x.length / rows) through `layers`. */
export interface MlpInput {
  x: Float64Array;
  rows: number;
  layers: readonly MlpLayer[];
}

/** out is rows x outputs, outputs the last layer's width. */
export interface MlpOutput {
  out: Float64Array;
  outputs: number;
}

const ACTIVATIONS: readonly Activation[] = ['linear', 'relu', 'sigmoid'];
/** The code the `dense` core takes for each activation (cores.ts). */
const ACTIVATION_CODE: Record<Activation, number> = { linear: 0, relu: 1, sigmoid: 2 };

function validateMlp(input: unknown, ctx: KernelContext): asserts input is MlpInput {
  const o = requireObject(ctx, input, '{ x, rows, layers }');
  const rows = positiveInteger(ctx, 'rows', o.rows);
  const x = float64Array(ctx, 'x', o.x);
  if (x.length === 0 || x.length % rows !== 0) ctx.reject('x', `a non-empty Float64Array whose length is a multiple of rows (${rows})`, x);
  if (!Array.isArray(o.layers) || o.layers.length === 0) ctx.reject('layers', 'a non-empty array of { w, b, activation }', o.layers);
  let inputs = x.length / rows;
  o.layers.forEach((layer: unknown, i: number) => {
    const name = `layers[${i}]`;
    if (typeof layer !== 'object' || layer === null) ctx.reject(name, 'an object { w, b, activation }', layer);
    const l = layer as Record<string, unknown>;
    const b = float64Array(ctx, `${name}.b`, l.b);
    if (b.length === 0) ctx.reject(`${name}.b`, 'a non-empty Float64Array (one bias per output)', b);
    float64Array(ctx, `${name}.w`, l.w, inputs * b.length, `inputs x outputs = ${inputs} x ${b.length}, outputs = b.length`);
    oneOf(ctx, `${name}.activation`, l.activation, ACTIVATIONS);
    inputs = b.length;
  });
}

async function mlp({ x, rows, layers }: MlpInput, ctx: KernelContext): Promise<MlpOutput> {
  // Intermediate activations are plain arrays of this thread; only the last layer writes the output.
  let current = x;
  let inputs = x.length / rows;
  for (const [i, layer] of layers.entries()) {
    const outputs = layer.b.length;
    const next = i === layers.length - 1 ? ctx.output('out', Float64Array, rows * outputs) : new Float64Array(rows * outputs);
    await ctx.cores.dense(current, layer.w, layer.b, rows, inputs, outputs, ACTIVATION_CODE[layer.activation], next);
    current = next;
    inputs = outputs;
  }
  return { out: current, outputs: inputs };
}

function mlpSize({ x, rows, layers }: MlpInput): number {
  let inputs = x.length / rows;
  let work = 0;
  for (const layer of layers) {
    work += rows * inputs * layer.b.length;
    inputs = layer.b.length;
  }
  return work;
}

export const mlpKernel = defineCoreKernel<MlpInput, MlpOutput>({
  name: 'mlp',
  description: 'Forward pass of a dense network: layers of act(x w + b), activations relu, sigmoid or linear',
  validate: validateMlp,
  run: mlp,
  uses: ['dense'],
  onnx: mlpOnOnnx,
  size: mlpSize,
  sample(size) {
    // Two 32-wide layers: the work is about rows * 32 * 32 * 2.
    const width = 32;
    const rows = atLeast(1, size / (2 * width * width));
    const layer = (seed: number, activation: Activation): MlpLayer => ({ w: randomNormals(width * width, seed, 0.2), b: randomNormals(width, seed + 1, 0.1), activation });
    return { x: randomNormals(rows * width, 1), rows, layers: [layer(2, 'relu'), layer(4, 'sigmoid')] };
  },
});
