import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { InferenceSession } from './ort-module.js';
import type { OnnxFloatType } from './mlp-model.js';

/** ONNX Runtime's execution providers this backend can be asked for. */
export type ExecutionProviderName = 'cpu' | 'cuda' | 'coreml';
export const EXECUTION_PROVIDERS: readonly ExecutionProviderName[] = ['cpu', 'cuda', 'coreml'];

export type CoreMlComputeUnits = 'ALL' | 'CPUAndNeuralEngine' | 'CPUAndGPU' | 'CPUOnly';
export type CoreMlModelFormat = 'MLProgram' | 'NeuralNetwork';

/**
 * CoreML and the Apple Neural Engine with onnxruntime-node 1.30.
 *
 * The Node binding configures CoreML through one option only, `coreMlFlags`: the bit flags of the
 * (deprecated since 1.20) OrtSessionOptionsAppendExecutionProvider_CoreML. Its session-options
 * parser (js/node/src/session_options_helper.cc) reads no other CoreML key, so the string provider
 * options of the C, C++, Python, C# and Java APIs (MLComputeUnits, ModelFormat,
 * RequireStaticInputShapes) cannot be passed from Node. ORT maps each of those strings to one of
 * the flags (onnxruntime/core/providers/coreml/coreml_options.cc), so this backend takes the
 * documented names and passes the flags:
 *
 *   computeUnits 'ALL'                (no flag)     CPU, GPU and Neural Engine: Core ML picks per layer
 *   computeUnits 'CPUAndNeuralEngine' (0x004, COREML_FLAG_ONLY_ENABLE_DEVICE_WITH_ANE)
 *                                                   CPU and Neural Engine, never the GPU; session
 *                                                   creation fails on a Mac without a Neural Engine
 *   computeUnits 'CPUAndGPU'          (0x020, COREML_FLAG_USE_CPU_AND_GPU)   never the Neural Engine
 *   computeUnits 'CPUOnly'            (0x001, COREML_FLAG_USE_CPU_ONLY)      reference results
 *   modelFormat 'MLProgram'           (0x010, COREML_FLAG_CREATE_MLPROGRAM)  Core ML 5+ (macOS 12+)
 *   modelFormat 'NeuralNetwork'       (no flag)     the older format, ORT's default
 *   requireStaticInputShapes          (0x008, COREML_FLAG_ONLY_ALLOW_STATIC_INPUT_SHAPES)
 *
 * For the Neural Engine: computeUnits 'ALL' (Core ML decides) or 'CPUAndNeuralEngine' (keeps the
 * GPU out, so the ANE is Core ML's only accelerator), modelFormat 'MLProgram', and float32 models
 * (the CoreML provider takes no float64 tensors, so this backend builds float32 models for it; the
 * ANE itself computes in float16: expect about 1e-3 relative error). No setting forces a layer onto
 * the ANE: Core ML places each layer itself and keeps on the CPU or GPU what the ANE cannot run,
 * which generally includes layers with unbounded dimensions (this backend's models leave the batch
 * dimension 'rows' free; with requireStaticInputShapes the CoreML provider declines such nodes and
 * ORT's CPU provider runs them). Defaults here: 'ALL', 'MLProgram', shapes not required static.
 * Not exercised on this project's Linux machines: the Linux binding has no CoreML provider, and
 * asking for it there falls back to cpu with ORT's reason.
 */
export interface CoreMlOptions {
  computeUnits?: CoreMlComputeUnits;
  modelFormat?: CoreMlModelFormat;
  requireStaticInputShapes?: boolean;
}

/** How the onnx backend of a pool thread opens: `configureOnnx(options)` before `open`. */
export interface OnnxOptions {
  /**
   * 'cpu' (default; float64 models), 'cuda' (Linux x64 with CUDA 12 and cuDNN 9, once
   * onnxruntime-node's install script has fetched its CUDA provider; float32 models), 'coreml'
   * (macOS; float32 models). One that cannot start falls back to 'cpu', with the reason in the
   * device string and logged once.
   */
  executionProvider?: ExecutionProviderName;
  coreml?: CoreMlOptions;
}

/** The provider a backend runs on: what ORT is given, and the element type of the models built for it. */
export interface ExecutionProvider {
  name: ExecutionProviderName;
  config: InferenceSession.ExecutionProviderConfig;
  /**
   * float64 on the CPU provider, which has double Gemm, Relu and Sigmoid kernels and so matches the
   * JS reference to rounding; float32 where the device wants it (CoreML takes float only; a GPU's
   * double throughput is a small fraction of its float throughput).
   */
  dtype: OnnxFloatType;
  /** The provider as the device string shows it. */
  label: string;
}

