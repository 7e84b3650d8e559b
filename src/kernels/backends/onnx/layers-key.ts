import { createHash } from 'node:crypto';
import type { MlpLayer } from '../../builtin/mlp.js';
import type { OnnxFloatType } from './mlp-model.js';

/**
 * The session-cache key of an MLP: a SHA-256 of its shapes, activations, element type and the bytes
 * of every weight. Hashing reads the weights once (far cheaper than building and loading a model),
 * and equal keys mean equal models, so a caller that passes the same weights in new arrays still
 * reuses its session, and one that changed a weight in place gets a new one.
 */
export function layersKey(layers: readonly MlpLayer[], inputs: number, dtype: OnnxFloatType): string {
  const hash = createHash('sha256');
  hash.update(`mlp ${dtype} inputs=${inputs} layers=${layers.length};`);
  for (const layer of layers) {
    hash.update(`${layer.activation} outputs=${layer.b.length} w=${layer.w.length};`);
    hash.update(bytesOf(layer.w));
    hash.update(bytesOf(layer.b));
  }
  return hash.digest('hex');
}

function bytesOf(values: Float64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
