// The desk's trading logic (portfolio, collateral, risk, strategy, analytics) without threads:
// every figure below is worked out by hand in the comments next to it.
import { describe, expect, it } from 'vitest';
import type { EnhancedVpinUpdate, Fill, Order, PnlUpdate } from '../examples/desk/contract.js';
import { INTERVALS_PER_YEAR, PerformanceTracker } from '../examples/desk/logic/analytics.js';
import { checkOrder, marginRate, type BookView, type CollateralLimits } from '../examples/desk/logic/collateral.js';
import { Book } from '../examples/desk/logic/portfolio.js';
import { BarWindow, RiskSchedule, ToxicityWatch, bookWeights, historicalVar, tailIndex } from '../examples/desk/logic/risk.js';
import { DEFAULT_STRATEGY_LIMITS, Strategy, decide, targetSize, type SymbolSignals } from '../examples/desk/logic/strategy.js';

const fill = (sym: string, side: 1 | -1, qty: number, px: number, ts = 0, orderId = 0): Fill => ({ orderId, sym, side, qty, px, ts });

describe('portfolio: the book', () => {
  it('keeps average cost, realizes on reductions and flips, marks to trades (a hand-worked sequence)', () => {
    const book = new Book();
    book.applyFill(fill('AAPL', 1, 100, 10));
    expect(book.applyFill(fill('AAPL', 1, 100, 12))).toEqual({ realized: 0, closedQty: 0, position: 200 });
    expect(book.avgCost('AAPL')).toBe(11); // (100 x 10 + 100 x 12) / 200
    // sell 150 @ 13: closes 150 at (13 - 11) = 300 realized; 50 left at 11
    expect(book.applyFill(fill('AAPL', -1, 150, 13))).toEqual({ realized: 300, closedQty: 150, position: 50 });
    expect(book.avgCost('AAPL')).toBe(11);
    // sell 100 @ 9: closes 50 at (9 - 11) = -100; flips to -50 opened at 9
    expect(book.applyFill(fill('AAPL', -1, 100, 9))).toEqual({ realized: -100, closedQty: 50, position: -50 });
    expect(book.avgCost('AAPL')).toBe(9);
    expect(book.realized).toBe(200);
    // a trade print marks the position
    book.mark('AAPL', 8, 1000);
    expect(book.unrealized()).toBe(50); // -50 x (8 - 9)
    expect(book.gross()).toBe(400);
    expect(book.net()).toBe(-400);
    // buy 50 @ 7 covers the short: (7 - 9) x 50 x -1 = +100
    expect(book.applyFill(fill('AAPL', 1, 50, 7))).toEqual({ realized: 100, closedQty: 50, position: 0 });
    expect(book.avgCost('AAPL')).toBe(0);
    expect(book.realized).toBe(300);
    expect(book.version).toBe(5);
  });

  it('a symbol no trade has marked is marked at its first fill; the snapshot lists every symbol traded', () => {
    const book = new Book();
    book.applyFill(fill('AAPL', 1, 100, 10, 500));
    book.mark('AAPL', 11, 600);
    book.applyFill(fill('MSFT', -1, 10, 300, 700));
    const snap: PnlUpdate = book.snapshot();
    expect(snap).toEqual({
      ts: 700,
      version: 2,
      realized: 0,
      unrealized: 100, // 100 x (11 - 10) + -10 x (300 - 300)
      total: 100,
      gross: 4100, // 100 x 11 + 10 x 300
      net: -1900, // 1100 - 3000
      positions: { AAPL: 100, MSFT: -10 },
      marks: { AAPL: 11, MSFT: 300 },
    });
    expect(book.mark('AAPL', 11, 800)).toBe(false); // the same price changes nothing
    expect(book.mark('NVDA', 50, 800)).toBe(false); // no position there: the P&L did not move
  });
});

