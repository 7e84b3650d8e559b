/**
 * What a pool thread knows and does, for both ways a call reaches it (a piscina task from the host,
 * a call on an actor's lane): the kernels (built in, or imported once from the user module that
 * defines them), the backends' cores (each loads once per thread: backends/registry.ts), and running one
 * call into an outcome object: errors cross back as data, with their code and argument.
 */
import { BUILTIN_KERNELS } from './builtin/index.js';
import { openBackend } from './backends/registry.js';
import { contextFor } from './context.js';
import { isKernelDefinition, type BackendName, type KernelDefinition } from './define.js';
import { BackendUnavailable, UnknownKernel, serializeKernelError } from './errors.js';
import { epochMs, type KernelOutcome } from './task.js';

const kernels = new Map<string, KernelDefinition>(BUILTIN_KERNELS.map((k) => [k.name, k]));
const modules = new Map<string, Promise<void>>();

/** The kernel named, importing `module` first when it is not known yet. */
export async function findKernel(name: string, module: string | undefined): Promise<KernelDefinition> {
  if (module !== undefined && !kernels.has(name)) await load(module);
  const def = kernels.get(name);
  if (def === undefined) throw new UnknownKernel(name, [...kernels.keys()]);
  return def;
}

/** Runs one call; never rejects. */
export async function execute(
  def: KernelDefinition,
  backend: BackendName,
  input: unknown,
  out: Record<string, ArrayBufferView> | undefined,
): Promise<KernelOutcome> {
  const startedAt = epochMs();
  try {
    const load = await openBackend(backend);
    if (!load.ok) throw new BackendUnavailable(def.name, backend, load.reason);
    const ctx = contextFor(def.name, backend, load.cores, out);
    def.validate?.(input, ctx);
    const impl = def[backend];
    if (impl === undefined) throw new BackendUnavailable(def.name, backend, 'the kernel has no implementation for it');
    const result = await impl(input, ctx);
    return { ok: true, result, startedAt, runMs: epochMs() - startedAt };
  } catch (err) {
    return failedOutcome(err, startedAt);
  }
}

export function failedOutcome(err: unknown, startedAt: number): KernelOutcome {
  return { ok: false, error: serializeKernelError(err), startedAt, runMs: epochMs() - startedAt };
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
