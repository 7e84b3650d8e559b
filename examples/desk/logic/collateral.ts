// Margin and collateral checks of an order against the book as the portfolio last published it.
// Pure logic: the collateral engine feeds it the latest PnlUpdate, volatilities and VaR; the
// backtest feeds it the same from a recorded session.
import type { MarginCheck, Order } from '../contract.js';

export interface CollateralLimits {
  /** Cash the desk started with: equity = startingCash + total P&L. */
  startingCash: number;
  /** Share of equity not counted as collateral (its haircut), in [0, 1). */
  haircut: number;
  /** Margin rate of a symbol with no volatility: initial margin = |notional| x rate. */
  baseMarginRate: number;
  /** How much the rate grows per unit of volatility: rate = base + volMultiplier x volatility. */
  volMultiplier: number;
  /** The rate never exceeds this (1: the whole notional). */
  maxMarginRate: number;
  /** The volatility assumed for a symbol the factor engine has not reported yet. */
  defaultVolatility: number;
  /** One order's notional (qty x px) at most. */
  maxOrderNotional: number;
  /** The book's gross exposure (sum of |qty x price|) after an order at most. */
  maxGross: number;
  /** No new exposure while VaR99 is above this. */
  varLimit: number;
}

export const DEFAULT_COLLATERAL_LIMITS: Readonly<CollateralLimits> = Object.freeze({
  startingCash: 1_000_000,
  haircut: 0.1,
  baseMarginRate: 0.1,
  volMultiplier: 100,
  maxMarginRate: 1,
  defaultVolatility: 0.001,
  maxOrderNotional: 250_000,
  maxGross: 2_000_000,
  varLimit: 50_000,
});

/** What the check needs of the book: the portfolio's PnlUpdate carries all of it. */
export interface BookView {
  positions: Record<string, number>;
  marks: Record<string, number>;
  /** Total P&L (realized + unrealized). */
  total: number;
}

export const EMPTY_BOOK: BookView = Object.freeze({ positions: {}, marks: {}, total: 0 }) as BookView;

/** A symbol's margin rate: grows linearly with its volatility, capped. */
export function marginRate(volatility: number | undefined, limits: CollateralLimits): number {
  const vol = volatility !== undefined && Number.isFinite(volatility) ? Math.max(0, volatility) : limits.defaultVolatility;
  return Math.min(limits.maxMarginRate, limits.baseMarginRate + limits.volMultiplier * vol);
}

/**
 * An order reduces exposure when its symbol's position ends no larger and on the same side (or
 * flat): such an order is always allowed, whatever the limits say, so a desk over its limits can
 * always get back under them. A flip opens a new position and is checked like any other order.
 */
export function reducesExposure(order: Order, book: BookView): boolean {
  const before = book.positions[order.sym] ?? 0;
  const after = before + order.side * order.qty;
  return Math.abs(after) <= Math.abs(before) && after * before >= 0;
}

/**
 * Checks one order. The book after the order is the book with the order's quantity added, its
 * symbol priced at the order's limit price (the newest price there is), the others at their marks.
 * Refusals, in this order, each naming the limit: per-order notional, gross exposure, VaR,
 * collateral (available = equity x (1 - haircut) - initial margin of the whole book after it < 0).
 */
export function checkOrder(
  order: Order,
  book: BookView,
  volatilityOf: (sym: string) => number | undefined,
  var99: number,
  limits: CollateralLimits,
): MarginCheck {
  const after: Record<string, number> = { ...book.positions };
  after[order.sym] = (after[order.sym] ?? 0) + order.side * order.qty;
  let gross = 0;
  let initialMargin = 0;
  for (const [sym, qty] of Object.entries(after)) {
    const px = sym === order.sym ? order.px : (book.marks[sym] ?? 0);
    const exposure = Math.abs(qty * px);
    gross += exposure;
    initialMargin += exposure * marginRate(volatilityOf(sym), limits);
  }
  const equity = limits.startingCash + book.total;
  const available = equity * (1 - limits.haircut) - initialMargin;
  const figures = { initialMargin, available };
  if (reducesExposure(order, book)) return { ok: true, ...figures };

  const notional = order.qty * order.px;
  if (notional > limits.maxOrderNotional) {
    return { ok: false, reason: `order notional ${round(notional)} exceeds the per-order limit ${limits.maxOrderNotional}`, ...figures };
  }
  if (gross > limits.maxGross) {
    return { ok: false, reason: `gross exposure after the order ${round(gross)} exceeds the gross limit ${limits.maxGross}`, ...figures };
  }
  if (var99 > limits.varLimit) {
    return { ok: false, reason: `VaR99 ${round(var99)} exceeds the VaR limit ${limits.varLimit}`, ...figures };
  }
  if (available < 0) {
    return { ok: false, reason: `initial margin ${round(initialMargin)} exceeds the collateral ${round(equity * (1 - limits.haircut))} (equity after a ${limits.haircut} haircut)`, ...figures };
  }
  return { ok: true, ...figures };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