describe('collateral: margin checks', () => {
  const limits: CollateralLimits = {
    startingCash: 100_000,
    haircut: 0.2,
    baseMarginRate: 0.1,
    volMultiplier: 100,
    maxMarginRate: 1,
    defaultVolatility: 0.001,
    maxOrderNotional: 50_000,
    maxGross: 200_000,
    varLimit: 10_000,
  };
  const book: BookView = { positions: { AAPL: 100, MSFT: -50 }, marks: { AAPL: 150, MSFT: 300 }, total: 5_000 };
  const vols: Record<string, number> = { AAPL: 0.002 }; // MSFT: the default 0.001
  const volOf = (sym: string) => vols[sym];
  const order = (side: 1 | -1, qty: number, px: number, sym = 'AAPL'): Order => ({ id: 1, sym, side, qty, px, ts: 0, reason: 'test' });

  it('the margin rate grows with volatility, capped', () => {
    expect(marginRate(0.002, limits)).toBeCloseTo(0.3, 12); // 0.1 + 100 x 0.002
    expect(marginRate(undefined, limits)).toBeCloseTo(0.2, 12); // the default volatility
    expect(marginRate(0.05, limits)).toBe(1); // 0.1 + 5, capped
  });

  it('computes the initial margin of the book after the order and what is left of the collateral', () => {
    // AAPL 200 at the order's 151: 30,200 x 0.3 = 9,060; MSFT 50 x 300 = 15,000 x 0.2 = 3,000
    // equity 105,000 x (1 - 0.2) = 84,000; available 84,000 - 12,060 = 71,940
    const check = checkOrder(order(1, 100, 151), book, volOf, 0, limits);
    expect(check.ok).toBe(true);
    expect(check.initialMargin).toBeCloseTo(12_060, 9);
    expect(check.available).toBeCloseTo(71_940, 9);
  });

  it('refuses an order over the per-order notional limit', () => {
    const check = checkOrder(order(1, 400, 151), book, volOf, 0, limits); // 60,400
    expect(check).toMatchObject({ ok: false, reason: 'order notional 60400 exceeds the per-order limit 50000' });
  });

  it('refuses an order that takes gross exposure over the gross limit', () => {
    // gross after: 200 x 151 + 50 x 300 = 45,200
    const check = checkOrder(order(1, 100, 151), book, volOf, 0, { ...limits, maxGross: 40_000 });
    expect(check).toMatchObject({ ok: false, reason: 'gross exposure after the order 45200 exceeds the gross limit 40000' });
  });

  it('refuses new exposure while VaR99 is over the VaR limit', () => {
    const check = checkOrder(order(1, 100, 151), book, volOf, 12_000, limits);
    expect(check).toMatchObject({ ok: false, reason: 'VaR99 12000 exceeds the VaR limit 10000' });
  });

  it('refuses an order whose margin exceeds the collateral', () => {
    // equity 100,000 - 95,000 = 5,000; x 0.8 = 4,000; margin 12,060: available -8,060
    const check = checkOrder(order(1, 100, 151), { ...book, total: -95_000 }, volOf, 0, limits);
    expect(check).toMatchObject({ ok: false, reason: 'initial margin 12060 exceeds the collateral 4000 (equity after a 0.2 haircut)' });
    expect(check.available).toBeCloseTo(-8_060, 9);
  });

  it('always allows an order that reduces exposure, even over every limit; a flip is not a reduction', () => {
    const broke = { ...book, total: -95_000 };
    const tight = { ...limits, maxOrderNotional: 1, maxGross: 1 };
    // sell 50 AAPL at 150: AAPL 50 x 150 = 7,500 x 0.3 = 2,250 + 3,000; 4,000 - 5,250 = -1,250
    const reduce = checkOrder(order(-1, 50, 150), broke, volOf, 1e9, tight);
    expect(reduce.ok).toBe(true);
    expect(reduce.available).toBeCloseTo(-1_250, 9);
    expect(checkOrder(order(1, 50, 300, 'MSFT'), broke, volOf, 1e9, tight).ok).toBe(true); // buys back half the short
    expect(checkOrder(order(-1, 150, 150), broke, volOf, 1e9, tight).ok).toBe(false); // 100 -> -50: a new short
  });
});

