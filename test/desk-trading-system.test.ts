// The five trading engines running as actors: crafted market data, factors, toxicity and
// predictions published from the host, and the orders, checks, fills, positions, P&L, VaR and
// performance that come out checked against figures computed here.
import { describe, expect, it } from 'vitest';
import { sharedArray, type System } from 'dualbus';
import { CacheKeys, DESK_CACHE, Tick, Topics, type FactorUpdate, type Fill, type Order, type Performance, type PnlUpdate, type RiskAlert, type RiskUpdate, type TickValues } from '../examples/desk/contract.js';
import { PerformanceTracker } from '../examples/desk/logic/analytics.js';
import { BarWindow, historicalVar } from '../examples/desk/logic/risk.js';
import { Rng } from '../examples/desk/logic/rng.js';
import { eventually, systemPerTest } from './helpers.js';

const start = systemPerTest();
const engine = (name: string) => new URL(`../dist/examples/desk/engines/${name}.js`, import.meta.url);
const KERNELS = { threads: 1, backends: ['js', 'native'] as ('js' | 'native')[], calibrationFile: false as const, auto: { 'var.historical': 'js' as const, 'var.montecarlo': 'js' as const } };

/** Every message published on `pattern`, in order of arrival. */
async function collect<T>(system: System, pattern: string): Promise<T[]> {
  const seen: T[] = [];
  const off = system.subscribe(pattern, (msg) => seen.push(msg as T));
  await off.ready;
  return seen;
}

const tick = (sym: number, ts: number, px: number): TickValues => ({ ts, px, qty: 100, bid: px - 0.01, ask: px + 0.01, sym, side: 1 });
const factor = (sym: string, momentum: number): FactorUpdate => ({ sym, ts: 0, momentum, volatility: 0.001, zscore: 1, beta: 1 });

