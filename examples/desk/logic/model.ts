// The desk model's forward pass in plain JS, for whoever needs its numbers without the kernel pool
// (the backtest, for runs that repeat to the bit). The layers are given (deskModelLayers() from
// dualbus), so this file stays free of the runtime.

export interface DenseLayer {
  /** inputs x outputs, row-major. */
  w: ArrayLike<number>;
  /** One per output. */
  b: ArrayLike<number>;
  activation: 'relu' | 'sigmoid' | 'linear';
}

/**
 * rows x inputs in, rows x (last layer's outputs) out: act(x w + b) layer by layer, in f64, summing
 * in the order of the mlp kernel's js core (bias first, then input by input), so the two agree to
 * the bit; the ONNX file (float32 weights) agrees within about 1e-7.
 */
export function forward(layers: readonly DenseLayer[], x: ArrayLike<number>, rows: number): Float64Array {
  if (layers.length === 0) throw new RangeError('forward: no layers');
  if (rows <= 0 || x.length % rows !== 0) throw new RangeError(`forward: x has ${x.length} numbers, not a multiple of rows = ${rows}`);
  let current: ArrayLike<number> = x;
  let inputs = x.length / rows;
  for (const [l, layer] of layers.entries()) {
    const outputs = layer.b.length;
    if (layer.w.length !== inputs * outputs) throw new RangeError(`forward: layers[${l}].w has ${layer.w.length} numbers; expected ${inputs} x ${outputs}`);
    const out = new Float64Array(rows * outputs);
    for (let r = 0; r < rows; r++) {
      const o = r * outputs;
      for (let j = 0; j < outputs; j++) out[o + j] = layer.b[j];
      for (let p = 0; p < inputs; p++) {
        const xrp = current[r * inputs + p];
        for (let j = 0; j < outputs; j++) out[o + j] += xrp * layer.w[p * outputs + j];
      }
      for (let j = o; j < o + outputs; j++) out[j] = activate(layer.activation, out[j]);
    }
    current = out;
    inputs = outputs;
  }
  return current as Float64Array;
}

function activate(activation: DenseLayer['activation'], v: number): number {
  if (activation === 'relu') return v < 0 ? 0 : v;
  if (activation === 'sigmoid') return 1 / (1 + Math.exp(-v));
  return v;
}
