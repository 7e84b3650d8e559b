import { defineKernel, type KernelDefinition, type KernelImpl, type KernelSpec } from '../define.js';

/**
 * A built-in kernel written once against `ctx.cores`: the js backend runs it with the JS loops, the
 * native backend with the addon's (the code around the loops is the same on both).
 */
export function defineCoreKernel<I, O>(spec: Omit<KernelSpec<I, O>, 'js' | 'native'> & { run: KernelImpl<I, O> }): KernelDefinition<I, O> {
  const { run, ...rest } = spec;
  return defineKernel<I, O>({ ...rest, js: run, native: run });
}
