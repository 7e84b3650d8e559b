import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { beladyHits, lruHits } from '../bench/cache/belady.js';
import { describeTrace, generateTrace, loopTrace, scanPollutedTrace, zipfTrace } from '../bench/cache/traces.js';

const trace = (...keys: number[]) => Uint32Array.from(keys);

describe('beladyHits on hand-worked traces', () => {
  it('capacity 2 on 1,2,3 repeated 4 times', () => {
    // Cached set after each request, (h) = hit, "x@p" = x's next use is at position p:
    // 1 {1}, 2 {1,2}, 3: 1@3 2@4, evict 2 {1,3}, 1(h), 2: 3@5 1@6, evict 1 {3,2}, 3(h),
    // 1: 2@7 3@8, evict 3 {2,1}, 2(h), 3: 1@9 2@10, evict 2 {1,3}, 1(h),
    // 2: 1 never, evict 1 {3,2}, 3(h). Hits at positions 3,5,7,9,11: 5.
    const loop = trace(1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3);
    expect(beladyHits(loop, 2)).toBe(5);
    // Allowed to refuse a key, the optimum keeps {1,2} and lets every 3 go by: 1 and 2 hit
    // from position 3 on, 6 hits. This is why the loop trace needs the bypass bound.
    expect(beladyHits(loop, 2, { bypass: true })).toBe(6);
  });

  it('the textbook reference string with 3 frames: 9 faults (Silberschatz, OPT)', () => {
    // 7 {7}, 0 {7,0}, 1 {7,0,1}, 2: 7@17 0@4 1@13, evict 7 {2,0,1}, 0(h),
    // 3: 2@8 0@6 1@13, evict 1 {2,0,3}, 0(h), 4: 2@8 0@10 3@9, evict 0 {2,4,3}, 2(h), 3(h),
    // 0: 2@12 4 never 3@11, evict 4 {2,0,3}, 3(h), 2(h), 1: 2@14 0@15 3 never, evict 3 {2,0,1},
    // 2(h), 0(h), 1(h), 7: 2 never 0@18 1@19, evict 2 {7,0,1}, 0(h), 1(h).
    // Misses 7,0,1,2,3,4,0,1,7 = 9 of 20 requests: 11 hits.
    const reference = trace(7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1);
    expect(beladyHits(reference, 3)).toBe(11);
  });

  it("Belady's anomaly string: OPT faults 7 times with 3 frames, 6 times with 4", () => {
    // 3 frames: 1, 2, 3 {1,2,3}, 4: 1@4 2@5 3@9, evict 3 {1,2,4}, 1(h), 2(h),
    // 5: 1@7 2@8 4@10, evict 4 {1,2,5}, 1(h), 2(h), 3: 1 and 2 never, evict one {3,2,5},
    // 4: 3 and 2 never, evict one {4,x,5}, 5(h). Misses 1,2,3,4,5,3,4 = 7 of 12: 5 hits.
    // 4 frames: 1..4 fill, 1(h), 2(h), 5: 1@7 2@8 3@9 4@10, evict 4, 1(h), 2(h), 3(h),
    // 4: evict a never-again key, 5(h). Misses 1,2,3,4,5,4 = 6: 6 hits.
    const anomaly = trace(1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5);
    expect(beladyHits(anomaly, 3)).toBe(5);
    expect(beladyHits(anomaly, 4)).toBe(6);
  });

  it('no room means no hits; room for every key means only first requests miss', () => {
    const keys = trace(5, 9, 5, 1, 9, 9, 4, 1);
    expect(beladyHits(keys, 0)).toBe(0);
    expect(beladyHits(keys, 4)).toBe(keys.length - 4);
    expect(beladyHits(trace(), 3)).toBe(0);
  });

  it('renumbers sparse ids (large id values) without changing the answer', () => {
    const small = trace(1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3);
    const sparse = small.map((key) => 0xffffff00 + key);
    expect(beladyHits(sparse, 2)).toBe(beladyHits(small, 2));
  });
});

/**
 * The true optimum by exhaustive search: at each miss with a full cache, try every choice (evict
 * each cached key in turn, or with bypass also leave the new key out). Memoised on
 * (position, cached set), which keeps it exact and fast enough for keys < 8 and short traces.
 */
