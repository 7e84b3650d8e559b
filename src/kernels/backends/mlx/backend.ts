import type { BackendCores, NumericCores } from '../../cores.js';
import { reasonOf, withCpuFallback, type AcceleratorLoad } from '../accelerator.js';
import { CallProfiler } from './call-profile.js';
import { whyNoCpuJit } from './cpu-jit.js';
import { loadMlx } from './library.js';
import type { Mlx } from './mlx-types.js';
import { linearCores } from './linear-cores.js';
import { MonteCarloCore } from './montecarlo-core.js';

export { MLX_MODULE_ENV } from './library.js';

/**
 * The mlx backend of this pool thread: MLX (@frost-beta/mlx) on its default device, Metal on Apple
 * silicon and the CPU elsewhere, in float32 (MLX has no float64). It runs ACCELERATED_CORES.mlx on
 * that device and takes the other cores from `cpu`. Never throws: a missing package, binding,
 * system library or C++ compiler gives `{ ok: false, reason }`.
 */
export async function open(cpu: NumericCores): Promise<AcceleratorLoad> {
  const loaded = await loadMlx();
  if (!loaded.ok) return loaded;
  const { mx, specifier } = loaded;
  let device: string;
  try {
    device = firstComputation(mx);
  } catch (err) {
    return { ok: false, reason: `the module '${specifier}' loaded but MLX could not compute on its default device: ${reasonOf(err)}` };
  }
  if (mx.defaultDevice().type === mx.cpu) {
    const noJit = whyNoCpuJit();
    if (noJit !== undefined) return { ok: false, reason: noJit };
  }

  const profiler = new CallProfiler();
  const linear = linearCores(mx, cpu, profiler);
  const montecarlo = new MonteCarloCore(mx, cpu, profiler);
  let closed = false;
  const unlessClosed =
    <A extends unknown[]>(core: (...args: A) => void) =>
    (...args: A): void => {
      if (closed) throw new Error('the mlx backend is closed');
      core(...args);
    };
  // Synchronous: MLX's eval blocks this thread until the device is done (on the CPU it is the
  // computation itself), so a promise would only defer the same work.
  const deviceCores: Partial<BackendCores> = {
    matmul: unlessClosed(linear.matmul),
    dense: unlessClosed(linear.dense),
    portfolioPnl: unlessClosed(linear.portfolioPnl),
    covariance: unlessClosed(linear.covariance),
    montecarloPnl: unlessClosed((...args: Parameters<NumericCores['montecarloPnl']>) => montecarlo.montecarloPnl(...args)),
  };
  return {
    ok: true,
    cores: withCpuFallback(cpu, deviceCores),
    device: `mlx ${device}`,
    profile: () => profiler.take(),
    close: async () => {
      closed = true;
      montecarlo.close();
    },
  };
}

/** Proves the library computes (one tiny graph evaluated and read back); gives the device's name. */
function firstComputation(mx: Mlx): string {
  const sum = mx.add(mx.array([1, 2], mx.float32), mx.array([3, 4], mx.float32));
  mx.eval(sum);
  const values = sum.tolist() as number[];
  if (values[0] !== 4 || values[1] !== 6) throw new Error(`1 + 3 and 2 + 4 gave ${JSON.stringify(values)}`);
  return String(mx.defaultDevice());
}