const COREML_FLAG = {
  USE_CPU_ONLY: 0x001,
  ONLY_ENABLE_DEVICE_WITH_ANE: 0x004,
  ONLY_ALLOW_STATIC_INPUT_SHAPES: 0x008,
  CREATE_MLPROGRAM: 0x010,
  USE_CPU_AND_GPU: 0x020,
} as const;

const COMPUTE_UNIT_FLAG: Record<CoreMlComputeUnits, number> = {
  ALL: 0,
  CPUAndNeuralEngine: COREML_FLAG.ONLY_ENABLE_DEVICE_WITH_ANE,
  CPUAndGPU: COREML_FLAG.USE_CPU_AND_GPU,
  CPUOnly: COREML_FLAG.USE_CPU_ONLY,
};

export const COREML_DEFAULTS: Required<CoreMlOptions> = Object.freeze({ computeUnits: 'ALL', modelFormat: 'MLProgram', requireStaticInputShapes: false });

/** Checks options given to configureOnnx; throws a TypeError naming the wrong one. */
export function checkOnnxOptions(options: OnnxOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('configureOnnx: expected an object { executionProvider?, coreml? }');
  const ep = options.executionProvider;
  if (ep !== undefined && !EXECUTION_PROVIDERS.includes(ep)) throw new TypeError(`configureOnnx: executionProvider must be one of ${EXECUTION_PROVIDERS.join(', ')}; got ${String(ep)}`);
  const coreml = options.coreml;
  if (coreml === undefined) return;
  if (coreml.computeUnits !== undefined && !(coreml.computeUnits in COMPUTE_UNIT_FLAG)) throw new TypeError(`configureOnnx: coreml.computeUnits must be one of ${Object.keys(COMPUTE_UNIT_FLAG).join(', ')}; got ${String(coreml.computeUnits)}`);
  if (coreml.modelFormat !== undefined && coreml.modelFormat !== 'MLProgram' && coreml.modelFormat !== 'NeuralNetwork') throw new TypeError(`configureOnnx: coreml.modelFormat must be 'MLProgram' or 'NeuralNetwork'; got ${String(coreml.modelFormat)}`);
  if (coreml.requireStaticInputShapes !== undefined && typeof coreml.requireStaticInputShapes !== 'boolean') throw new TypeError('configureOnnx: coreml.requireStaticInputShapes must be a boolean');
}

/** The CoreML options as the Node binding's `coreMlFlags`. */
export function coreMlFlags(options: CoreMlOptions = {}): number {
  const o = { ...COREML_DEFAULTS, ...options };
  let flags = COMPUTE_UNIT_FLAG[o.computeUnits];
  if (o.modelFormat === 'MLProgram') flags |= COREML_FLAG.CREATE_MLPROGRAM;
  if (o.requireStaticInputShapes) flags |= COREML_FLAG.ONLY_ALLOW_STATIC_INPUT_SHAPES;
  return flags;
}

export function executionProvider(options: OnnxOptions): ExecutionProvider {
  const name = options.executionProvider ?? 'cpu';
  switch (name) {
    case 'cpu':
      return { name, config: 'cpu', dtype: 'float64', label: 'cpu' };
    case 'cuda':
      return { name, config: { name: 'cuda', deviceId: 0 }, dtype: 'float32', label: 'cuda' };
    case 'coreml': {
      const o = { ...COREML_DEFAULTS, ...options.coreml };
      const label = `coreml: ${o.computeUnits}, ${o.modelFormat}${o.requireStaticInputShapes ? ', static shapes' : ''}`;
      return { name, config: { name: 'coreml', coreMlFlags: coreMlFlags(o) }, dtype: 'float32', label };
    }
  }
}

/**
 * What to add to ORT's "Failed to load shared library" when the CUDA provider was asked for: the
 * npm package ships the CPU provider only, and its install script (which downloads the CUDA
 * provider libraries) may not have run.
 */
export function cudaHint(specifier: string): string {
  try {
    const entry = createRequire(import.meta.url).resolve(specifier);
    const dir = join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
    const library = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    if (existsSync(dir) && !existsSync(join(dir, library))) return ` (${library} is not in ${dir}: onnxruntime-node's install script, which downloads the CUDA provider, did not run)`;
  } catch {
    // a module that is not the npm package: nothing to add
  }
  return '';
}