describe('the trading engines together', () => {
  it('strategy orders, collateral approves and refuses, portfolio books the fills, risk prices the book, analytics reports', async () => {
    const { system } = await start({ kernels: KERNELS, caches: { [DESK_CACHE]: { maxBytes: 16 << 20 } } });
    const desk = system.cache(DESK_CACHE);
    desk.set(CacheKeys.config('risk'), { minBars: 5, everyBars: 5, paths: 2000 });
    desk.set(CacheKeys.config('collateral'), { maxOrderNotional: 50_000 });
    for (const name of ['portfolio', 'collateral', 'risk', 'analytics', 'strategy']) await system.spawn(name, engine(name));
    const orders = await collect<Order>(system, 'orders.*');
    const fills = await collect<Fill>(system, 'fills.*');
    const pnls = await collect<PnlUpdate>(system, Topics.pnl);
    const alerts = await collect<RiskAlert>(system, 'risk.alert.*');
    const performances = await collect<Performance>(system, Topics.performance);
    const replica = new BarWindow({ capacity: 500, maxSymbols: 16, barMs: 1000 });
    const ticks: Array<[string, TickValues]> = [];
    const publishTick = (sym: string, t: TickValues) => {
      ticks.push([sym, t]);
      system.publishRecord(Topics.tick(sym), Tick, t);
    };

    // 1. AAPL and MSFT quoted, both rising; the model says up (0.7: confidence 0.4, at the
    // reference volatility a target of 400). AAPL: buy 400 at the ask 100.01 (40,004: approved);
    // MSFT: buy 400 at 400.01 (160,004: over the 50,000 per-order limit).
    publishTick('AAPL', tick(0, 1000, 100));
    publishTick('MSFT', tick(1, 1000, 400));
    for (const sym of ['AAPL', 'MSFT']) {
      desk.set(CacheKeys.factor(sym), factor(sym, 0.01)); // as the factor engine does
      system.publish(Topics.factor(sym), factor(sym, 0.01));
    }
    system.publish(Topics.prediction('AAPL'), { sym: 'AAPL', ts: 1000, pUp: 0.7, backend: 'js' });
    system.publish(Topics.prediction('MSFT'), { sym: 'MSFT', ts: 1000, pUp: 0.7, backend: 'js' });
    const strategy = system.ref('strategy');
    await eventually(() => strategy.ask({ type: 'book?' }), (b: any) => b.orders === 2 && b.approved + b.refused === 2);
    expect(orders).toEqual([
      { id: 1, sym: 'AAPL', side: 1, qty: 400, px: 100.01, ts: 1000, reason: 'long: pUp 0.7, momentum 0.01' },
      { id: 2, sym: 'MSFT', side: 1, qty: 400, px: 400.01, ts: 1000, reason: 'long: pUp 0.7, momentum 0.01' },
    ]);
    expect(await system.ref('collateral').ask({ type: 'checks?' })).toEqual({ approved: 1, refused: 1, lastRefusal: 'order notional 160004 exceeds the per-order limit 50000' });
    const portfolio = system.ref('portfolio');
    const afterBuy = (await eventually(() => portfolio.ask({ type: 'positions?' }), (p: any) => p.version === 1)) as PnlUpdate;
    // marked at the trade (100) that came before the fill: 400 x (100 - 100.01) = -4
    expect(afterBuy).toMatchObject({ version: 1, realized: 0, positions: { AAPL: 400 }, marks: { AAPL: 100 }, gross: 40_000, net: 40_000 });
    expect(afterBuy.unrealized).toBeCloseTo(-4, 9);

    // 2. Thirty seconds of prices: risk's window fills, and every 5 bars it prices the book
    // (400 AAPL) by the kernels. Its figures are the logic's on the same window.
    const rng = new Rng(7);
    const px = [100, 400];
    for (let s = 2; s <= 31; s++) {
      px.forEach((p, i) => (px[i] = Math.round(p * (1 + 0.002 * rng.normal()) * 100) / 100));
      publishTick('AAPL', tick(0, s * 1000, px[0]!));
      publishTick('MSFT', tick(1, s * 1000, px[1]!));
    }
    const risk = system.ref('risk');
    const update = (await eventually(() => risk.ask({ type: 'var?' }), (u: any) => u.scenarios >= 26, 15_000)) as RiskUpdate;
    for (const [sym, t] of ticks) {
      if (replica.bars === update.scenarios) break;
      replica.onTick(sym, t.px, t.ts);
    }
    const expected = historicalVar(replica.window([replica.column('AAPL')]), replica.rows, 1, [400 * replica.lastPrice('AAPL')]);
    expect(update).toMatchObject({ positionsVersion: 1, method: 'historical', backend: 'auto' });
    expect(update.var95).toBeCloseTo(expected.var[0]!, 9);
    expect(update.var99).toBeCloseTo(expected.var[1]!, 9);
    expect(update.es95).toBeCloseTo(expected.es[0]!, 9);
    expect(update.es99).toBeCloseTo(expected.es[1]!, 9);
    expect(update.var99).toBeGreaterThan(0);
    expect(update.montecarlo).toMatchObject({ scenarios: 2000 });
    expect(update.montecarlo!.var99).toBeGreaterThan(0);
    // computed once, kept under its key (positions version 1, that bar), and the latest in the cache
    expect(desk.get(CacheKeys.riskOf(1, update.scenarios))).toEqual(update);

    // 3. AAPL turns toxic: risk alerts, and the next prediction flattens (sell 400 at the bid
    // 101.99: reducing, so approved): realized (101.99 - 100.01) x 400 = 792.
    publishTick('AAPL', { ts: 40_000, px: 102, qty: 100, bid: 101.99, ask: 102.01, sym: 0, side: -1 });
    system.publish(Topics.enhancedVpin('AAPL'), { sym: 'AAPL', ts: 40_000, bucketVolume: 1000, vpin: 0.6, cdf: 0.98, toxic: true, backend: 'js' });
    system.publish(Topics.prediction('AAPL'), { sym: 'AAPL', ts: 40_000, pUp: 0.7, backend: 'js' });
    const final = (await eventually(() => portfolio.ask({ type: 'positions?' }), (p: any) => p.version === 2)) as PnlUpdate;
    expect(final).toMatchObject({ positions: { AAPL: 0 }, unrealized: 0, gross: 0 });
    expect(final.realized).toBeCloseTo(792, 9);
    expect(final.total).toBeCloseTo(792, 9);
    expect(orders[2]).toEqual({ id: 3, sym: 'AAPL', side: -1, qty: 400, px: 101.99, ts: 40_000, reason: 'flatten: toxic flow (cdf 0.98)' });
    expect(fills).toEqual([
      { orderId: 1, sym: 'AAPL', side: 1, qty: 400, px: 100.01, ts: 1000 },
      { orderId: 3, sym: 'AAPL', side: -1, qty: 400, px: 101.99, ts: 40_000 },
    ]);
    await eventually(() => alerts.length, (n) => n === 1);
    expect(alerts[0]).toEqual({ sym: 'AAPL', ts: 40_000, level: 2, vpin: 0.6, cdf: 0.98 });
    expect(await strategy.ask({ type: 'book?' })).toEqual({ orders: 3, approved: 2, refused: 1, failed: 0, positions: { AAPL: 0 } });
    expect(desk.get(CacheKeys.pnl)).toMatchObject({ version: 2, positions: { AAPL: 0 } });

    // 4. Analytics: what the logic makes of the same P&L stream and fills; and its timer publishes it.
    const tracker = new PerformanceTracker();
    await eventually(() => pnls.at(-1)?.version, (v) => v === 2);
    pnls.forEach((u) => tracker.onPnl(u));
    fills.forEach((f) => tracker.onFill(f));
    const perf = tracker.performance();
    expect(perf).toMatchObject({ trades: 2, hitRate: 1 });
    expect(perf.turnover).toBeCloseTo(400 * 100.01 + 400 * 101.99, 9);
    expect(await eventually(() => system.ref('analytics').ask({ type: 'performance?' }), (p: any) => p.trades === 2 && p.pnl === final.total)).toEqual(perf);
    await eventually(() => performances.at(-1)?.trades, (n) => n === 2, 3000);
  });

  it('an order whose check fails (no collateral engine) is not sent, and is counted', async () => {
    const { system } = await start({ kernels: KERNELS, askTimeoutMs: 500, caches: { [DESK_CACHE]: {} } });
    const strategy = await system.spawn('strategy', engine('strategy'));
    const fills = await collect<Fill>(system, 'fills.*');
    system.publishRecord(Topics.tick('AAPL'), Tick, tick(0, 1000, 100));
    system.publish(Topics.factor('AAPL'), factor('AAPL', 0.01));
    system.publish(Topics.prediction('AAPL'), { sym: 'AAPL', ts: 1000, pUp: 0.7, backend: 'js' });
    expect(await eventually(() => strategy.ask({ type: 'book?' }), (b: any) => b.failed === 1)).toEqual({ orders: 1, approved: 0, refused: 0, failed: 1, positions: {} });
    expect(fills).toEqual([]);
  });

  it("strategy killed (a drill) keeps its positions, counts and order ids: it does not buy its target again", async () => {
    const { system } = await start({ kernels: KERNELS, caches: { [DESK_CACHE]: {} } });
    for (const name of ['portfolio', 'collateral', 'strategy']) await system.spawn(name, engine(name));
    const orders = await collect<Order>(system, 'orders.*');
    const strategy = system.ref('strategy');
    system.publishRecord(Topics.tick('AAPL'), Tick, tick(0, 1000, 100));
    system.publish(Topics.factor('AAPL'), factor('AAPL', 0.01));
    system.publish(Topics.prediction('AAPL'), { sym: 'AAPL', ts: 1000, pUp: 0.7, backend: 'js' });
    const before = await eventually(() => strategy.ask({ type: 'book?' }), (b: any) => b.approved === 1);
    expect(before).toEqual({ orders: 1, approved: 1, refused: 0, failed: 0, positions: { AAPL: 400 } });
    // A hard crash restores the last snapshot, taken when the engine goes idle (at most every
    // snapshotIntervalMs, 100 ms): give it that idle moment, as a live desk between predictions.
    await new Promise((r) => setTimeout(r, 300));
    expect(system.kill('strategy', 'drill')).toBe(true);
    await eventually(() => system.stats().actors.strategy!, (a) => a.restarts === 1 && a.state === 'running');
    expect(await strategy.ask({ type: 'book?' })).toEqual(before);
    // The same signal after the cooldown: already at its target, it orders nothing; a new symbol
    // gets the next id, not id 1 again.
    system.publishRecord(Topics.tick('MSFT'), Tick, tick(1, 4000, 100));
    system.publish(Topics.factor('MSFT'), factor('MSFT', 0.01));
    system.publish(Topics.prediction('AAPL'), { sym: 'AAPL', ts: 4000, pUp: 0.7, backend: 'js' });
    system.publish(Topics.prediction('MSFT'), { sym: 'MSFT', ts: 4000, pUp: 0.7, backend: 'js' });
    await eventually(() => strategy.ask({ type: 'book?' }), (b: any) => b.orders === 2 && b.approved === 2);
    expect(orders.map((o) => [o.id, o.sym, o.qty])).toEqual([[1, 'AAPL', 400], [2, 'MSFT', 400]]);
    expect(((await system.ref('portfolio').ask({ type: 'positions?' })) as PnlUpdate).positions).toEqual({ AAPL: 400, MSFT: 400 });
  });

  it('the pool kernel gives the VaR/ES of the logic for the same matrix (js and native)', async () => {
    const { system } = await start({ kernels: KERNELS });
    const rng = new Rng(11);
    const t = 500;
    const n = 5;
    const returns = sharedArray(Float64Array, t * n);
    for (let i = 0; i < returns.length; i++) returns[i] = 0.01 * rng.normal();
    const weights = sharedArray(Float64Array, n);
    weights.set([40_000, -25_000, 10_000, 60_000, -5_000]);
    const expected = historicalVar(returns, t, n, weights);
    const backends = (await system.kernels.backends()).native.available ? ['js', 'native'] : ['js'];
    for (const backend of backends) {
      const r = await system.kernels.run<{ var: Float64Array; es: Float64Array }>('var.historical', { returns, t, n, weights }, { backend: backend as 'js' });
      for (let i = 0; i < 2; i++) {
        expect(r.var[i]).toBeCloseTo(expected.var[i]!, 6);
        expect(r.es[i]).toBeCloseTo(expected.es[i]!, 6);
      }
    }
  });
});
