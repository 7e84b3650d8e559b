/**
 * The numeric cores every backend implements with the same arguments: flat row-major Float64Arrays,
 * sizes as integers, results written into `out` arrays the caller allocated (so a backend never
 * allocates, and a shared `out` is read in place by whoever asked). The JS cores (cores-js.ts) are
 * the reference; the native addon (native/) exports the same functions by the same names.
 *
 * Matrices: a (rows x cols) matrix is `a[r * cols + c]`.
 */
export interface NumericCores {
  /** out (m x n) = a (m x k) * b (k x n). */
  matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number, out: Float64Array): void;
  /**
   * One dense layer for `rows` inputs: out (rows x outputs) = act(x (rows x inputs) * w (inputs x outputs) + bias (outputs)).
   * activation: 0 linear, 1 ReLU, 2 sigmoid.
   */
  dense(x: Float64Array, w: Float64Array, bias: Float64Array, rows: number, inputs: number, outputs: number, activation: number, out: Float64Array): void;
  /** out (t) = returns (t x n) * weights (n): the portfolio's P&L in each scenario. */
  portfolioPnl(returns: Float64Array, weights: Float64Array, t: number, n: number, out: Float64Array): void;
  /** Rearranges values so that values[0, k) hold its k smallest in ascending order (the rest in any order). No NaNs. */
  lowestFirst(values: Float64Array, k: number): void;
  /** out (n x n) = sample covariance (divided by rows - 1) of rows [start, start + rows) of x (t x n). */
  covariance(x: Float64Array, t: number, n: number, start: number, rows: number, out: Float64Array): void;
  /** out (n x n, lower triangle, zeros above) = L with L L' = a. Returns false when a is not positive definite. */
  cholesky(a: Float64Array, n: number, out: Float64Array): boolean;
  /**
   * out (paths) = weights . (mean + L z) for `paths` draws of z ~ N(0, I_n): normal j of path p is
   * scenarioNormal(seed, p, j) of counter-rng.ts (Threefry-2x32, Box-Muller), so any path can be
   * drawn alone, in any order, on any device. Computed as w . mean + v . z with v = L' w (j ascending):
   * O(n) per path instead of O(n^2).
   */
  montecarloPnl(chol: Float64Array, mean: Float64Array, weights: Float64Array, n: number, paths: number, seed: number, out: Float64Array): void;
  /**
   * Rolling mean and sample standard deviation (divided by window - 1) of each column of x (t x n) over
   * the last `window` rows ending at each row; rows before the first full window are NaN.
   */
  rollingMoments(x: Float64Array, t: number, n: number, window: number, outMean: Float64Array, outStd: Float64Array): void;
  /** RiskMetrics EWMA volatility per column: s2[0] = x[0]^2, s2[i] = lambda s2[i-1] + (1 - lambda) x[i]^2; out = sqrt(s2). */
  ewmaVolatility(x: Float64Array, t: number, n: number, lambda: number, out: Float64Array): void;
}

/** The names of the cores, in the order a backend lists them. */
export const CORE_NAMES = ['matmul', 'dense', 'portfolioPnl', 'lowestFirst', 'covariance', 'cholesky', 'montecarloPnl', 'rollingMoments', 'ewmaVolatility'] as const;
export type CoreName = (typeof CORE_NAMES)[number];

/**
 * The cores as a kernel sees them (`ctx.cores`): the same functions, any of which may settle later.
 * The CPU backends answer at once; an accelerator (webgpu, mlx) uploads, runs on its device and
 * downloads into `out` before its promise settles. Kernels `await` every core call.
 */
export type BackendCores = {
  [K in CoreName]: (...args: Parameters<NumericCores[K]>) => ReturnType<NumericCores[K]> | Promise<ReturnType<NumericCores[K]>>;
};
