// The desk's trading rule and the little state around it (latest signals, own positions, cooldowns,
// order numbers). Pure logic: the strategy engine and the backtest drive it the same way.
import type { EnhancedVpinUpdate, FactorUpdate, Fill, MarginCheck, Order, Prediction, RiskUpdate, VpinUpdate } from '../contract.js';

/** The latest of everything the rule reads about one symbol; a field is undefined until first seen. */
export interface SymbolSignals {
  pUp?: number;
  momentum?: number;
  zscore?: number;
  volatility?: number;
  toxic?: boolean;
  cdf?: number;
  vpin?: number;
  bid?: number;
  ask?: number;
  /** The desk's VaR99 (one figure for the whole book; the same in every symbol's signals). */
  var99?: number;
}

export interface StrategyLimits {
  /** Long above this pUp, short below `shortBelow`. */
  longAbove: number;
  shortBelow: number;
  /** VaR99 above this: flatten, open nothing. */
  varLimit: number;
  /** Shares at full confidence (pUp 0 or 1) and reference volatility, before the cap. */
  baseQty: number;
  /** The volatility at which the size is baseQty x confidence; unknown volatility counts as this. */
  refVolatility: number;
  /** A position never exceeds this many shares either way. */
  maxQty: number;
  /** Sizes are whole lots; an order smaller than a lot is not sent. */
  lot: number;
  /** After an order in a symbol (approved or not: a refused order is not retried at once), none in it for this long (message time, ms). */
  cooldownMs: number;
}

export const DEFAULT_STRATEGY_LIMITS: Readonly<StrategyLimits> = Object.freeze({
  longAbove: 0.55,
  shortBelow: 0.45,
  varLimit: 50_000,
  baseQty: 1_000,
  refVolatility: 0.001,
  maxQty: 1_000,
  lot: 10,
  cooldownMs: 2_000,
});

export interface Decision {
  /** The position the rule wants. */
  target: number;
  /** target - position: what to trade (signed; at least a lot either way). */
  delta: number;
  /** Why, in a few words (goes on the order). */
  reason: string;
}

/**
 * The rule, one symbol at a time:
 * 1. toxic flow (enhanced VPIN's CDF over its threshold) or VaR99 over the limit: flatten (target 0);
 * 2. pUp > longAbove, momentum > 0 (and VaR under the limit, by 1): long;
 * 3. pUp < shortBelow, momentum < 0: short;
 * 4. otherwise: keep what we have (no opinion).
 * The size of 2 and 3 grows with confidence (|pUp - 0.5| x 2, from 0 to 1) and falls with
 * volatility: baseQty x confidence x refVolatility / volatility, rounded down to whole lots and
 * capped at maxQty. No prediction or no momentum yet: no opinion. The order is target - position;
 * less than a lot is not worth an order. Undefined: nothing to trade.
 */
export function decide(s: SymbolSignals, position: number, limits: StrategyLimits): Decision | undefined {
  const var99 = s.var99 ?? 0;
  let target: number;
  let reason: string;
  if (s.toxic) [target, reason] = [0, `flatten: toxic flow (cdf ${fmt(s.cdf)})`];
  else if (var99 > limits.varLimit) [target, reason] = [0, `flatten: VaR99 ${fmt(var99)} over the limit ${limits.varLimit}`];
  else {
    if (s.pUp === undefined || s.momentum === undefined) return undefined;
    const side = s.pUp > limits.longAbove && s.momentum > 0 ? 1 : s.pUp < limits.shortBelow && s.momentum < 0 ? -1 : 0;
    if (side === 0) return undefined;
    target = side * targetSize(s.pUp, s.volatility, limits);
    reason = `${side > 0 ? 'long' : 'short'}: pUp ${fmt(s.pUp)}, momentum ${fmt(s.momentum)}`;
  }
  const delta = target - position;
  return Math.abs(delta) < limits.lot ? undefined : { target, delta, reason };
}

/** baseQty x confidence x refVol / vol, in whole lots, at most maxQty. */
export function targetSize(pUp: number, volatility: number | undefined, limits: StrategyLimits): number {
  const confidence = Math.min(1, Math.abs(pUp - 0.5) * 2);
  const vol = volatility !== undefined && volatility > 0 ? volatility : limits.refVolatility;
  const raw = (limits.baseQty * confidence * limits.refVolatility) / vol;
  const lots = Math.floor(raw / limits.lot + 1e-9); // 1e-9: 0.3 x 1000 / 10 is 29.999999999999996 in doubles
  return Math.min(limits.maxQty, lots * limits.lot);
}

/**
 * The strategy's state: the signals per symbol, the latest VaR, its own positions (from its fills),
 * the cooldowns and the order counter. `onPrediction` is where orders are born; ids count from 1.
 */
