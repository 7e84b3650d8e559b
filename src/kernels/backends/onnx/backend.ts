/**
 * The onnx accelerator: ONNX Runtime (onnxruntime-node) in each pool thread. It runs no numeric
 * core on a device (its cores are the CPU's); kernels run whole models through inference sessions
 * instead: the mlp kernel its network (built as an ONNX model), model.onnx a model file.
 *
 * Precision by execution provider: cpu builds float64 models (ORT's CPU provider has double Gemm,
 * Relu and Sigmoid kernels), which match the JS reference to rounding; cuda and coreml build
 * float32 models (inputs rounded to float32 on upload; CoreML's Neural Engine computes in float16).
 * A model file runs in whatever element type it was saved with (feeds are converted to it).
 */
import type { NumericCores } from '../../cores.js';
import type { ResolvedAcceleratorOptions } from '../../options.js';
import type { MlpInput } from '../../builtin/mlp.js';
import { reasonOf, withCpuFallback, type AcceleratorLoad } from '../accelerator.js';
import { openAccelerator } from '../registry.js';
import type { Feeds, ModelOutputs } from './feeds.js';
import { DEFAULT_ORT_MODULE, ORT_MODULE_ENV, importOrt, ortModuleSpecifier, ortVersion, type Ort } from './ort-module.js';
import { openProvider } from './provider-probe.js';
import { checkOnnxOptions, type OnnxOptions } from './providers.js';
import { OnnxRuntime, type OutputAllocator } from './runtime.js';

export type { CoreMlOptions, ExecutionProviderName, OnnxOptions } from './providers.js';
export { OnnxArgumentError, type Feed, type Feeds, type ModelOutput, type ModelOutputs } from './feeds.js';

let options: OnnxOptions = {};

/** The runtime behind each load this module gave (the registry holds the load; kernels need the runtime). */
const runtimes = new WeakMap<AcceleratorLoad, OnnxRuntime>();

/**
 * Sets how `open` starts ONNX Runtime in this thread (the pool thread calls it before opening the
 * backend): the execution provider (default 'cpu') and CoreML's settings (see CoreMlOptions in
 * providers.ts for which let the Neural Engine run). Takes effect at the next open.
 */
export function configureOnnx(given: OnnxOptions): void {
  checkOnnxOptions(given);
  options = { ...given, coreml: given.coreml === undefined ? undefined : { ...given.coreml } };
}

/**
 * Loads onnxruntime-node (or the module DUALBUS_ONNX_MODULE names), starts the configured provider
 * (falling back to cpu with the reason), and proves it with a tiny real session. Never throws.
 */
export async function open(cpu: NumericCores, resolved?: ResolvedAcceleratorOptions): Promise<AcceleratorLoad> {
  if (resolved !== undefined) configureOnnx(resolved.onnx); // the pool's kernels.accelerators.onnx
  const specifier = ortModuleSpecifier();
  let ort: Ort;
  try {
    ort = await importOrt(specifier);
  } catch (err) {
    const named = specifier === DEFAULT_ORT_MODULE ? '' : ` (named by ${ORT_MODULE_ENV})`;
    return { ok: false, reason: `ONNX Runtime did not load: the module '${specifier}'${named} failed to import: ${reasonOf(err)}` };
  }
  const choice = await openProvider(ort, options, specifier);
  if (!choice.ok) return choice;
  const device = `onnxruntime ${ortVersion(ort)} (${choice.provider.label}${choice.fallback === undefined ? '' : `; ${choice.fallback}`})`;
  const runtime = new OnnxRuntime(ort, choice.provider, device);
  const load: AcceleratorLoad = { ok: true, cores: withCpuFallback(cpu, {}), device, profile: () => runtime.profile(), close: () => runtime.close() };
  runtimes.set(load, runtime);
  return load;
}

/**
 * Runs an MLP (an input the mlp kernel validated) on this thread's onnx backend, writing rows x
 * outputs into `out`. The network's session is made once per set of weights and reused.
 */
export async function runMlp(input: MlpInput, out: Float64Array): Promise<void> {
  await (await threadRuntime()).runMlp(input, out);
}

/**
 * Runs the ONNX model file at `path` (absolute, or relative to the working directory) on `feeds`;
 * outputs come back as float64 (in arrays from `allocate`, new ones by default). Sessions are kept
 * by path. Throws an OnnxArgumentError naming `model` or a feed that does not fit.
 */
export async function runModelFile(path: string, feeds: Feeds, allocate?: OutputAllocator): Promise<ModelOutputs> {
  return (await threadRuntime()).runModelFile(path, feeds, allocate);
}

/** Inference sessions this thread's onnx backend has created, and holds now. */
export async function onnxSessionStats(): Promise<{ created: number; held: number }> {
  return (await threadRuntime()).stats();
}

/** The runtime of this thread's onnx backend, opened through the registry (once per thread). */
async function threadRuntime(): Promise<OnnxRuntime> {
  const load = await openAccelerator('onnx');
  if (!load.ok) throw new Error(`the onnx backend is unavailable: ${load.reason}`);
  const runtime = runtimes.get(load);
  if (runtime === undefined) throw new Error('the onnx backend was opened by another copy of its module (the registry and this module must load the same file)');
  return runtime;
}
