import type { KernelContext } from '../define.js';
import { defineCoreKernel } from './core-kernel.js';
import { float64Array, numberList, openUnitInterval, positiveInteger, requireObject } from './checks.js';
import { atLeast, randomNormals } from './samples.js';

export const DEFAULT_WINDOWS: readonly number[] = [5, 10, 20, 60];
export const DEFAULT_LAMBDA = 0.94; // RiskMetrics' daily decay

export interface FactorsInput {
  /** t x n row-major (e.g. daily returns of n instruments). */
  x: Float64Array;
  t: number;
  n: number;
  /** Rolling window lengths, each an integer in 2..t; default [5, 10, 20, 60]. */
  windows?: readonly number[];
  /** EWMA decay in (0, 1); default 0.94. */
  lambda?: number;
}

/**
 * mean, std, zscore: windows.length blocks of t x n, block w the rolling statistics over windows[w]
 * rows ending at each row (NaN before the first full window; zscore = (x - mean) / std).
 * ewmaVol: t x n. cov, corr: windows.length blocks of n x n, over the last windows[w] rows.
 */
export interface FactorsOutput {
  mean: Float64Array;
  std: Float64Array;
  zscore: Float64Array;
  ewmaVol: Float64Array;
  cov: Float64Array;
  corr: Float64Array;
}

function validateFactors(input: unknown, ctx: KernelContext): asserts input is FactorsInput {
  const o = requireObject(ctx, input, '{ x, t, n, windows?, lambda? }');
  const t = positiveInteger(ctx, 't', o.t);
  const n = positiveInteger(ctx, 'n', o.n);
  float64Array(ctx, 'x', o.x, t * n, `t x n = ${t} x ${n}`);
  const windows = o.windows ?? DEFAULT_WINDOWS;
  const expected = `an integer in 2..t (t = ${t})${o.windows === undefined ? `; the default windows [${DEFAULT_WINDOWS.join(', ')}] need t >= ${Math.max(...DEFAULT_WINDOWS)}` : ''}`;
  numberList(ctx, 'windows', windows, (name, w) => {
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 2 || w > t) ctx.reject(name, expected, w);
  });
  if (o.lambda !== undefined) openUnitInterval(ctx, 'lambda', o.lambda);
}

async function factors(input: FactorsInput, ctx: KernelContext): Promise<FactorsOutput> {
  const { x, t, n } = input;
  const windows = input.windows ?? DEFAULT_WINDOWS;
  const block = t * n;
  const mean = ctx.output('mean', Float64Array, windows.length * block);
  const std = ctx.output('std', Float64Array, windows.length * block);
  const zscore = ctx.output('zscore', Float64Array, windows.length * block);
  const ewmaVol = ctx.output('ewmaVol', Float64Array, block);
  const cov = ctx.output('cov', Float64Array, windows.length * n * n);
  const corr = ctx.output('corr', Float64Array, windows.length * n * n);

  for (const [w, window] of windows.entries()) {
    const at = w * block;
    await ctx.cores.rollingMoments(x, t, n, window, mean.subarray(at, at + block), std.subarray(at, at + block));
    // A zero std gives +-Infinity (or NaN where x equals the mean): an honest "no spread", not clipped.
    for (let i = 0; i < block; i++) zscore[at + i] = (x[i] - mean[at + i]) / std[at + i];
    const c = cov.subarray(w * n * n, (w + 1) * n * n);
    await ctx.cores.covariance(x, t, n, t - window, window, c);
    const r = corr.subarray(w * n * n, (w + 1) * n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) r[i * n + j] = c[i * n + j] / Math.sqrt(c[i * n + i] * c[j * n + j]);
  }
  await ctx.cores.ewmaVolatility(x, t, n, input.lambda ?? DEFAULT_LAMBDA, ewmaVol);
  return { mean, std, zscore, ewmaVol, cov, corr };
}

function factorsSize({ t, n, windows = DEFAULT_WINDOWS }: FactorsInput): number {
  let work = t * n; // EWMA
  for (const w of windows) work += 2 * t * n * w + w * n * n;
  return work;
}

export const factorsKernel = defineCoreKernel<FactorsInput, FactorsOutput>({
  name: 'factors',
  description: 'Rolling mean, std and z-score per window, EWMA volatility, and covariance/correlation of the latest window',
  validate: validateFactors,
  run: factors,
  uses: ['rollingMoments', 'covariance', 'ewmaVolatility'],
  size: factorsSize,
  sample(size) {
    const n = 8;
    const windows = [5, 20];
    const t = atLeast(20, size / (2 * n * 25));
    return { x: randomNormals(t * n, 1, 0.01), t, n, windows };
  },
});
