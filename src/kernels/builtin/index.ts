import type { KernelDefinition } from '../define.js';
import { factorsKernel } from './factors.js';
import { matmulKernel } from './matmul.js';
import { modelOnnxKernel } from './model-onnx.js';
import { mlpKernel } from './mlp.js';
import { varHistoricalKernel } from './var-historical.js';
import { varMonteCarloKernel } from './var-montecarlo.js';
import { varParametricKernel } from './var-parametric.js';
import { vpinIncrementalKernel, vpinKernel } from './vpin.js';

/** The kernels every kernel pool registers before any of the application's own. */
export const BUILTIN_KERNELS: readonly KernelDefinition[] = [
  matmulKernel,
  mlpKernel,
  varHistoricalKernel,
  varParametricKernel,
  varMonteCarloKernel,
  factorsKernel,
  vpinKernel,
  vpinIncrementalKernel,
  modelOnnxKernel,
];

export { createVpinState, vpinStateLength } from './vpin.js';
