/**
 * The module every kernel-pool thread runs (piscina calls the default export once per task). It
 * finds the kernel (built in, or from the user module the task names, imported once per thread),
 * opens the backend's cores (the native addon loads once per thread), checks the input, runs the
 * kernel and answers an outcome object: errors cross back as data, with their code and argument.
 */
import { BUILTIN_KERNELS } from './builtin/index.js';
import { loadNativeCores } from './backends/native.js';
import { jsCores } from './cores-js.js';
import type { NumericCores } from './cores.js';
import { isKernelDefinition, type BackendName, type KernelDefinition } from './define.js';
import { BackendUnavailable, UnknownKernel, serializeKernelError } from './errors.js';
import { contextFor } from './context.js';
import { epochMs, type KernelOutcome, type KernelTask } from './task.js';

const kernels = new Map<string, KernelDefinition>(BUILTIN_KERNELS.map((k) => [k.name, k]));
const modules = new Map<string, Promise<void>>();

export default async function runKernel(task: KernelTask): Promise<KernelOutcome> {
  const startedAt = epochMs();
  try {
    const def = await find(task);
    const ctx = contextFor(task.kernel, task.backend, coresOf(task.backend, task.kernel), task.out);
    def.validate?.(task.input, ctx);
    const impl = task.backend === 'native' ? def.native : def.js;
    if (impl === undefined) throw new BackendUnavailable(task.kernel, task.backend, 'the kernel has no implementation for it');
    const result = await impl(task.input, ctx);
    return { ok: true, result, startedAt, runMs: epochMs() - startedAt };
  } catch (err) {
    return { ok: false, error: serializeKernelError(err), startedAt, runMs: epochMs() - startedAt };
  }
}

async function find(task: KernelTask): Promise<KernelDefinition> {
  if (task.module !== undefined && !kernels.has(task.kernel)) await load(task.module);
  const def = kernels.get(task.kernel);
  if (def === undefined) throw new UnknownKernel(task.kernel, [...kernels.keys()]);
  return def;
}

function load(url: string): Promise<void> {
  let loading = modules.get(url);
  if (loading === undefined) {
    loading = import(url).then((mod: { default?: unknown }) => {
      if (!isKernelDefinition(mod.default)) throw new TypeError(`${url} must export default defineKernel({...})`);
      kernels.set(mod.default.name, mod.default);
    });
    modules.set(url, loading);
  }
  return loading;
}

function coresOf(backend: BackendName, kernel: string): NumericCores {
  if (backend === 'js') return jsCores;
  const native = loadNativeCores();
  if (!native.ok) throw new BackendUnavailable(kernel, 'native', native.reason);
  return native.cores;
}