function bruteForceOptimum(requests: Uint32Array, capacity: number, bypass: boolean): number {
  const memo = new Map<number, number>();
  const best = (position: number, cachedSet: number): number => {
    if (position === requests.length) return 0;
    const memoKey = position * 256 + cachedSet;
    const known = memo.get(memoKey);
    if (known !== undefined) return known;
    const bit = 1 << requests[position]!;
    let result: number;
    if (cachedSet & bit) {
      result = 1 + best(position + 1, cachedSet);
    } else {
      const options: number[] = [];
      if (bypass) options.push(best(position + 1, cachedSet));
      if (popcount(cachedSet) < capacity) options.push(best(position + 1, cachedSet | bit));
      else for (let victim = 1; victim <= cachedSet; victim <<= 1) {
        if (cachedSet & victim) options.push(best(position + 1, (cachedSet & ~victim) | bit));
      }
      result = Math.max(...options);
    }
    memo.set(memoKey, result);
    return result;
  };
  return best(0, 0);
}

const popcount = (bits: number): number => {
  let count = 0;
  for (; bits; bits &= bits - 1) count++;
  return count;
};

const smallTrace = (maxKey: number, maxLength: number) =>
  fc.array(fc.integer({ min: 0, max: maxKey }), { maxLength }).map((keys) => Uint32Array.from(keys));

describe('beladyHits is the optimum', () => {
  it('equals exhaustive search on tiny random traces, with and without bypass', () => {
    fc.assert(
      fc.property(smallTrace(6, 14), fc.integer({ min: 1, max: 4 }), (requests, capacity) => {
        expect(beladyHits(requests, capacity)).toBe(bruteForceOptimum(requests, capacity, false));
        expect(beladyHits(requests, capacity, { bypass: true })).toBe(bruteForceOptimum(requests, capacity, true));
      }),
      { numRuns: 300 },
    );
  });

  it('is never beaten by LRU, and bypass is never worse than without', () => {
    fc.assert(
      fc.property(smallTrace(40, 400), fc.integer({ min: 0, max: 30 }), (requests, capacity) => {
        const optimum = beladyHits(requests, capacity);
        expect(optimum).toBeGreaterThanOrEqual(lruHits(requests, capacity));
        expect(beladyHits(requests, capacity, { bypass: true })).toBeGreaterThanOrEqual(optimum);
      }),
      { numRuns: 200 },
    );
  });
});

describe('lruHits', () => {
  it('counts an LRU of the given size: hits on reuse within capacity, none on a longer loop', () => {
    // Capacity 2: 1, 2, 1(h), 3 evicts 2, 2 evicts 1, 3(h): 2 hits.
    expect(lruHits(trace(1, 2, 1, 3, 2, 3), 2)).toBe(2);
    expect(lruHits(loopTrace({ keys: 10, length: 1000 }), 9)).toBe(0);
    expect(lruHits(loopTrace({ keys: 10, length: 1000 }), 10)).toBe(990);
    expect(lruHits(trace(1, 1), 0)).toBe(0);
  });
});

/** H(keys, alpha) = sum over ranks r of r^-alpha: the rank-1 key has probability 1 / H. */
const harmonic = (keys: number, alpha: number): number => {
  let sum = 0;
  for (let r = keys; r >= 1; r--) sum += r ** -alpha;
  return sum;
};

const frequencies = (requests: Uint32Array): number[] => {
  const counts = new Map<number, number>();
  for (const key of requests) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts.values()].sort((a, b) => b - a).map((c) => c / requests.length);
};

