import type { MlpInput, MlpOutput } from '../../builtin/mlp.js';
import type { KernelContext } from '../../define.js';
import { BackendUnavailable } from '../../errors.js';
import { openAccelerator } from '../registry.js';
import { runMlp } from './backend.js';

/**
 * The mlp kernel on the onnx backend: the whole network as one ONNX model run by this thread's
 * ONNX Runtime (float64 on the cpu provider, float32 on cuda and coreml), its session made once per
 * set of weights. The input is one the mlp kernel validated.
 */
export async function mlpOnOnnx(input: MlpInput, ctx: KernelContext): Promise<MlpOutput> {
  const load = await openAccelerator('onnx'); // once per thread: the registry keeps it
  if (!load.ok) throw new BackendUnavailable(ctx.kernel, 'onnx', load.reason);
  const outputs = input.layers[input.layers.length - 1].b.length;
  const out = ctx.output('out', Float64Array, input.rows * outputs);
  await runMlp(input, out);
  return { out, outputs };
}
