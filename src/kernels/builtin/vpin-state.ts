import { sharedArray } from '../shared-arrays.js';
import { normalCdf } from './normal.js';

/**
 * VPIN with bulk volume classification (Easley, Lopez de Prado and O'Hara, 2012), as one stepping
 * machine whose whole state is a Float64Array: the batch kernel runs it on a fresh state and closes
 * the last bar; the incremental kernel runs it on the caller's state and leaves the last bar open
 * (a bar is only complete once a trade of a later bar arrives). One code path, so the two agree
 * bucket for bucket whatever the chunking.
 *
 * Trades fall into time bars (index floor(time / barSeconds); bars without trades do not exist).
 * A closed bar's price change dp (last price minus the previous bar's; 0 for the very first bar)
 * gives its buy fraction Phi(dp / sigma), sigma given or the expanding sample std of all dp's so far
 * (Welford); its volume fills buckets of `bucketVolume` in order, split across bucket boundaries.
 * Each full bucket records |V_buy - V_sell| = |2 V_buy - V|; VPIN is the mean of the last `buckets`
 * of those over V (NaN until that many exist).
 */

/** Where each field lives in the state array; the ring of the last `buckets` imbalances follows HEADER. */
export const VPIN_STATE = {
  /** 1 once a call recorded the parameters below. */
  STARTED: 0,
  BAR_SECONDS: 1,
  BUCKET_VOLUME: 2,
  BUCKETS: 3,
  /** The given sigma, or 0 when it is estimated. */
  SIGMA: 4,
  HAS_OPEN: 5,
  OPEN_BAR: 6,
  OPEN_VOLUME: 7,
  OPEN_LAST: 8,
  /** The time of the latest trade seen (times must not go back across calls either). */
  LAST_TIME: 9,
  HAS_CLOSE: 10,
  PREV_CLOSE: 11,
  /** Welford's running count, mean and sum of squared deviations of the bars' dp. */
  DP_COUNT: 12,
  DP_MEAN: 13,
  DP_M2: 14,
  /** Volume and buy volume in the bucket being filled. */
  FILL: 15,
  BUY: 16,
  /** Buckets completed so far; the next imbalance goes to ring slot DONE mod buckets. */
  DONE: 17,
  HEADER: 18,
} as const;

const S = VPIN_STATE;

export interface VpinParams {
  barSeconds: number;
  bucketVolume: number;
  buckets: number;
  /** Fixed sigma of the bars' price changes; undefined: estimated as the bars close. */
  sigma?: number;
}

/** The trades of one call: equal-length arrays, time nondecreasing, volume > 0. */
export interface VpinTrades {
  time: Float64Array;
  price: Float64Array;
  volume: Float64Array;
}

/** The buckets completed during one call, in order. */
export interface BucketSink {
  vpin: number[];
  buyVolume: number[];
}

export function vpinStateLength(buckets: number): number {
  if (!Number.isSafeInteger(buckets) || buckets <= 0) throw new RangeError(`vpinStateLength: buckets must be a positive integer; got ${String(buckets)}`);
  return S.HEADER + buckets;
}

/** A zeroed state for `vpin.incremental`, shared so that the pool thread updates the caller's copy in place. */
export function createVpinState(buckets: number): Float64Array {
  return sharedArray(Float64Array, vpinStateLength(buckets));
}

/** Records the parameters on a fresh state (later calls are checked against them by the kernel). */
export function startVpinState(state: Float64Array, p: VpinParams): void {
  if (state[S.STARTED] === 1) return;
  state[S.STARTED] = 1;
  state[S.BAR_SECONDS] = p.barSeconds;
  state[S.BUCKET_VOLUME] = p.bucketVolume;
  state[S.BUCKETS] = p.buckets;
  state[S.SIGMA] = p.sigma ?? 0;
}