describe('zipfTrace', () => {
  it.each([0.8, 0.9, 1.0])('alpha %s: ranks 1-3 are requested at r^-alpha / H within 5 standard errors', (alpha) => {
    const keys = 1000;
    const length = 200_000;
    const requests = zipfTrace({ keys, length, alpha, seed: 7 });
    expect(requests.every((key) => key < keys)).toBe(true);
    const observed = frequencies(requests);
    // Sorting the observed frequencies recovers the ranks: among the top four, neighbours differ
    // in probability by at least a factor (3/4)^alpha <= 0.84, a gap of over 0.004 here, while a
    // standard error is below 0.0008.
    for (let rank = 1; rank <= 3; rank++) {
      const p = rank ** -alpha / harmonic(keys, alpha);
      const standardError = Math.sqrt((p * (1 - p)) / length);
      expect(Math.abs(observed[rank - 1]! - p)).toBeLessThan(5 * standardError);
    }
  });

  it('shuffles popularity over ids: the hottest key differs between seeds and is not id 0', () => {
    const hottest = [1, 2, 3, 4, 5].map((seed) => {
      const counts = new Uint32Array(1000);
      for (const key of zipfTrace({ keys: 1000, length: 20_000, alpha: 1, seed })) counts[key]!++;
      return counts.indexOf(Math.max(...counts));
    });
    expect(new Set(hottest).size).toBeGreaterThan(1);
    expect(hottest.every((key) => key === 0)).toBe(false);
  });

  it('is deterministic: the same seed gives the same trace, another seed another', () => {
    const options = { keys: 5000, length: 10_000, alpha: 0.9, seed: 42 };
    expect(zipfTrace(options)).toEqual(zipfTrace(options));
    expect(zipfTrace({ ...options, seed: 43 })).not.toEqual(zipfTrace(options));
    const scanOptions = { ...options, scanEvery: 100, scanLength: 30 };
    expect(scanPollutedTrace(scanOptions)).toEqual(scanPollutedTrace(scanOptions));
  });
});

describe('scanPollutedTrace', () => {
  const options = { keys: 1000, length: 10_050, alpha: 0.9, seed: 3, scanEvery: 400, scanLength: 200 };
  const requests = scanPollutedTrace(options);

  it('puts a scan of never-seen keys, each used once, after every scanEvery Zipf requests', () => {
    const period = options.scanEvery + options.scanLength;
    const seen = new Set<number>();
    let scans = 0;
    expect(requests.length).toBe(options.length);
    for (let i = 0; i < requests.length; i++) {
      const key = requests[i]!;
      const inScan = i % period >= options.scanEvery;
      if (inScan) {
        if (i % period === options.scanEvery) scans++;
        expect(key).toBeGreaterThanOrEqual(options.keys);
        expect(seen.has(key)).toBe(false);
      } else {
        expect(key).toBeLessThan(options.keys);
      }
      seen.add(key);
    }
    // 10,050 = 16 periods of 600 plus 450: 16 whole scans and the first 50 keys of a 17th.
    expect(scans).toBe(17);
  });

  it('is the Zipf trace of the same seed once the scans are taken out', () => {
    const zipfPart = requests.filter((key) => key < options.keys);
    expect(zipfPart).toEqual(zipfTrace({ ...options, length: zipfPart.length }));
  });
});

describe('loopTrace and the trace specs', () => {
  it('loops over the keys in order', () => {
    expect([...loopTrace({ keys: 3, length: 7 })]).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it('generates and describes each kind', () => {
    const spec = { kind: 'scan-polluted', keys: 100, length: 500, alpha: 0.9, seed: 1, scanEvery: 50, scanLength: 20 } as const;
    expect(generateTrace(spec)).toEqual(scanPollutedTrace(spec));
    expect(describeTrace(spec)).toMatch(/scan of 20 never-seen keys after every 50 requests/);
    expect(describeTrace({ kind: 'loop', keys: 100, length: 500 })).toMatch(/loop over 0\.\.99/);
  });

  it('rejects options that cannot make a trace', () => {
    expect(() => zipfTrace({ keys: 0, length: 10, alpha: 0.9, seed: 1 })).toThrow(RangeError);
    expect(() => zipfTrace({ keys: 10, length: 1.5, alpha: 0.9, seed: 1 })).toThrow(RangeError);
    expect(() => zipfTrace({ keys: 10, length: 10, alpha: Number.NaN, seed: 1 })).toThrow(RangeError);
    expect(() => scanPollutedTrace({ keys: 10, length: 10, alpha: 1, seed: 1, scanEvery: 0, scanLength: 1 })).toThrow(RangeError);
    expect(() => beladyHits(trace(1), -1)).toThrow(RangeError);
  });
});
