// The backtest: a recorded session replayed through the desk's own logic, in one thread, in tick
// order. Each engine's logic module is the one its actor runs (VPIN and its CDF, bar factors,
// features, the model's forward pass, the strategy's rule, collateral's check, the portfolio's
// book, risk's historical VaR, the performance figures); what the actors do concurrently
// (a message in flight while the next tick arrives) happens here in a fixed order, so the same
// session gives the same orders, to the bit, every time: the orders' digest proves it.
//
// What differs from the live desk, on purpose: toxicity comes from VpinBuckets (the vpin engine's
// per-trade classification) rather than the pool's bar-based vpin.incremental kernel, and VaR is
// the historical one computed here in JS (the live risk engine runs the kernel pool's, which the
// tests check equal); both are deterministic functions of the ticks.
import { createHash } from 'node:crypto';
import type { EnhancedVpinUpdate, FactorUpdate, Fill, Order, Performance, PnlUpdate, RiskUpdate, TickValues } from '../contract.js';
import { DEFAULT_COLLATERAL_LIMITS, checkOrder, type CollateralLimits } from './collateral.js';
import { VpinCdf } from './enhanced-vpin.js';
import { BarFactors } from './factors.js';
import { FeatureBuilder } from './features.js';
import { forward, type DenseLayer } from './model.js';
import { PerformanceTracker } from './analytics.js';
import { Book } from './portfolio.js';
import { BarWindow, RiskSchedule, bookWeights, historicalVar } from './risk.js';
import { DEFAULT_STRATEGY_LIMITS, Strategy, type StrategyLimits } from './strategy.js';
import { VpinBuckets } from './vpin.js';

export interface BacktestOptions {
  /** The model's layers (deskModelLayers()). */
  layers: readonly DenseLayer[];
  strategy?: StrategyLimits;
  collateral?: CollateralLimits;
  /** The bucket volume whose VPIN decides toxicity (the enhanced engine's first). */
  bucketVolume?: number;
  risk?: { capacity: number; maxSymbols: number; barMs: number; everyBars: number; minBars: number };
}

export interface BacktestResult {
  ticks: number;
  orders: Order[];
  fills: Fill[];
  refused: number;
  pnl: PnlUpdate;
  performance: Performance;
  /** sha256 of the orders (ids, symbols, sides, quantities, prices, times, reasons), hex. */
  digest: string;
}

const RISK_DEFAULTS = { capacity: 500, maxSymbols: 16, barMs: 1000, everyBars: 10, minBars: 20 };

export function runBacktest(session: { symbols: readonly string[]; ticks: readonly TickValues[] }, o: BacktestOptions): BacktestResult {
  const strategy = new Strategy(o.strategy ?? DEFAULT_STRATEGY_LIMITS);
  const collateral = o.collateral ?? DEFAULT_COLLATERAL_LIMITS;
  const book = new Book();
  const performance = new PerformanceTracker();
  const factors = new BarFactors();
  const features = new FeatureBuilder();
  const riskOptions = o.risk ?? RISK_DEFAULTS;
  const window = new BarWindow(riskOptions);
  const schedule = new RiskSchedule(riskOptions.everyBars, riskOptions.minBars);
  const vpin = new Map<string, { buckets: VpinBuckets; cdf: VpinCdf }>();
  const latestFactor = new Map<string, FactorUpdate>();
  const orders: Order[] = [];
  const fills: Fill[] = [];
  let var99 = 0;
  let refused = 0;

  const onFactors = (updates: FactorUpdate[]) => {
    for (const f of updates) {
      latestFactor.set(f.sym, f);
      strategy.onFactor(f.sym, f);
    }
  };
  for (const t of session.ticks) {
    const sym = session.symbols[t.sym]!;
    strategy.onQuote(sym, t.bid, t.ask);
    if (book.mark(sym, t.px, t.ts)) performance.onPnl(book.snapshot());
    onFactors(factors.onTrade(sym, t.ts, t.px));
    toxicity(sym, t);
    if (window.onTick(sym, t.px, t.ts) && schedule.due(window.bars, window.rows, book.version)) {
      schedule.done(window.bars, book.version);
      var99 = riskOf(book.snapshot().positions).var99;
      strategy.onRisk({ var99 } as RiskUpdate);
    }
    if (!features.onTrade(sym, t)) continue;
    const row = features.row(sym, latestFactor.get(sym));
    const pUp = forward(o.layers, row, 1)[0]!;
    const order = strategy.onPrediction(sym, { sym, ts: t.ts, pUp, backend: 'js' });
    if (order === undefined) continue;
    orders.push(order);
    const pnl = book.snapshot();
    const check = checkOrder(order, pnl, (s) => latestFactor.get(s)?.volatility, var99, collateral);
    const fill = strategy.onCheck(order, check);
    if (fill === undefined) {
      refused++;
      continue;
    }
    fills.push(fill);
    book.applyFill(fill);
    performance.onFill(fill);
    performance.onPnl(book.snapshot());
  }
  onFactors(factors.closeBar());
  return { ticks: session.ticks.length, orders, fills, refused, pnl: book.snapshot(), performance: performance.performance(), digest: digest(orders) };

  function toxicity(sym: string, t: TickValues): void {
    let v = vpin.get(sym);
    if (v === undefined) vpin.set(sym, (v = { buckets: new VpinBuckets({ bucketVolumes: [o.bucketVolume ?? 2_000] }), cdf: new VpinCdf() }));
    for (const b of v.buckets.onTrade(t.ts, t.px, t.qty, t.side)) {
      const verdict = v.cdf.add(b.vpin);
      if (Number.isNaN(verdict.cdf)) continue;
      const update: EnhancedVpinUpdate = { sym, ts: b.ts, bucketVolume: b.bucketVolume, vpin: b.vpin, cdf: verdict.cdf, toxic: verdict.toxic, backend: 'js' };
      strategy.onEnhancedVpin(sym, update);
    }
  }

  function riskOf(positions: Record<string, number>): { var99: number } {
    const weights = bookWeights(positions, window);
    if (weights.columns.length === 0) return { var99: 0 };
    const h = historicalVar(window.window(weights.columns), window.rows, weights.columns.length, weights.weights);
    return { var99: h.var[1]! };
  }
}

export function digest(orders: readonly Order[]): string {
  const h = createHash('sha256');
  for (const o of orders) h.update(`${o.id},${o.sym},${o.side},${o.qty},${o.px},${o.ts},${o.reason}\n`);
  return h.digest('hex');
}
