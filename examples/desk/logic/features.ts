// The model's input row per symbol: four numbers from the recent tape and four from the symbol's
// factors, each scaled so that a typical value is of order 1 (the network was drawn for inputs of
// unit scale: N(0, 1) features give it a spread of outputs, not a pinned sigmoid).
import type { FactorUpdate, TickValues } from '../contract.js';

export interface FeatureOptions {
  /** Trades kept per symbol (the tape the first four features read). */
  tapeLength?: number;
  /** At most one row per symbol per this many ms of the ticks' clock. */
  everyMs?: number;
}

export const FEATURE_DEFAULTS = Object.freeze({ tapeLength: 50, everyMs: 100 });

/** The model's 8 inputs in order (DESK_MODEL_FEATURES). */
export const FEATURE_NAMES = Object.freeze(['tapeReturn', 'imbalance', 'spread', 'intensity', 'momentum', 'volatility', 'zscore', 'beta'] as const);

/**
 * What one unit of each scaled feature is, and the clamp (a feed-time outlier, say a 5% block
 * print, must not drive the network far outside what it does elsewhere):
 * - tapeReturn = ln(last px / oldest px on the tape) / 10 bps, in [-3, 3]
 * - imbalance = sum(signed qty) / sum(qty) on the tape, in [-1, 1] as it is (sign: the trade's side,
 *   or for side 0 the tick rule: up +1, down -1, unchanged the previous sign)
 * - spread = (ask - bid) / mid in bps / 10 bps, in [0, 3]; 0 when the quote is unknown (bid = ask = px)
 * - intensity = ln(1 + trades per second on the tape) / ln(1 + 100): 100 trades/s is 1, in [0, 3]
 * - momentum / 1%, volatility / 10 bps (per bar), zscore / 2, beta - 1: each in [-3, 3]
 *   (volatility in [0, 3]); all four 0 while the symbol has no factors yet.
 */
export const FEATURE_SCALES = Object.freeze({ tapeReturn: 1e-3, spreadBps: 10, intensityRef: 100, momentum: 1e-2, volatility: 1e-3, zscore: 2 });

interface Tape {
  ts: Float64Array;
  px: Float64Array;
  qty: Float64Array;
  signed: Float64Array;
  /** Trades recorded ever; the ring holds the last `length`. */
  count: number;
  lastSign: number;
  bid: number;
  ask: number;
  lastEmit: number;
}

export class FeatureBuilder {
  readonly tapeLength: number;
  readonly everyMs: number;
  private readonly tapes = new Map<string, Tape>();

  constructor(options: FeatureOptions = {}) {
    this.tapeLength = options.tapeLength ?? FEATURE_DEFAULTS.tapeLength;
    this.everyMs = options.everyMs ?? FEATURE_DEFAULTS.everyMs;
    if (!Number.isSafeInteger(this.tapeLength) || this.tapeLength < 2) throw new RangeError(`FeatureBuilder: tapeLength must be an integer >= 2; got ${this.tapeLength}`);
  }

  /** Adds a trade to the symbol's tape; true when a row is due (two trades at least, everyMs since the last row). */
  onTrade(sym: string, t: Pick<TickValues, 'ts' | 'px' | 'qty' | 'bid' | 'ask' | 'side'>): boolean {
    let tape = this.tapes.get(sym);
    if (tape === undefined) this.tapes.set(sym, (tape = this.newTape()));
    const n = this.tapeLength;
    const prevPx = tape.count > 0 ? tape.px[(tape.count - 1) % n] : t.px;
    let sign = t.side > 0 ? 1 : t.side < 0 ? -1 : t.px > prevPx ? 1 : t.px < prevPx ? -1 : tape.lastSign;
    if (t.side === 0 && tape.count === 0) sign = 0;
    tape.lastSign = sign;
    const i = tape.count % n;
    tape.ts[i] = t.ts;
    tape.px[i] = t.px;
    tape.qty[i] = t.qty;
    tape.signed[i] = sign * t.qty;
    tape.bid = t.bid;
    tape.ask = t.ask;
    tape.count++;
    if (t.ts < tape.lastEmit) tape.lastEmit = -Infinity; // time went back: a new replay
    return tape.count >= 2 && t.ts - tape.lastEmit >= this.everyMs;
  }

  /** The row of the symbol now, with its factors (undefined: none yet); counts as emitted. */
  row(sym: string, factor: Pick<FactorUpdate, 'momentum' | 'volatility' | 'zscore' | 'beta'> | undefined): number[] {
    const tape = this.tapes.get(sym);
    if (tape === undefined) throw new Error(`FeatureBuilder: no trade of ${sym} yet`);
    const n = this.tapeLength;
    const kept = Math.min(tape.count, n);
    const newest = (tape.count - 1) % n;
    const oldest = (tape.count - kept) % n;
    let qty = 0;
    let signed = 0;
    for (let k = 0; k < kept; k++) {
      qty += tape.qty[k];
      signed += tape.signed[k];
    }
    const spanSec = (tape.ts[newest] - tape.ts[oldest]) / 1000;
    const rate = kept >= 2 ? (kept - 1) / Math.max(spanSec, 1e-3) : 0;
    const mid = (tape.bid + tape.ask) / 2;
    const spreadBps = mid > 0 ? ((tape.ask - tape.bid) / mid) * 1e4 : 0;
    tape.lastEmit = tape.ts[newest];
    const S = FEATURE_SCALES;
    return [
      clamp(Math.log(tape.px[newest] / tape.px[oldest]) / S.tapeReturn, -3, 3),
      qty > 0 ? signed / qty : 0,
      clamp(spreadBps / S.spreadBps, 0, 3),
      clamp(Math.log1p(rate) / Math.log1p(S.intensityRef), 0, 3),
      factor ? clamp(factor.momentum / S.momentum, -3, 3) : 0,
      factor ? clamp(factor.volatility / S.volatility, 0, 3) : 0,
      factor ? clamp(factor.zscore / S.zscore, -3, 3) : 0,
      factor ? clamp(factor.beta - 1, -3, 3) : 0,
    ];
  }

  private newTape(): Tape {
    const n = this.tapeLength;
    return { ts: new Float64Array(n), px: new Float64Array(n), qty: new Float64Array(n), signed: new Float64Array(n), count: 0, lastSign: 0, bid: 0, ask: 0, lastEmit: -Infinity };
  }
}

/** NaN (a factor not yet defined) becomes 0: the network must never see NaN. */
function clamp(v: number, lo: number, hi: number): number {
  return Number.isNaN(v) ? 0 : Math.min(hi, Math.max(lo, v));
}
