/**
 * The reference policies the cache under test is measured against, each counting the hits it gets
 * on a trace: the offline optimum (Belady's MIN), which bounds every policy from above, and a plain
 * LRU (the npm lru-cache), the baseline to beat.
 */
import { LRUCache } from 'lru-cache';

export interface BeladyOptions {
  /**
   * Whether a missed key may be left out of the cache (admission control). False (the default) is
   * Belady's MIN as usually stated: every missed key is cached, evicting the cached key whose next
   * use is farthest away; it bounds any cache that admits every key at least for a moment (as
   * W-TinyLFU's window does). True also weighs the incoming key against the cached ones and skips
   * caching it when its own next use is the farthest: the bound for caches that may refuse keys
   * outright; it is never lower (capacity 2 on a loop of 3 keys: 2/3 of requests hit, not 1/2).
   */
  bypass?: boolean;
}

/**
 * Hits of the offline optimum with room for `capacity` keys. O(n log n): next uses are found in one
 * backward pass, and the cached keys sit in a max-heap keyed by next use. A hit changes a key's next
 * use; rather than find the old heap entry, a new one is pushed and the old one is dropped when it
 * surfaces (it no longer matches the key's current next use), so the heap never holds more than n
 * entries. 2M Zipf requests at capacity 10k take about 0.3 s.
 */
export function beladyHits(trace: Uint32Array, capacity: number, options: BeladyOptions = {}): number {
  checkCapacity(capacity);
  const n = trace.length;
  if (capacity === 0 || n === 0) return 0;
  if (n >= 2 ** 31) throw new RangeError('beladyHits: traces of 2^31 requests or more are not supported');
  const { ids, keySpace } = denseIds(trace);

  // nextUse[i]: the next position requesting ids[i], or n + i when there is none. Every value is
  // distinct, so a heap entry is a bare position that names its key as well (see keyOf); and
  // never-again keys rank above any key that is used again, in no particular order among themselves.
  const nextUse = new Uint32Array(n);
  const seenAt = new Uint32Array(keySpace).fill(NOT_SEEN);
  for (let i = n - 1; i >= 0; i--) {
    const key = ids[i]!;
    const later = seenAt[key]!;
    nextUse[i] = later === NOT_SEEN ? n + i : later;
    seenAt[key] = i;
  }
  const keyOf = (use: number): number => ids[use < n ? use : use - n]!;

  const cached = new Uint8Array(keySpace);
  const cachedNextUse = new Uint32Array(keySpace);
  const heap = new Uint32Array(n);
  let heapSize = 0;
  const push = (use: number): void => {
    let i = heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! >= use) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = use;
  };
  const popTop = (): void => {
    const last = heap[--heapSize]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heapSize) break;
      if (child + 1 < heapSize && heap[child + 1]! > heap[child]!) child++;
      if (heap[child]! <= last) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  };
  /** The farthest next use among cached keys, after dropping entries made stale by hits. */
  const farthest = (): number => {
    for (;;) {
      const use = heap[0]!;
      const key = keyOf(use);
      if (cached[key] === 1 && cachedNextUse[key] === use) return use;
      popTop();
    }
  };

  const bypass = options.bypass ?? false;
  let size = 0;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const key = ids[i]!;
    const use = nextUse[i]!;
    if (cached[key] === 1) {
      hits++;
    } else {
      if (size === capacity) {
        const victimUse = farthest();
        if (bypass && use > victimUse) continue;
        popTop();
        cached[keyOf(victimUse)] = 0;
        size--;
      }
      cached[key] = 1;
      size++;
    }
    cachedNextUse[key] = use;
    push(use);
  }
  return hits;
}

/** Hits of a plain LRU holding `capacity` keys (lru-cache: a get refreshes recency, a miss is set). */
export function lruHits(trace: Uint32Array, capacity: number): number {
  checkCapacity(capacity);
  if (capacity === 0) return 0; // lru-cache refuses max 0
  const cache = new LRUCache<number, true>({ max: capacity });
  let hits = 0;
  for (let i = 0; i < trace.length; i++) {
    const key = trace[i]!;
    if (cache.get(key)) hits++;
    else cache.set(key, true);
  }
  return hits;
}

const NOT_SEEN = 0xffffffff;

/**
 * Ids small enough to index typed arrays by. Trace ids usually are (0..keys-1 plus the scans' cold
 * ids); arbitrary ones are renumbered in order of first appearance, which costs a Map pass.
 */
function denseIds(trace: Uint32Array): { ids: Uint32Array; keySpace: number } {
  let max = 0;
  for (let i = 0; i < trace.length; i++) if (trace[i]! > max) max = trace[i]!;
  if (max < 4 * trace.length + 65536) return { ids: trace, keySpace: max + 1 };
  const numbering = new Map<number, number>();
  const ids = new Uint32Array(trace.length);
  for (let i = 0; i < trace.length; i++) {
    const key = trace[i]!;
    let id = numbering.get(key);
    if (id === undefined) numbering.set(key, (id = numbering.size));
    ids[i] = id;
  }
  return { ids, keySpace: numbering.size };
}

function checkCapacity(capacity: number): void {
  if (!Number.isSafeInteger(capacity) || capacity < 0) {
    throw new RangeError(`capacity must be a non-negative integer, got ${capacity}`);
  }
}