/** Adds trades to bars, closing the open bar whenever a trade of a later bar arrives. The last bar stays open. */
export function feedTrades(state: Float64Array, p: VpinParams, trades: VpinTrades, sink: BucketSink): void {
  const { time, price, volume } = trades;
  for (let i = 0; i < time.length; i++) {
    const bar = Math.floor(time[i] / p.barSeconds);
    if (state[S.HAS_OPEN] === 1 && bar !== state[S.OPEN_BAR]) closeBar(state, p, sink);
    if (state[S.HAS_OPEN] !== 1) {
      state[S.HAS_OPEN] = 1;
      state[S.OPEN_BAR] = bar;
      state[S.OPEN_VOLUME] = 0;
    }
    state[S.OPEN_VOLUME] += volume[i];
    state[S.OPEN_LAST] = price[i];
    state[S.LAST_TIME] = time[i];
  }
}

/** Closes the open bar (if any): classifies its volume and pours it into buckets. */
export function closeBar(state: Float64Array, p: VpinParams, sink: BucketSink): void {
  if (state[S.HAS_OPEN] !== 1) return;
  const last = state[S.OPEN_LAST];
  const dp = state[S.HAS_CLOSE] === 1 ? last - state[S.PREV_CLOSE] : 0;
  state[S.HAS_CLOSE] = 1;
  state[S.PREV_CLOSE] = last;

  const count = state[S.DP_COUNT] + 1;
  const delta = dp - state[S.DP_MEAN];
  const mean = state[S.DP_MEAN] + delta / count;
  state[S.DP_COUNT] = count;
  state[S.DP_MEAN] = mean;
  state[S.DP_M2] += delta * (dp - mean);

  fillBuckets(state, p, state[S.OPEN_VOLUME], buyFraction(dp, state, p), sink);
  state[S.HAS_OPEN] = 0;
  state[S.OPEN_VOLUME] = 0;
}

/**
 * Phi(dp / sigma). Without a given sigma and before two dp's exist there is no scale: 0.5 (no
 * side). A zero sigma (every dp so far equal) gives 0.5 for dp = 0 and 1 or 0 for a move.
 */
function buyFraction(dp: number, state: Float64Array, p: VpinParams): number {
  let sigma = p.sigma;
  if (sigma === undefined) {
    const count = state[S.DP_COUNT];
    if (count < 2) return 0.5;
    sigma = Math.sqrt(state[S.DP_M2] / (count - 1));
  }
  const z = dp / sigma;
  return Number.isNaN(z) ? 0.5 : normalCdf(z);
}

function fillBuckets(state: Float64Array, p: VpinParams, barVolume: number, frac: number, sink: BucketSink): void {
  const V = p.bucketVolume;
  let remaining = barVolume;
  while (remaining > 0) {
    const room = V - state[S.FILL];
    // Completion is decided by comparing against the room left, not by FILL reaching V: the sum
    // FILL + room need not round to V exactly, and a bucket must never miss its close by an ulp.
    const completes = remaining >= room;
    const part = completes ? room : remaining;
    state[S.BUY] += part * frac;
    remaining -= part;
    if (!completes) {
      state[S.FILL] += part;
      break;
    }
    recordBucket(state, p, sink);
  }
}

function recordBucket(state: Float64Array, p: VpinParams, sink: BucketSink): void {
  const V = p.bucketVolume;
  const n = p.buckets;
  const buy = state[S.BUY];
  const done = state[S.DONE];
  state[S.HEADER + (done % n)] = Math.abs(2 * buy - V);
  state[S.DONE] = done + 1;
  state[S.FILL] = 0;
  state[S.BUY] = 0;
  let vpin = NaN;
  if (done + 1 >= n) {
    // Summed afresh, oldest first, rather than kept as a running sum: no drift over a long stream.
    let sum = 0;
    for (let k = done + 1 - n; k <= done; k++) sum += state[S.HEADER + (k % n)];
    vpin = sum / (n * V);
  }
  sink.vpin.push(vpin);
  sink.buyVolume.push(buy);
}
