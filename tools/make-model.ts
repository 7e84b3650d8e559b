// Writes the desk ML engine's model, models/desk-mlp.onnx: the network of deskModelLayers()
// (weights from fixed seeds) as ONNX bytes. Deterministic: running it again gives the same file, which
// test/kernels-onnx.test.ts checks. Run after `npm run build`:
//   node dist/tools/make-model.js [outFile]     (default: models/desk-mlp.onnx in the package root)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DESK_MODEL_DTYPE, DESK_MODEL_FEATURES, DESK_MODEL_FILE, deskModelLayers } from '../src/kernels/backends/onnx/desk-model.js';
import { mlpModelBytes } from '../src/kernels/backends/onnx/mlp-model.js';

// This file runs as dist/tools/make-model.js: the package root is two directories up.
const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
const outFile = process.argv[2] !== undefined ? resolve(process.argv[2]) : resolve(packageRoot, DESK_MODEL_FILE);

const bytes = mlpModelBytes(deskModelLayers(), { inputs: DESK_MODEL_FEATURES, dtype: DESK_MODEL_DTYPE });
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, bytes);
console.log(`wrote ${outFile} (${bytes.length} bytes)`);