describe('risk: bar window, VaR, schedule, toxicity', () => {
  it('bar returns: one row per bar closed by a later tick, empty bars skipped, oldest rows dropped', () => {
    const w = new BarWindow({ capacity: 3, maxSymbols: 2, barMs: 1000 });
    w.onTick('AAPL', 100, 0);
    w.onTick('MSFT', 50, 500);
    expect(w.onTick('AAPL', 101, 1200)).toBe(true); // closes bar 0: first prices, returns 0
    w.onTick('MSFT', 49, 1500);
    expect(w.onTick('AAPL', 99.99, 2100)).toBe(true); // bar 1: AAPL 101/100 - 1, MSFT 49/50 - 1
    expect(w.onTick('AAPL', 102, 4000)).toBe(true); // bar 2 (bar 3 empty: no row): AAPL 99.99/101 - 1, MSFT 0
    expect(w.onTick('AAPL', 102.5, 4500)).toBe(false);
    expect([w.bars, w.rows]).toEqual([3, 3]);
    expect(Array.from(w.window([0, 1]))).toEqual([0, 0, 101 / 100 - 1, 49 / 50 - 1, 99.99 / 101 - 1, 0]);
    w.onTick('MSFT', 49.49, 5000); // closes bar 4: AAPL 102.5 / 99.99 - 1, MSFT 0; the ring drops bar 0
    expect([w.bars, w.rows]).toEqual([4, 3]);
    expect(Array.from(w.window([1, 0]))).toEqual([49 / 50 - 1, 101 / 100 - 1, 0, 99.99 / 101 - 1, 0, 102.5 / 99.99 - 1]);
    // weights at the last prices (MSFT's 49.49 is in the open bar); flat and untracked symbols left out
    expect(bookWeights({ MSFT: -10, AAPL: 0, NVDA: 5 }, w)).toEqual({ symbols: ['MSFT'], columns: [1], weights: [-10 * 49.49] });
  });

  it('tail index: ceil((1 - c) T) - 1, a product within rounding of a whole number taken as it', () => {
    expect(tailIndex(0.95, 20)).toBe(0); // (1 - 0.95) x 20 = 1.0000000000000009 in doubles
    expect(tailIndex(0.9, 20)).toBe(1);
    expect(tailIndex(0.99, 500)).toBe(4);
    expect(tailIndex(0.95, 30)).toBe(1); // 1.5 -> 2 -> 1
  });

  it('historical VaR/ES on a hand-worked scenario set', () => {
    // 20 scenarios of two instruments, weights 100 and 50: 18 of (0.01, 0.01) -> P&L 1.5,
    // (-0.05, 0.02) -> -4, (-0.03, -0.04) -> -5. Sorted: -5, -4, 1.5 ...
    const rows: number[][] = [[-0.05, 0.02], ...Array.from({ length: 18 }, () => [0.01, 0.01]), [-0.03, -0.04]];
    const r = historicalVar(rows.flat(), 20, 2, [100, 50], [0.9, 0.95, 0.99]);
    expect(r.var.map((v) => +v.toFixed(10))).toEqual([4, 5, 5]); // j = 1, 0, 0
    expect(r.es.map((v) => +v.toFixed(10))).toEqual([4.5, 5, 5]); // (5 + 4) / 2
  });

  it('recomputes on a new positions version or every K bars, once enough bars exist', () => {
    const s = new RiskSchedule(5, 3);
    expect(s.due(2, 2, 0)).toBe(false); // too few rows
    expect(s.due(3, 3, 0)).toBe(true);
    s.done(3, 0);
    expect(s.due(7, 7, 0)).toBe(false);
    expect(s.due(7, 7, 1)).toBe(true); // a fill
    s.done(7, 1);
    expect(s.due(12, 12, 1)).toBe(true); // 5 bars later
  });

  it('alerts when a symbol turns toxic (level 2) and when it clears (level 0), not on every update', () => {
    const watch = new ToxicityWatch();
    const u = (toxic: boolean, ts: number): EnhancedVpinUpdate => ({ sym: 'AAPL', ts, bucketVolume: 1000, vpin: toxic ? 0.6 : 0.2, cdf: toxic ? 0.97 : 0.4, toxic, backend: 'js' });
    expect(watch.update(u(false, 1))).toBeUndefined();
    expect(watch.update(u(true, 2))).toEqual({ sym: 'AAPL', ts: 2, level: 2, vpin: 0.6, cdf: 0.97 });
    expect(watch.update(u(true, 3))).toBeUndefined();
    expect(watch.isToxic('AAPL')).toBe(true);
    expect(watch.update(u(false, 4))).toEqual({ sym: 'AAPL', ts: 4, level: 0, vpin: 0.2, cdf: 0.4 });
  });
});

