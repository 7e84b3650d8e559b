import type { KernelContext } from '../define.js';
import { allFinite, float64Array, numberList, oneOf, openUnitInterval, positiveInteger, requireObject } from './checks.js';

/**
 * What the three VaR kernels share: their input, its checks, the NaN policy, and the tail rule
 * that turns sorted P&L scenarios (historical or simulated) into VaR and expected shortfall.
 */

/** What a NaN in `returns` means: an error (default), a day to leave out, or no move. */
export type NanPolicy = 'reject' | 'skip' | 'zero';
export const NAN_POLICIES: readonly NanPolicy[] = ['reject', 'skip', 'zero'];
export const DEFAULT_CONFIDENCE: readonly number[] = [0.95, 0.99];

export interface VarInput {
  /** t x n row-major: t scenarios (days), n instruments. */
  returns: Float64Array;
  t: number;
  n: number;
  /** n portfolio weights (exposures): the P&L of a scenario is returns_row . weights. */
  weights: Float64Array;
  /** Levels, each in (0, 1); default [0.95, 0.99]. */
  confidence?: readonly number[];
  nan?: NanPolicy;
}

/** VaR and ES as positive losses, one per confidence level; rows: the scenarios (rows of returns) used. */
export interface VarOutput {
  var: Float64Array;
  es: Float64Array;
  rows: number;
}

export const VAR_SHAPE = '{ returns, t, n, weights, confidence?, nan? }';

/**
 * Checks the shared fields (returns fewer than `minRows` rows are refused) and gives the input back
 * for the rest. `scanForNaN` false: the kernel finds NaNs itself (historical VaR reads them off its
 * P&L, which saves a pass over the whole matrix) and calls rejectFirstNaN.
 */
export function checkVarInput(ctx: KernelContext, input: unknown, minRows: number, shape = VAR_SHAPE, scanForNaN = true): Record<string, unknown> {
  const o = requireObject(ctx, input, shape);
  const t = positiveInteger(ctx, 't', o.t);
  const n = positiveInteger(ctx, 'n', o.n);
  if (t < minRows) ctx.reject('t', `at least ${minRows} (rows of returns)`, t);
  const returns = float64Array(ctx, 'returns', o.returns, t * n, `t x n = ${t} x ${n}`);
  allFinite(ctx, 'weights', float64Array(ctx, 'weights', o.weights, n, 'one per instrument, n'));
  if (o.confidence !== undefined) numberList(ctx, 'confidence', o.confidence, (name, c) => openUnitInterval(ctx, name, c));
  const nan = o.nan === undefined ? 'reject' : oneOf(ctx, 'nan', o.nan, NAN_POLICIES);
  if (nan === 'reject' && scanForNaN) rejectFirstNaN(ctx, returns as Float64Array, n, 0);
  return o;
}

/** Under nan: 'reject', a NaN in returns at or after row `fromRow` is an argument error naming where. */
export function rejectFirstNaN(ctx: KernelContext, returns: Float64Array, n: number, fromRow: number): void {
  for (let i = fromRow * n; i < returns.length; i++) {
    if (Number.isNaN(returns[i])) {
      ctx.reject('returns', "free of NaN under nan: 'reject' (nan: 'skip' drops such rows, 'zero' reads NaN as 0)", `NaN at row ${Math.floor(i / n)}, column ${i % n} (0-based)`);
    }
  }
}

/** The returns the policy leaves (a copy only when it changed something), refused below `minRows` rows. */
export function usableReturns(input: VarInput, ctx: KernelContext, minRows: number): { returns: Float64Array; rows: number } {
  const { returns, t, n } = input;
  const policy = input.nan ?? 'reject';
  if (policy === 'reject' || !returns.some(Number.isNaN)) return { returns, rows: t };
  if (policy === 'zero') return { returns: returns.map((v) => (Number.isNaN(v) ? 0 : v)), rows: t };
  const kept = new Float64Array(t * n);
  let rows = 0;
  for (let r = 0; r < t; r++) {
    const row = returns.subarray(r * n, (r + 1) * n);
    if (row.some(Number.isNaN)) continue;
    kept.set(row, rows * n);
    rows++;
  }
  if (rows < minRows) ctx.reject('returns', `at least ${minRows} rows without NaN (nan: 'skip')`, `${rows} of ${t} rows without NaN`);
  return { returns: kept.subarray(0, rows * n), rows };
}

export function confidenceLevels(input: VarInput): readonly number[] {
  return input.confidence ?? DEFAULT_CONFIDENCE;
}

/** The per-instrument mean return over the first `rows` rows. */
export function columnMeans(returns: Float64Array, rows: number, n: number): Float64Array {
  const mean = new Float64Array(n);
  for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) mean[c] += returns[r * n + c];
  for (let c = 0; c < n; c++) mean[c] /= rows;
  return mean;
}

/**
 * The index of the VaR scenario among T sorted ascending: j = max(0, ceil((1 - c) T) - 1). A product
 * (1 - c) T within rounding of a whole number counts as that number: in doubles (1 - 0.95) * 20 is
 * 1.0000000000000009, and a bare ceil would step one scenario too far into the body.
 */
export function tailIndex(c: number, T: number): number {
  const x = (1 - c) * T;
  const whole = Math.round(x);
  const k = Math.abs(x - whole) <= 1e-9 * Math.max(1, x) ? whole : Math.ceil(x);
  return Math.max(0, Math.min(T, k) - 1);
}

/** VaR = -p[j] and ES = -mean(p[0..j]) for each level, from the P&L's lower tail (ordered here, in place). */
export async function tailRisk(pnl: Float64Array, levels: readonly number[], ctx: KernelContext): Promise<{ var: Float64Array; es: Float64Array }> {
  const tails = levels.map((c) => tailIndex(c, pnl.length));
  await ctx.cores.lowestFirst(pnl, Math.min(pnl.length, Math.max(...tails) + 1));
  const varOut = ctx.output('var', Float64Array, levels.length);
  const esOut = ctx.output('es', Float64Array, levels.length);
  tails.forEach((j, i) => {
    let sum = 0;
    for (let s = 0; s <= j; s++) sum += pnl[s];
    varOut[i] = -pnl[j];
    esOut[i] = -sum / (j + 1);
  });
  return { var: varOut, es: esOut };
}
