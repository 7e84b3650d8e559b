import type { BackendCores } from '../../cores.js';
import { reducedPortfolio } from '../../counter-rng.js';
import { columnMeans } from '../../builtin/var-input.js';
import type { GpuDevice } from './gpu-device.js';
import { COVARIANCE, DENSE, MONTECARLO_PNL, PORTFOLIO_PNL, ROLLING_MOMENTS, gridFor } from './shaders.js';

const F32 = 4;
const NO_BIAS = new Float32Array(1);

/**
 * The cores the webgpu backend runs on the GPU (ACCELERATED_CORES.webgpu), with the signatures of
 * cores.ts: f64 inputs go up as f32, results come back into the caller's f64 `out`. What is cheaper
 * or only exact in f64 stays on the CPU: the means that centre the covariance's rows, and v = L'w of
 * the Monte Carlo P&L (n^2 / 2 work against the paths' paths x n).
 */
export function webgpuCores(gpu: GpuDevice): Partial<BackendCores> {
  const dense = async (x: Float64Array, w: Float64Array, bias: Float64Array | undefined, m: number, k: number, n: number, activation: number, out: Float64Array): Promise<void> => {
    const wUp = f32(w, k * n);
    const biasUp = bias === undefined ? NO_BIAS : f32(bias, n);
    // Rows of x (and out) in chunks that fit a binding and a dispatch (65535 workgroups of 64 rows).
    for (const [from, rows] of rowChunks(gpu, m, Math.max(k, n) * F32, 65535 * 64)) {
      const [result] = await gpu.run(
        bias === undefined ? 'matmul' : 'dense',
        DENSE,
        [{ data: f32(x.subarray(from * k, (from + rows) * k), rows * k) }, { data: wUp }, { data: biasUp }, { bytes: rows * n * F32 }],
        new Uint32Array([rows, k, n, activation, bias === undefined ? 0 : 1]),
        [Math.ceil(n / 64), Math.ceil(rows / 64), 1],
        [3],
      );
      out.set(result!.subarray(0, rows * n), from * n);
    }
  };
  return {
    matmul: (a, b, m, k, n, out) => dense(a, b, undefined, m, k, n, 0, out),
    dense: (x, w, bias, rows, inputs, outputs, activation, out) => dense(x, w, bias, rows, inputs, outputs, activation, out),

    async portfolioPnl(returns, weights, t, n, out) {
      const weightsUp = f32(weights, n);
      for (const [from, rows] of rowChunks(gpu, t, n * F32, Infinity)) {
        const [result] = await gpu.run('portfolioPnl', PORTFOLIO_PNL, [{ data: f32(returns.subarray(from * n, (from + rows) * n), rows * n) }, { data: weightsUp }, { bytes: rows * F32 }], new Uint32Array([rows, n]), gridFor(rows), [2]);
        out.set(result!.subarray(0, rows), from);
      }
    },

    async montecarloPnl(chol, mean, weights, n, paths, seed, out) {
      const { base, v } = reducedPortfolio(chol, mean, weights, n);
      const params = new Uint32Array([paths, n, seed >>> 0, 0]);
      new Float32Array(params.buffer, 12, 1)[0] = base;
      const [result] = await gpu.run('montecarloPnl', MONTECARLO_PNL, [{ data: new Float32Array(v) }, { bytes: paths * F32 }], params, gridFor(paths), [1]);
      out.set(result!.subarray(0, paths));
    },

    async covariance(x, t, n, start, rows, out) {
      void t;
      const centred = new Float32Array(rows * n);
      const mean = columnMeans(x.subarray(start * n), rows, n);
      for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) centred[r * n + c] = x[(start + r) * n + c] - mean[c];
      const [result] = await gpu.run('covariance', COVARIANCE, [{ data: centred }, { bytes: n * n * F32 }], new Uint32Array([rows, n]), gridFor(n * n), [1]);
      out.set(result!.subarray(0, n * n));
    },

    async rollingMoments(x, t, n, window, outMean, outStd) {
      const [mean, std] = await gpu.run('rollingMoments', ROLLING_MOMENTS, [{ data: f32(x, t * n) }, { bytes: t * n * F32 }, { bytes: t * n * F32 }], new Uint32Array([t, n, window]), gridFor(t * n), [1, 2]);
      const first = Math.min(window - 1, t) * n;
      outMean.set(mean!.subarray(0, t * n));
      outStd.set(std!.subarray(0, t * n));
      outMean.fill(NaN, 0, first);
      outStd.fill(NaN, 0, first);
    },
  };
}

/**
 * [first row, rows] chunks of `total` rows of `bytesPerRow` each, as many rows per chunk as fit the
 * device's largest binding (and `maxRows`): a matrix larger than the device's buffers runs in parts.
 * A single row that does not fit is left to run (and be refused with the sizes named).
 */
function rowChunks(gpu: GpuDevice, total: number, bytesPerRow: number, maxRows: number): Array<[number, number]> {
  const perChunk = Math.max(1, Math.min(maxRows, Math.floor(gpu.maxBindingBytes / bytesPerRow)));
  const chunks: Array<[number, number]> = [];
  for (let from = 0; from < total; from += perChunk) chunks.push([from, Math.min(perChunk, total - from)]);
  return chunks;
}

/** The first `length` elements as f32 (a copy: the device takes f32 only). */
function f32(values: Float64Array, length: number): Float32Array {
  return new Float32Array(values.length === length ? values : values.subarray(0, length));
}
