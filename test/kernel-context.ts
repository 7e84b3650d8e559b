import { jsCores } from '../src/kernels/cores-js.js';
import type { KernelContext, KernelDefinition } from '../src/kernels/define.js';
import { KernelArgumentError, describeValue } from '../src/kernels/errors.js';

/**
 * A KernelContext like the one a pool thread gives, without the pool: the JS cores, a fresh array
 * for each output, and argument errors naming the kernel. For testing kernels' arithmetic directly.
 */
export function testContext(kernel: string): KernelContext {
  return {
    kernel,
    backend: 'js',
    cores: jsCores,
    output: (_name, type, length) => new type(length) as never,
    reject(argument, expected, given): never {
      throw new KernelArgumentError(kernel, argument, expected, describeValue(given));
    },
  };
}

/** Validates `input` and runs the kernel's js implementation. */
export async function runKernel<I, O>(kernel: KernelDefinition<I, O>, input: unknown): Promise<O> {
  return startKernel(kernel, input);
}

/** The same for a kernel that answers synchronously (vpin), inside synchronous property checks. */
export function runKernelSync<I, O>(kernel: KernelDefinition<I, O>, input: unknown): O {
  const result = startKernel(kernel, input);
  if (result instanceof Promise) throw new Error(`runKernelSync: kernel '${kernel.name}' answered a Promise; use runKernel`);
  return result;
}

function startKernel<I, O>(kernel: KernelDefinition<I, O>, input: unknown): O | Promise<O> {
  const ctx = testContext(kernel.name);
  const validate: ((input: unknown, ctx: KernelContext) => void) | undefined = kernel.validate; // called plainly, not as an assertion
  validate?.(input, ctx);
  return kernel.js(input as I, ctx);
}
