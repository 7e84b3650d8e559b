import type { CoreName } from '../cores.js';
import { defineKernel, type KernelDefinition, type KernelImpl, type KernelSpec } from '../define.js';
import { ACCELERATED_CORES } from '../backends/accelerated.js';

/**
 * A built-in kernel written once against `ctx.cores`: the js backend runs it with the JS loops, the
 * native backend with the addon's, and an accelerator (webgpu, mlx) with its device's cores where
 * it has any of the cores the kernel `uses` (the code around the loops is the same on all); `onnx`,
 * which runs whole models rather than cores, is the kernel's own.
 */
export function defineCoreKernel<I, O>(spec: Omit<KernelSpec<I, O>, 'js' | 'native' | 'webgpu' | 'mlx' | 'onnx'> & { run: KernelImpl<I, O>; uses: readonly CoreName[]; onnx?: KernelImpl<I, O> }): KernelDefinition<I, O> {
  const { run, uses, onnx, ...rest } = spec;
  const on = (backend: keyof typeof ACCELERATED_CORES): KernelImpl<I, O> | undefined => (uses.some((core) => (ACCELERATED_CORES[backend] as readonly CoreName[]).includes(core)) ? run : undefined);
  return defineKernel<I, O>({ ...rest, js: run, native: run, webgpu: on('webgpu'), mlx: on('mlx'), onnx });
}
