// The "enhanced" part of enhanced VPIN: where a new VPIN value stands in the symbol's own history
// (Easley, Lopez de Prado and O'Hara flag toxicity by CDF(VPIN), not by a fixed VPIN level, since
// levels differ from one market to the next).

export interface VpinCdfOptions {
  /** Past values kept (the oldest leaves first). */
  window?: number;
  /** Toxic when the CDF is above this. */
  toxicAbove?: number;
  /** No verdict of toxicity before this many past values: a CDF over three values means little. */
  minHistory?: number;
}

export const VPIN_CDF_DEFAULTS = Object.freeze({ window: 2_000, toxicAbove: 0.9, minHistory: 20 });

export interface CdfVerdict {
  /** Share of the past values at or below this one; NaN with no past values. */
  cdf: number;
  toxic: boolean;
}

/**
 * A bounded window of past VPIN values, kept twice: in arrival order (a ring: who leaves next) and
 * sorted (binary search: how many are at or below a value). add() is O(log w) to search and O(w) to
 * shift the sorted array, fine for w in the thousands at one value per bucket.
 */
export class VpinCdf {
  readonly window: number;
  readonly toxicAbove: number;
  readonly minHistory: number;
  private readonly sorted: number[] = [];
  private readonly arrival: Float64Array;
  private count = 0;

  constructor(options: VpinCdfOptions = {}) {
    this.window = options.window ?? VPIN_CDF_DEFAULTS.window;
    this.toxicAbove = options.toxicAbove ?? VPIN_CDF_DEFAULTS.toxicAbove;
    this.minHistory = options.minHistory ?? VPIN_CDF_DEFAULTS.minHistory;
    if (!Number.isSafeInteger(this.window) || this.window <= 0) throw new RangeError(`VpinCdf: window must be a positive integer; got ${this.window}`);
    this.arrival = new Float64Array(this.window);
  }

  get size(): number {
    return this.sorted.length;
  }

  /**
   * The verdict on `vpin` against the values before it, then `vpin` joins the history. A NaN (VPIN
   * before its window of buckets is full) gets cdf NaN, not toxic, and is not kept.
   */
  add(vpin: number): CdfVerdict {
    if (Number.isNaN(vpin)) return { cdf: NaN, toxic: false };
    const past = this.sorted.length;
    const cdf = past === 0 ? NaN : upperBound(this.sorted, vpin) / past;
    const toxic = past >= this.minHistory && cdf > this.toxicAbove;
    if (this.count >= this.window) {
      const leaving = this.arrival[this.count % this.window];
      this.sorted.splice(lowerBound(this.sorted, leaving), 1);
    }
    this.arrival[this.count % this.window] = vpin;
    this.count++;
    this.sorted.splice(upperBound(this.sorted, vpin), 0, vpin);
    return { cdf, toxic };
  }
}

/** The first index whose value is > v (= how many are <= v). */
function upperBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose value is >= v. */
function lowerBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
