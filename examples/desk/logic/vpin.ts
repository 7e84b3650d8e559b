// VPIN of one symbol, trade by trade, for several bucket volumes at once (Easley, Lopez de Prado
// and O'Hara 2012). The vpin engine runs one per symbol; the backtest can run the same class.
import type { VpinUpdate } from '../contract.js';
import { normalCdf } from './normal.js';

export interface VpinOptions {
  /** Bucket volumes V, each with its own buckets and VPIN (e.g. [2000, 5000, 20000]). */
  bucketVolumes: readonly number[];
  /** n: buckets per VPIN value. */
  window?: number;
  /** A fixed sigma for bulk classification; default: estimated from the trades (below). */
  sigma?: number;
}

export const VPIN_DEFAULTS = Object.freeze({ bucketVolumes: Object.freeze([2_000, 5_000, 20_000]), window: 50 });

/** One bucket completed by a trade; `vpin` is NaN until `window` buckets of this size exist. */
export type VpinBucket = Omit<VpinUpdate, 'sym'>;

/** The buckets of one bucket volume: the one being filled and the last n imbalances. */
class BucketSeries {
  fill = 0;
  buy = 0;
  done = 0;
  /** |V_B - V_S| of the last `window` buckets, a ring indexed by done mod window. */
  readonly imbalance: Float64Array;

  constructor(readonly volume: number, readonly window: number) {
    this.imbalance = new Float64Array(window);
  }

  /** Pours `qty` of which the share `buyShare` is buyer-initiated; a trade crossing a boundary is split pro rata. */
  add(ts: number, qty: number, buyShare: number, out: VpinBucket[]): void {
    let remaining = qty;
    while (remaining > 0) {
      const room = this.volume - this.fill;
      // Completion compares against the room left, not fill === V: the sum need not round to V exactly.
      const completes = remaining >= room;
      const part = completes ? room : remaining;
      this.buy += part * buyShare;
      remaining -= part;
      if (!completes) {
        this.fill += part;
        return;
      }
      out.push(this.close(ts));
    }
  }

  private close(ts: number): VpinBucket {
    const V = this.volume;
    const n = this.window;
    this.imbalance[this.done % n] = Math.abs(2 * this.buy - V); // |V_B - V_S| with V_S = V - V_B
    this.done++;
    this.fill = 0;
    this.buy = 0;
    let vpin = NaN;
    if (this.done >= n) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += this.imbalance[k]; // afresh each time: no drift over a long stream
      vpin = sum / (n * V);
    }
    return { ts, bucketVolume: V, vpin, buckets: this.done };
  }
}

/**
 * Classification: a trade with side +1 is all buy volume, -1 all sell volume. A trade with side 0
 * (unknown: a CSV without a side) is classified by bulk volume: its buy share is Phi(dp / sigma),
 * dp its price minus the previous trade's price (any side), sigma the sample standard deviation
 * (n - 1) of all those trade-to-trade changes so far, this one included (Welford), or the fixed
 * `sigma` option. The first trade (no dp), fewer than two changes, or sigma = 0 with dp = 0 give 0.5;
 * sigma = 0 with a move gives 1 or 0.
 *
 * Buckets: each bucket volume V fills in trade order; the trade that completes a bucket is split,
 * its remainder (with the same buy share) going into the next bucket (and the next: one large trade
 * may complete several). VPIN after a bucket = the sum of the last n |V_B - V_S| / (n V).
 */
export class VpinBuckets {
  private readonly series: BucketSeries[];
  private readonly sigma: number | undefined;
  private prevPx = NaN;
  private dpCount = 0;
  private dpMean = 0;
  private dpM2 = 0;

  constructor(options: VpinOptions) {
    const window = options.window ?? VPIN_DEFAULTS.window;
    if (!Number.isSafeInteger(window) || window <= 0) throw new RangeError(`VpinBuckets: window must be a positive integer; got ${window}`);
    if (options.bucketVolumes.length === 0 || !options.bucketVolumes.every((v) => v > 0 && Number.isFinite(v))) {
      throw new RangeError(`VpinBuckets: bucketVolumes must be finite numbers > 0; got [${options.bucketVolumes.join(', ')}]`);
    }
    this.series = options.bucketVolumes.map((v) => new BucketSeries(v, window));
    this.sigma = options.sigma;
  }

  /** Adds one trade; returns the buckets it completed, in bucket-volume order then time order. */
  onTrade(ts: number, px: number, qty: number, side: number): VpinBucket[] {
    const share = side > 0 ? 1 : side < 0 ? 0 : undefined;
    const buyShare = this.observePrice(px, share === undefined) ?? share ?? 0.5;
    const out: VpinBucket[] = [];
    if (!(qty > 0)) return out;
    for (const s of this.series) s.add(ts, qty, buyShare, out);
    return out;
  }

  /** Tracks the trade-to-trade price changes; returns the bulk buy share when asked for one. */
  private observePrice(px: number, classify: boolean): number | undefined {
    const prev = this.prevPx;
    this.prevPx = px;
    if (Number.isNaN(prev)) return classify ? 0.5 : undefined;
    const dp = px - prev;
    this.dpCount++;
    const delta = dp - this.dpMean;
    this.dpMean += delta / this.dpCount;
    this.dpM2 += delta * (dp - this.dpMean);
    if (!classify) return undefined;
    const sigma = this.sigma ?? (this.dpCount >= 2 ? Math.sqrt(this.dpM2 / (this.dpCount - 1)) : NaN);
    if (Number.isNaN(sigma)) return 0.5;
    if (sigma === 0) return dp === 0 ? 0.5 : dp > 0 ? 1 : 0;
    return normalCdf(dp / sigma);
  }
}
