import { reasonOf } from '../accelerator.js';
import { MLP_INPUT, MLP_OUTPUT, mlpModelBytes } from './mlp-model.js';
import type { Ort } from './ort-module.js';
import { cudaHint, executionProvider, type ExecutionProvider, type OnnxOptions } from './providers.js';

/** What opening a provider gave: the one that runs, and why the one asked for does not where they differ. */
export type ProviderChoice = { ok: true; provider: ExecutionProvider; fallback: string | undefined } | { ok: false; reason: string };

/** How long one probe may take (a CUDA context takes a few seconds to create; nothing should take this long). */
const PROBE_TIMEOUT_MS = 20_000;

// Warned reasons of this thread, so that a fallback is logged once however often it is opened.
const warned = new Set<string>();

/**
 * The provider asked for, proved by a real run of a tiny model; where it cannot run (its library
 * missing, no device, another platform's provider), the CPU provider with the reason, logged once.
 * Never throws: if not even the CPU provider runs, `{ ok: false, reason }`.
 */
export async function openProvider(ort: Ort, options: OnnxOptions, specifier: string): Promise<ProviderChoice> {
  const wanted = executionProvider(options);
  let fallback: string | undefined;
  if (wanted.name !== 'cpu') {
    try {
      await probe(ort, wanted);
      return { ok: true, provider: wanted, fallback: undefined };
    } catch (err) {
      fallback = `${wanted.name} unavailable: ${reasonOf(err)}${wanted.name === 'cuda' ? cudaHint(specifier) : ''}`;
      if (!warned.has(fallback)) {
        warned.add(fallback);
        console.warn(`dualbus: the onnx backend runs on ONNX Runtime's cpu provider: ${fallback}`);
      }
    }
  }
  const cpu = executionProvider({ executionProvider: 'cpu' });
  try {
    await probe(ort, cpu);
  } catch (err) {
    return { ok: false, reason: `ONNX Runtime's cpu provider failed a test run: ${reasonOf(err)}${fallback === undefined ? '' : `; ${fallback}`}` };
  }
  return { ok: true, provider: cpu, fallback };
}

/**
 * Creates a session of a one-layer network on the provider and checks its answer: x = [1, 1],
 * w = [[1, 2], [3, 4]], b = [0.5, -0.5] gives relu(x w + b) = [4.5, 5.5], exact in float32 too.
 */
async function probe(ort: Ort, provider: ExecutionProvider): Promise<void> {
  const layers = [{ w: Float64Array.of(1, 2, 3, 4), b: Float64Array.of(0.5, -0.5), activation: 'relu' as const }];
  const bytes = mlpModelBytes(layers, { inputs: 2, dtype: provider.dtype });
  const run = async (): Promise<void> => {
    const session = await ort.InferenceSession.create(bytes, { executionProviders: [provider.config], intraOpNumThreads: 1 });
    try {
      const x = provider.dtype === 'float64' ? Float64Array.of(1, 1) : Float32Array.of(1, 1);
      const result = await session.run({ [MLP_INPUT]: new ort.Tensor(provider.dtype, x, [1, 2]) });
      const y = Array.from(result[MLP_OUTPUT].data as Float32Array | Float64Array);
      if (y.length !== 2 || y[0] !== 4.5 || y[1] !== 5.5) throw new Error(`a test model gave [${y.join(', ')}] where [4.5, 5.5] was expected`);
    } finally {
      await session.release();
    }
  };
  await withTimeout(run(), PROBE_TIMEOUT_MS, `a test run did not finish within ${PROBE_TIMEOUT_MS} ms`);
}

async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
