// The desk's contract: the market-data record, the topics, and the messages the 13 engines
// exchange. Every engine and the host import their shapes from here, so a change of shape is one
// edit and the compiler finds every reader.
import { defineRecord, type RecordValues } from 'dualbus';

/**
 * The symbols of the synthetic market. A CSV replay brings its own symbols: `Tick.sym` is then the
 * index in that run's table, so engines take a symbol's name from the topic (`symbolOf(ctx.topic)`),
 * never from SYMBOLS[sym].
 */
export const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'META', 'TSLA', 'GOOG', 'JPM'] as const;

/** The symbol of a per-symbol topic: `md.AAPL` -> `AAPL`, `risk.alert.AAPL` -> `AAPL`. */
export function symbolOf(topic: string): string {
  return topic.slice(topic.lastIndexOf('.') + 1);
}

/**
 * One trade print, published on `md.<SYM>` as a record (written field by field into the rings).
 * `ts` is the trade time in milliseconds since the epoch (the simulated clock for synthetic data);
 * `side` is +1 buyer-initiated, -1 seller-initiated, 0 unknown (a CSV without a side: VPIN then
 * classifies by bulk volume); `bid`/`ask` are the quote at the trade (equal to `px` when unknown).
 */
const TICK_FIELDS = { ts: 'f64', px: 'f64', qty: 'f64', bid: 'f64', ask: 'f64', sym: 'u16', side: 'i8' } as const;
export const Tick = defineRecord(TICK_FIELDS, { name: 'desk-tick' });
export type TickValues = RecordValues<typeof TICK_FIELDS>;

/** Topics: one place for their names. `<SYM>` is the symbol's name. */
export const Topics = {
  tick: (sym: string) => `md.${sym}`,
  vpin: (sym: string) => `vpin.${sym}`,
  enhancedVpin: (sym: string) => `vpin-x.${sym}`,
  factor: (sym: string) => `factor.${sym}`,
  prediction: (sym: string) => `ml.${sym}`,
  order: (sym: string) => `orders.${sym}`,
  fill: (sym: string) => `fills.${sym}`,
  riskAlert: (sym: string) => `risk.alert.${sym}`,
  risk: 'risk.var',
  pnl: 'portfolio.pnl',
  performance: 'analytics.performance',
  /** The websocket engine's conflated views: `view.<original topic>`. */
  view: (topic: string) => `view.${topic}`,
} as const;

/** The shared cache every engine of a host reads (`ctx.cache(DESK_CACHE)`), and its keys. */
export const DESK_CACHE = 'desk';
export const CacheKeys = {
  /** The latest FactorUpdate of a symbol. */
  factor: (sym: string) => `factor:${sym}`,
  /** The latest RiskUpdate. */
  risk: 'risk:var',
  /**
   * The VaR of one positions version (and, given, of one bar of the returns window: the same
   * positions over newer bars are another figure): computed once (memo) however many engines ask.
   */
  riskOf: (positionsVersion: number, bar?: number) => (bar === undefined ? `risk:var:${positionsVersion}` : `risk:var:${positionsVersion}:${bar}`),
  /** The latest PnlUpdate. */
  pnl: 'portfolio:pnl',
  /** The latest enhanced VPIN of a symbol. */
  toxicity: (sym: string) => `vpin-x:${sym}`,
  /** The latest prediction of a symbol. */
  prediction: (sym: string) => `ml:${sym}`,
  /**
   * An engine's settings, set by the host before it spawns the engine (an object merged over the
   * engine's defaults; read at every start, so a restarted engine keeps them).
   */
  config: (engine: string) => `config:${engine}`,
} as const;

/** vpin -> `vpin.<SYM>`: one completed bucket of one bucket size. */
export interface VpinUpdate {
  sym: string;
  ts: number;
  bucketVolume: number;
  /** VPIN over the last `window` buckets of this size; NaN until that many exist. */
  vpin: number;
  buckets: number;
}

/** enhanced-vpin -> `vpin-x.<SYM>`: VPIN by the pool's kernel, with its CDF over its own history. */
export interface EnhancedVpinUpdate {
  sym: string;
  ts: number;
  bucketVolume: number;
  vpin: number;
  /** The share of this symbol's past VPIN values at or below this one (Easley et al.'s CDF(VPIN)). */
  cdf: number;
  /** cdf above the toxicity threshold: strategy stops opening positions in this symbol. */
  toxic: boolean;
  backend: string;
}

/** factor -> `factor.<SYM>` and the cache: rolling factors of one symbol on bar closes. */
export interface FactorUpdate {
  sym: string;
  ts: number;
  /** Log return over the momentum window. */
  momentum: number;
  /** EWMA volatility of bar log returns. */
  volatility: number;
  /** (last price - rolling mean) / rolling std. */
  zscore: number;
  /** Beta of the symbol's bar returns to the equal-weighted market's. */
  beta: number;
}

/** features -> ml (send): one model input row. */
export interface FeatureRow {
  type: 'features';
  sym: string;
  ts: number;
  /** DESK_MODEL_FEATURES (8) numbers, already scaled. */
  x: number[];
}

/** ml -> `ml.<SYM>`: the model's probability that the next move is up. */
export interface Prediction {
  sym: string;
  ts: number;
  pUp: number;
  backend: string;
}

/** risk -> `risk.var` and the cache. Losses are positive currency amounts. */
export interface RiskUpdate {
  ts: number;
  positionsVersion: number;
  var95: number;
  var99: number;
  es95: number;
  es99: number;
  method: string;
  backend: string;
  scenarios: number;
  /**
   * The same book by Monte Carlo (normal scenarios with the window's mean and covariance), for
   * comparison; absent when it could not run (too few bars, a singular covariance). The figures
   * above, the historical ones, are what the desk acts on: the backtest recomputes them exactly.
   */
  montecarlo?: { var95: number; var99: number; es95: number; es99: number; backend: string; scenarios: number };
}

/** risk -> `risk.alert.<SYM>`: a symbol's flow turned toxic (level 2), or stopped being so (level 0). */
export interface RiskAlert {
  sym: string;
  ts: number;
  level: 0 | 2;
  vpin: number;
  cdf: number;
}

export interface Order {
  id: number;
  sym: string;
  side: 1 | -1;
  qty: number;
  /** The limit: the ask for a buy, the bid for a sell. */
  px: number;
  ts: number;
  reason: string;
}

export interface Fill {
  orderId: number;
  sym: string;
  side: 1 | -1;
  qty: number;
  px: number;
  ts: number;
}

/** portfolio -> `portfolio.pnl` and the cache. */
export interface PnlUpdate {
  ts: number;
  version: number;
  realized: number;
  unrealized: number;
  total: number;
  gross: number;
  net: number;
  positions: Record<string, number>;
  /** The price each position is marked at: the last trade print, or its first fill's price before any print. */
  marks: Record<string, number>;
}

/** analytics -> `analytics.performance`. */
export interface Performance {
  ts: number;
  pnl: number;
  sharpe: number;
  maxDrawdown: number;
  hitRate: number;
  trades: number;
  turnover: number;
}

/** collateral's answer to `{ type: 'check', order }`. */
export interface MarginCheck {
  ok: boolean;
  reason?: string;
  initialMargin: number;
  available: number;
}
