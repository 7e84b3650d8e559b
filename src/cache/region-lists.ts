import type { CacheViews } from './cache-views.js';
import { ENTRY_WORDS, E_NEXT, E_PREV, E_REGION, H_LIST_HEAD, H_LIST_TAIL, H_PROTECTED_BYTES, H_PROTECTED_COUNT, H_WINDOW_BYTES, H_WINDOW_COUNT, MIN_BLOCK, NONE, PROBATION, PROTECTED, WINDOW } from './layout.js';

/** The share of the budgets the window (admission-free recency region) gets, and of the main region the protected segment. */
const WINDOW_SHARE = 0.01;
const PROTECTED_SHARE = 0.8;

/**
 * The three LRU lists of W-TinyLFU, doubly linked through the entries (least recent at the head):
 * the window, and the main region's probation and protected segments, with the bytes and entries
 * the window and protected hold, held against their shares of the budgets (in bytes and entries:
 * whichever budget binds, the window stays small).
 */
export class RegionLists {
  private readonly windowMax: number;
  private readonly protectedMax: number;
  private readonly windowCountMax: number;
  private readonly protectedCountMax: number;

  constructor(private readonly views: CacheViews) {
    const { maxBytes, maxEntries } = views.geometry;
    this.windowMax = Math.max(MIN_BLOCK, Math.floor(maxBytes * WINDOW_SHARE));
    this.protectedMax = Math.floor((maxBytes - this.windowMax) * PROTECTED_SHARE);
    this.windowCountMax = Math.max(1, Math.ceil(maxEntries * WINDOW_SHARE));
    this.protectedCountMax = Math.max(1, Math.floor((maxEntries - this.windowCountMax) * PROTECTED_SHARE));
  }

  head(region: number): number {
    return this.views.header[H_LIST_HEAD + region]!;
  }

  next(id: number): number {
    return this.views.entries[id * ENTRY_WORDS + E_NEXT]!;
  }

  regionOf(id: number): number {
    return this.views.entries[id * ENTRY_WORDS + E_REGION]!;
  }

  windowOverflows(): boolean {
    const h = this.views.header;
    return h[H_WINDOW_BYTES]! > this.windowMax || h[H_WINDOW_COUNT]! > this.windowCountMax;
  }

  /** Appends `id` as the most recent of `region`. */
  link(id: number, region: number): void {
    const { entries: e, header: h } = this.views;
    const base = id * ENTRY_WORDS;
    const tail = h[H_LIST_TAIL + region]!;
    e[base + E_REGION] = region;
    this.count(region, id, 1);
    e[base + E_PREV] = tail;
    e[base + E_NEXT] = NONE;
    if (tail === NONE) h[H_LIST_HEAD + region] = id;
    else e[tail * ENTRY_WORDS + E_NEXT] = id;
    h[H_LIST_TAIL + region] = id;
  }

  unlink(id: number): void {
    const { entries: e, header: h } = this.views;
    const base = id * ENTRY_WORDS;
    const region = e[base + E_REGION]!;
    const prev = e[base + E_PREV]!;
    const next = e[base + E_NEXT]!;
    if (prev === NONE) h[H_LIST_HEAD + region] = next;
    else e[prev * ENTRY_WORDS + E_NEXT] = next;
    if (next === NONE) h[H_LIST_TAIL + region] = prev;
    else e[next * ENTRY_WORDS + E_PREV] = prev;
    this.count(region, id, -1);
    e[base + E_REGION] = NONE;
  }

  /** Moves an entry to the most recent end of `region`. */
  moveTo(id: number, region: number): void {
    this.unlink(id);
    this.link(id, region);
  }

  /** A hit's reordering: recency in the window and protected, promotion from probation to protected. */
  touch(id: number): void {
    const region = this.regionOf(id);
    if (region === WINDOW || region === PROTECTED) {
      if (this.views.header[H_LIST_TAIL + region] !== id) this.moveTo(id, region); // already the most recent: nothing to move
    } else if (region === PROBATION) {
      this.moveTo(id, PROTECTED);
      this.demoteProtected();
    }
  }

  /** Entries on `region`'s list, walked (the audit's count). */
  length(region: number): number {
    let n = 0;
    for (let id = this.head(region); id !== NONE && n <= this.views.geometry.slots; id = this.next(id)) n++;
    return n;
  }

  /** Empty lists (a cache reset). */
  reset(): void {
    const h = this.views.header;
    for (let r = WINDOW; r <= PROTECTED; r++) {
      h[H_LIST_HEAD + r] = NONE;
      h[H_LIST_TAIL + r] = NONE;
    }
    h[H_WINDOW_BYTES] = 0;
    h[H_PROTECTED_BYTES] = 0;
    h[H_WINDOW_COUNT] = 0;
    h[H_PROTECTED_COUNT] = 0;
  }

  private demoteProtected(): void {
    const h = this.views.header;
    while (h[H_PROTECTED_BYTES]! > this.protectedMax || h[H_PROTECTED_COUNT]! > this.protectedCountMax) {
      const lru = this.head(PROTECTED);
      if (lru === NONE) return;
      this.moveTo(lru, PROBATION);
    }
  }

  private count(region: number, id: number, sign: 1 | -1): void {
    const h = this.views.header;
    if (region === WINDOW) (h[H_WINDOW_BYTES]! += sign * this.views.blockBytes(id), (h[H_WINDOW_COUNT]! += sign));
    if (region === PROTECTED) (h[H_PROTECTED_BYTES]! += sign * this.views.blockBytes(id), (h[H_PROTECTED_COUNT]! += sign));
  }
}
