import { bucketUpperNs } from './layout.js';

export interface LatencyStats {
  /** Latency-sampled messages behind these figures (see latencySampleEvery). */
  samples: number;
  /** Microseconds from send to the start of handling (upper bounds of ~9%-wide buckets). */
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** p50/p99/p99.9/max in microseconds from a log-bucketed histogram of nanoseconds. */
export function percentiles(histogram: ArrayLike<number>): LatencyStats {
  let total = 0;
  for (let i = 0; i < histogram.length; i++) total += histogram[i]!;
  const at = (q: number): number => {
    if (total === 0) return 0;
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (let i = 0; i < histogram.length; i++) {
      seen += histogram[i]!;
      if (seen >= rank) return round(bucketUpperNs(i) / 1000, 2);
    }
    return 0;
  };
  let max = 0;
  for (let i = histogram.length - 1; i >= 0; i--) {
    if (histogram[i]! > 0) {
      max = round(bucketUpperNs(i) / 1000, 2);
      break;
    }
  }
  return { samples: total, p50: at(0.5), p99: at(0.99), p999: at(0.999), max };
}

/** `n` rounded to `digits` decimals (figures in stats and logs). */
export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