describe('strategy: the rule', () => {
  const limits = DEFAULT_STRATEGY_LIMITS; // long > 0.55, short < 0.45, VaR limit 50,000, 1,000 at full confidence, vol 0.001, cap 1,000, lot 10
  const base: SymbolSignals = { pUp: 0.65, momentum: 0.002, volatility: 0.002, toxic: false, var99: 0, bid: 99.99, ask: 100.01 };

  it('goes long: size = 1000 x confidence x 0.001 / volatility, in lots, capped', () => {
    // confidence (0.65 - 0.5) x 2 = 0.3; 1000 x 0.3 x 0.001 / 0.002 = 150
    expect(decide(base, 0, limits)).toEqual({ target: 150, delta: 150, reason: 'long: pUp 0.65, momentum 0.002' });
    expect(targetSize(0.6537, undefined, limits)).toBe(300); // 307.4 -> 30 lots
    expect(targetSize(0.95, 0.0005, limits)).toBe(1000); // 1800, capped
  });

  it('goes short on a low pUp with falling momentum', () => {
    // confidence 0.4 at the reference volatility: 400; from +100: sell 500
    const d = decide({ ...base, pUp: 0.3, momentum: -0.001, volatility: undefined }, 100, limits);
    expect(d).toEqual({ target: -400, delta: -500, reason: 'short: pUp 0.3, momentum -0.001' });
  });

  it('flattens on toxic flow or VaR over the limit, and has no opinion otherwise', () => {
    expect(decide({ ...base, toxic: true, cdf: 0.97 }, 300, limits)).toEqual({ target: 0, delta: -300, reason: 'flatten: toxic flow (cdf 0.97)' });
    expect(decide({ ...base, var99: 60_000 }, -200, limits)).toMatchObject({ target: 0, delta: 200 });
    expect(decide({ ...base, toxic: true }, 0, limits)).toBeUndefined(); // flat already
    expect(decide({ ...base, momentum: -0.001 }, 0, limits)).toBeUndefined(); // pUp and momentum disagree
    expect(decide({ ...base, pUp: 0.5 }, 0, limits)).toBeUndefined();
    expect(decide({ ...base, pUp: 0.3, momentum: 0.01 }, 0, limits)).toBeUndefined();
    expect(decide({ ...base, momentum: undefined }, 0, limits)).toBeUndefined(); // no factor yet
  });

  it('sends nothing below a lot', () => {
    expect(decide(base, 145, limits)).toBeUndefined(); // 150 - 145 = 5 < 10
    expect(decide(base, 140, limits)).toMatchObject({ delta: 10 });
  });

  it('orders: numbered from 1, priced at the ask to buy and the bid to sell, one per symbol per cooldown', () => {
    const s = new Strategy(limits);
    const pred = (sym: string, pUp: number, ts: number) => ({ sym, ts, pUp, backend: 'js' });
    s.onFactor('AAPL', { sym: 'AAPL', ts: 0, momentum: 0.002, volatility: 0.002, zscore: 0, beta: 1 });
    expect(s.onPrediction('AAPL', pred('AAPL', 0.65, 1000))).toBeUndefined(); // no quote yet
    s.onQuote('AAPL', 99.99, 100.01);
    const o1 = s.onPrediction('AAPL', pred('AAPL', 0.65, 1000))!;
    expect(o1).toEqual({ id: 1, sym: 'AAPL', side: 1, qty: 150, px: 100.01, ts: 1000, reason: 'long: pUp 0.65, momentum 0.002' });
    expect(s.onCheck(o1, { ok: true, initialMargin: 0, available: 0 })).toEqual({ orderId: 1, sym: 'AAPL', side: 1, qty: 150, px: 100.01, ts: 1000 });
    expect(s.position('AAPL')).toBe(150);
    s.onEnhancedVpin('AAPL', { sym: 'AAPL', ts: 1500, bucketVolume: 1, vpin: 0.7, cdf: 0.99, toxic: true, backend: 'js' });
    expect(s.onPrediction('AAPL', pred('AAPL', 0.65, 2999))).toBeUndefined(); // 1,999 ms after the last order
    const o2 = s.onPrediction('AAPL', pred('AAPL', 0.65, 3000))!;
    expect(o2).toMatchObject({ id: 2, side: -1, qty: 150, px: 99.99 });
    expect(s.onCheck(o2, { ok: false, reason: 'no', initialMargin: 0, available: 0 })).toBeUndefined();
    s.onCheckFailed();
    expect(s.position('AAPL')).toBe(150);
    expect(s.counts).toEqual({ orders: 2, approved: 1, refused: 1, failed: 1 });
  });
});

