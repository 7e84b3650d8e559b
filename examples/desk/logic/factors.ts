// Rolling factors of every symbol on time bars: momentum, EWMA volatility, z-score and beta to the
// equal-weighted market. One instance sees every symbol (beta needs the market's return of the same bar).
import type { FactorUpdate } from '../contract.js';

export interface FactorOptions {
  /** Bar length in ms of the ticks' clock (simulated time for synthetic data). */
  barMs?: number;
  /** N: bars in the momentum, z-score and beta windows. */
  window?: number;
  /** EWMA decay (RiskMetrics' 0.94). */
  lambda?: number;
}

export const FACTOR_DEFAULTS = Object.freeze({ barMs: 1_000, window: 20, lambda: 0.94 });

interface SymbolBars {
  /** Last trade price in the open bar; NaN before the symbol's first trade. */
  last: number;
  /** The last N + 1 closes (N returns' worth), oldest first. */
  closes: number[];
  /** The last N bar log returns, and the market's return of the same bars. */
  returns: number[];
  market: number[];
  /** EWMA variance of bar returns; NaN before the first return. */
  ewmaVar: number;
}

/**
 * Bars: index floor(ts / barMs). A trade in a later bar than the open one closes the open bar for
 * every symbol (bars with no trade at all are skipped, as the VPIN kernel skips them); a symbol that
 * did not trade in the bar closes at its last price (a zero return). A trade earlier than the open
 * bar (a new replay) starts everything afresh.
 *
 * On each close, per symbol with a close:
 * - momentum = ln(close_t / close_{t-N}), over the closes there are while fewer than N + 1;
 * - volatility = sqrt of v_t = lambda v_{t-1} + (1 - lambda) r_t^2, v seeded with the first r^2; 0 before any return;
 * - zscore = (close_t - mean) / std of the last N closes (sample std, close_t included); 0 while std is 0 or undefined;
 * - beta = cov(r, m) / var(m) over the last N bars (sample moments), m the mean return of the symbols
 *   that have one this bar; 1 (the market's own) while fewer than 2 bars or var(m) is 0 (below 1e-18).
 */
export class BarFactors {
  readonly barMs: number;
  readonly window: number;
  readonly lambda: number;
  private bars = new Map<string, SymbolBars>();
  private openBar = NaN;

  constructor(options: FactorOptions = {}) {
    this.barMs = options.barMs ?? FACTOR_DEFAULTS.barMs;
    this.window = options.window ?? FACTOR_DEFAULTS.window;
    this.lambda = options.lambda ?? FACTOR_DEFAULTS.lambda;
    if (!(this.barMs > 0)) throw new RangeError(`BarFactors: barMs must be > 0; got ${this.barMs}`);
    if (!Number.isSafeInteger(this.window) || this.window < 2) throw new RangeError(`BarFactors: window must be an integer >= 2; got ${this.window}`);
    if (!(this.lambda > 0 && this.lambda < 1)) throw new RangeError(`BarFactors: lambda must be in (0, 1); got ${this.lambda}`);
  }

  /** Adds a trade; returns the factors of every symbol when it closed a bar, else []. */
  onTrade(sym: string, ts: number, px: number): FactorUpdate[] {
    const bar = Math.floor(ts / this.barMs);
    let out: FactorUpdate[] = [];
    if (bar < this.openBar) {
      this.bars = new Map();
    } else if (bar > this.openBar) {
      out = this.closeBar();
    }
    this.openBar = bar;
    let s = this.bars.get(sym);
    if (s === undefined) this.bars.set(sym, (s = { last: NaN, closes: [], returns: [], market: [], ewmaVar: NaN }));
    s.last = px;
    return out;
  }

  /** Closes the open bar now (the end of a replay); its factors, or [] with no bar open. */
  closeBar(): FactorUpdate[] {
    if (Number.isNaN(this.openBar)) return [];
    const ts = (this.openBar + 1) * this.barMs;
    const fresh: [SymbolBars, number][] = [];
    let sum = 0;
    for (const s of this.bars.values()) {
      const prev = s.closes[s.closes.length - 1];
      push(s.closes, s.last, this.window + 1);
      if (prev === undefined) continue;
      const r = Math.log(s.last / prev);
      fresh.push([s, r]);
      sum += r;
    }
    const m = fresh.length > 0 ? sum / fresh.length : 0;
    for (const [s, r] of fresh) {
      push(s.returns, r, this.window);
      push(s.market, m, this.window);
      s.ewmaVar = Number.isNaN(s.ewmaVar) ? r * r : this.lambda * s.ewmaVar + (1 - this.lambda) * r * r;
    }
    const out: FactorUpdate[] = [];
    for (const [sym, s] of this.bars) out.push({ sym, ts, ...this.factorsOf(s) });
    this.openBar = NaN;
    return out;
  }

  private factorsOf(s: SymbolBars): Omit<FactorUpdate, 'sym' | 'ts'> {
    const closes = s.closes;
    const close = closes[closes.length - 1];
    const momentum = Math.log(close / closes[0]);
    const volatility = Number.isNaN(s.ewmaVar) ? 0 : Math.sqrt(s.ewmaVar);
    const recent = closes.slice(-this.window);
    const { mean, variance } = moments(recent);
    const std = Math.sqrt(variance);
    const zscore = std > 0 ? (close - mean) / std : 0;
    return { momentum, volatility, zscore, beta: betaOf(s.returns, s.market) };
  }
}

function push(a: number[], v: number, keep: number): void {
  a.push(v);
  if (a.length > keep) a.shift();
}

/** Mean and sample variance (n - 1); variance NaN below two values. */
function moments(a: readonly number[]): { mean: number; variance: number } {
  const n = a.length;
  let mean = 0;
  for (const v of a) mean += v;
  mean /= n;
  let ss = 0;
  for (const v of a) ss += (v - mean) * (v - mean);
  return { mean, variance: n >= 2 ? ss / (n - 1) : NaN };
}

/** A market variance below this (moves of 1e-9 and less) is a flat market: rounding noise, not a beta. */
const FLAT_MARKET = 1e-18;

function betaOf(r: readonly number[], m: readonly number[]): number {
  const n = r.length;
  if (n < 2) return 1;
  const mr = moments(r).mean;
  const { mean: mm, variance: vm } = moments(m);
  if (!(vm > FLAT_MARKET)) return 1;
  let cov = 0;
  for (let i = 0; i < n; i++) cov += (r[i] - mr) * (m[i] - mm);
  return cov / (n - 1) / vm;
}
