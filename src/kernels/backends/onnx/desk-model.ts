import type { MlpLayer } from '../../builtin/mlp.js';
import { randomNormals } from '../../builtin/samples.js';

/**
 * The desk ML engine's model: a small MLP from 8 features of the recent tape to the probability
 * that the next move is up (8 -> 16 relu -> 8 relu -> 1 sigmoid). Its weights are drawn from fixed
 * seeds, so the network is the same everywhere: tools/make-model.ts writes it to models/desk-mlp.onnx
 * (byte for byte the same each time), and tests run these same layers through the js mlp kernel to
 * check what ONNX Runtime makes of the file.
 */
export const DESK_MODEL_FEATURES = 8;
/** The model file, relative to the package root. */
export const DESK_MODEL_FILE = 'models/desk-mlp.onnx';
/** The element type of the model file: float32, which every execution provider takes (CoreML takes nothing else). */
export const DESK_MODEL_DTYPE = 'float32';

export function deskModelLayers(): MlpLayer[] {
  return [layer(DESK_MODEL_FEATURES, 16, 'relu', 11), layer(16, 8, 'relu', 21), layer(8, 1, 'sigmoid', 31)];
}

/**
 * Weights scaled by sqrt(2 / inputs) (He initialisation, for ReLU layers) so that activations keep
 * their scale through the layers and the output is not pinned at 0 or 1; small biases.
 */
function layer(inputs: number, outputs: number, activation: MlpLayer['activation'], seed: number): MlpLayer {
  return { w: randomNormals(inputs * outputs, seed, Math.sqrt(2 / inputs)), b: randomNormals(outputs, seed + 1, 0.1), activation };
}