/** What of a Strategy survives a restart of its engine: its positions, counts, next order id and cooldowns. */
export interface StrategySaved {
  positions: Array<[string, number]>;
  counts: Strategy['counts'];
  nextId: number;
  lastOrderTs: Array<[string, number]>;
  var99: number;
}

export class Strategy {
  readonly signals = new Map<string, SymbolSignals>();
  readonly positions = new Map<string, number>();
  var99 = 0;
  /** Orders made, and how collateral answered them (the engine reports these). */
  readonly counts = { orders: 0, approved: 0, refused: 0, failed: 0 };
  private nextId = 1;
  private readonly lastOrderTs = new Map<string, number>();

  constructor(readonly limits: StrategyLimits = DEFAULT_STRATEGY_LIMITS) {}

  /**
   * The engine's snapshot. The signals are left out: they are the latest of streams that keep
   * coming. What must not be lost is what only the strategy knows: its own positions (a restarted
   * strategy that took itself for flat would buy its whole target again), the order ids (never
   * given twice) and the cooldowns.
   */
  save(): StrategySaved {
    return { positions: [...this.positions], counts: { ...this.counts }, nextId: this.nextId, lastOrderTs: [...this.lastOrderTs], var99: this.var99 };
  }

  static restore(saved: StrategySaved, limits: StrategyLimits = DEFAULT_STRATEGY_LIMITS): Strategy {
    const s = new Strategy(limits);
    for (const [sym, qty] of saved.positions) s.positions.set(sym, qty);
    for (const [sym, ts] of saved.lastOrderTs) s.lastOrderTs.set(sym, ts);
    Object.assign(s.counts, saved.counts);
    s.nextId = saved.nextId;
    s.var99 = saved.var99;
    return s;
  }

  of(sym: string): SymbolSignals {
    let s = this.signals.get(sym);
    if (s === undefined) this.signals.set(sym, (s = {}));
    return s;
  }

  onQuote(sym: string, bid: number, ask: number): void {
    const s = this.of(sym);
    s.bid = bid;
    s.ask = ask;
  }

  onFactor(sym: string, f: FactorUpdate): void {
    Object.assign(this.of(sym), { momentum: f.momentum, zscore: f.zscore, volatility: f.volatility });
  }

  onEnhancedVpin(sym: string, v: EnhancedVpinUpdate): void {
    Object.assign(this.of(sym), { toxic: v.toxic, cdf: v.cdf, vpin: v.vpin });
  }

  /** Plain VPIN: kept for display; toxicity comes from the enhanced engine's CDF. */
  onVpin(sym: string, v: VpinUpdate): void {
    if (Number.isFinite(v.vpin)) this.of(sym).vpin = v.vpin;
  }

  onRisk(r: RiskUpdate): void {
    this.var99 = r.var99;
  }

  position(sym: string): number {
    return this.positions.get(sym) ?? 0;
  }

  /**
   * Collateral's answer to an order. Approved: the simulated execution, the whole quantity at the
   * order's limit price (the quote it was priced at), already applied to the strategy's own
   * positions. Refused: counted, no fill.
   */
  onCheck(order: Order, check: MarginCheck): Fill | undefined {
    if (!check.ok) {
      this.counts.refused++;
      return undefined;
    }
    this.counts.approved++;
    const fill: Fill = { orderId: order.id, sym: order.sym, side: order.side, qty: order.qty, px: order.px, ts: order.ts };
    this.onFill(fill);
    return fill;
  }

  /** The check could not be made (collateral down, a timeout): the order is not sent. */
  onCheckFailed(): void {
    this.counts.failed++;
  }

  onFill(fill: Fill): void {
    this.positions.set(fill.sym, this.position(fill.sym) + fill.side * fill.qty);
  }

  /**
   * A prediction arrived: the order that takes the position to the rule's target, or undefined
   * (no opinion, in cooldown, no quote on the side needed, less than a lot to do).
   */
  onPrediction(sym: string, p: Prediction): Order | undefined {
    const s = this.of(sym);
    s.pUp = p.pUp;
    const last = this.lastOrderTs.get(sym);
    if (last !== undefined && p.ts - last < this.limits.cooldownMs) return undefined;
    s.var99 = this.var99;
    const d = decide(s, this.position(sym), this.limits);
    if (d === undefined) return undefined;
    const side = d.delta > 0 ? 1 : -1;
    const px = side > 0 ? s.ask : s.bid;
    if (px === undefined || !(px > 0)) return undefined;
    this.lastOrderTs.set(sym, p.ts);
    this.counts.orders++;
    return { id: this.nextId++, sym, side, qty: Math.abs(d.delta), px, ts: p.ts, reason: d.reason };
  }
}

function fmt(x: number | undefined): string {
  return x === undefined ? '?' : String(Math.round(x * 1e4) / 1e4);
}
