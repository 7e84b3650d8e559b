import type { CacheViews } from './cache-views.js';
import { ENTRY_WORDS, E_HASH, E_STATE, H_BYTES, H_ENTRIES, H_EVICTIONS, H_EXPIRATIONS, H_SWEEP, LIVE, NONE, PROBATION, PROTECTED, WINDOW } from './layout.js';
import type { RegionLists } from './region-lists.js';
import type { FrequencySketch } from './sketch.js';

const SWEEP_PER_WRITE = 4;

/**
 * Who leaves, under the writers' lock: W-TinyLFU's admission (a candidate leaving the window faces
 * probation's least recent entry; the sketch keeps the more frequent), the plain order when there is
 * no candidate (probation, window, protected), and the few expired entries each write sweeps.
 */
export class Eviction {
  constructor(
    private readonly views: CacheViews,
    private readonly lists: RegionLists,
    private readonly sketch: FrequencySketch,
    /** Removes an entry (its waiters woken). */
    private readonly remove: (id: number) => void,
  ) {}

  /**
   * The window's overflow goes to probation as candidates; then, while over a budget, each candidate
   * faces probation's least recent entry and the sketch keeps the more frequent (TinyLFU admission).
   * Never evicts `keep` (the entry just written).
   */
  keepBudgets(keep: number): void {
    const { header: h, entries: e, geometry } = this.views;
    const lists = this.lists;
    let candidate = NONE;
    while (lists.windowOverflows()) {
      const lru = lists.head(WINDOW);
      if (lru === NONE || (lru === keep && lists.next(keep) === NONE)) break;
      lists.moveTo(lru, PROBATION);
      if (candidate === NONE) candidate = lru;
    }
    while (h[H_BYTES]! > geometry.maxBytes || h[H_ENTRIES]! > geometry.maxEntries) {
      const victim = lists.head(PROBATION);
      if (victim === NONE || candidate === NONE || candidate === victim) {
        if (candidate === victim && victim !== NONE) candidate = lists.next(victim);
        if (!this.evictOne(keep)) return;
        continue;
      }
      const candidateWins = this.sketch.frequency(e[candidate * ENTRY_WORDS + E_HASH]!) > this.sketch.frequency(e[victim * ENTRY_WORDS + E_HASH]!);
      if (candidateWins) this.evict(victim);
      else {
        const next = lists.next(candidate);
        this.evict(candidate);
        candidate = next;
      }
    }
  }

  /** Evicts the least valuable entry (probation's head, then the window's, then protected's), never `keep`. */
  evictOne(keep = NONE): boolean {
    for (const region of [PROBATION, WINDOW, PROTECTED]) {
      let id = this.lists.head(region);
      if (id !== NONE && id === keep) id = this.lists.next(id);
      if (id !== NONE) {
        this.evict(id);
        return true;
      }
    }
    return false;
  }

  expiredAt(id: number, now: number): boolean {
    const at = this.views.expiresAt(id);
    return at !== 0 && at <= now && this.views.entries[id * ENTRY_WORDS + E_STATE] === LIVE;
  }

  /** A few entries checked for expiry at each write, so expired entries leave without a timer. */
  sweepSome(): void {
    const h = this.views.header;
    const now = Date.now();
    let id = h[H_SWEEP]!;
    for (let i = 0; i < SWEEP_PER_WRITE; i++, id = (id + 1) % this.views.geometry.slots) {
      if (this.expiredAt(id, now)) {
        this.remove(id);
        h[H_EXPIRATIONS]!++;
      }
    }
    h[H_SWEEP] = id;
  }

  private evict(id: number): void {
    if (this.expiredAt(id, Date.now())) this.views.header[H_EXPIRATIONS]!++;
    else this.views.header[H_EVICTIONS]!++;
    this.remove(id);
  }
}