describe('analytics: performance', () => {
  const pnl = (ts: number, total: number): PnlUpdate => ({ ts, version: 0, realized: total, unrealized: 0, total, gross: 0, net: 0, positions: {}, marks: {} });

  it('Sharpe of per-second P&L changes (a quiet second counts as no change), drawdown peak to trough', () => {
    const t = new PerformanceTracker();
    for (const [ts, total] of [[0, 0], [500, 100], [1200, 50], [3100, 250], [4000, 150]] as const) t.onPnl(pnl(ts, total));
    // seconds 0..3 closed: totals at their ends 100, 50, 50 (second 2 quiet), 250 -> changes 100, -50, 0, 200
    expect(t.intervals).toBe(4);
    // mean 62.5; squared deviations 1406.25 + 12656.25 + 3906.25 + 18906.25 = 36875; sample variance 36875 / 3
    expect(t.sharpe()).toBeCloseTo((62.5 / Math.sqrt(36875 / 3)) * Math.sqrt(5_896_800), 9);
    expect(INTERVALS_PER_YEAR).toBe(5_896_800);
    expect(t.maxDrawdown).toBe(100); // 250 -> 150 (100 -> 50 was 50)
    expect(t.performance()).toMatchObject({ ts: 4000, pnl: 150, maxDrawdown: 100, trades: 0, turnover: 0, hitRate: 0 });
  });

  it('hit rate over closing fills, trade count, turnover', () => {
    const t = new PerformanceTracker();
    t.onFill(fill('AAPL', 1, 100, 10)); // opens
    t.onFill(fill('AAPL', -1, 50, 12)); // closes 50 at +2: a hit
    t.onFill(fill('AAPL', -1, 50, 9)); // closes 50 at -1: a miss
    t.onFill(fill('AAPL', 1, 10, 8)); // opens again
    expect(t.performance()).toMatchObject({ trades: 4, turnover: 1000 + 600 + 450 + 80, hitRate: 0.5 });
  });
});
