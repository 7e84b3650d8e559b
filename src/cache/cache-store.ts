import { AccessBuffers } from './access-buffers.js';
import { Arena, classOf } from './arena.js';
import { CacheIndex } from './cache-index.js';
import { CacheReader, type Found } from './cache-reader.js';
import { CacheViews } from './cache-views.js';
import { Eviction } from './eviction.js';
import { keyFlags, storedKeyBytes, valueOffset, writeKey } from './key-codec.js';
import { COMPUTING, ENTRY_WORDS, E_BLOCK, E_CLASS, E_EXPIRES_F64, E_HASH, E_KEY_BYTES, E_KIND, E_NEXT, E_OWNER, E_PREV, E_REGION, E_SEQ, E_SLOT, E_STATE, E_VALUE_BYTES, E_WAKE, FAILED, FREE, H_BYTES, H_DELETES, H_ENTRIES, H_EVICTIONS, H_EXPIRATIONS, H_FREE_ENTRY, H_LOCK, H_LOCK_OWNER, H_RESETS, H_SETS, LIVE, MIN_BLOCK, NONE, PROBATION, PROTECTED, SIZE_CLASSES, WINDOW, regionsOf, type CacheGeometry } from './layout.js';
import { WriterLock } from './lock.js';
import { RegionLists } from './region-lists.js';
import { FrequencySketch } from './sketch.js';
import type { CacheKey } from '../transport/contract.js';

export type { Found } from './cache-reader.js';

/**
 * One cache's table and eviction policy over its SharedArrayBuffer, as any thread of the host sees
 * it (layout.ts draws the buffer). Reads are lock-free (cache-reader.ts); every change holds the
 * lock, drains the accesses readers recorded, and keeps the budgets by W-TinyLFU: new entries enter
 * a small LRU window; leaving it, an entry is admitted to the main region only if the sketch has
 * seen it more often than the main region's next victim; main is a segmented LRU (probation,
 * protected). The parts: the index (cache-index.ts), the arena (arena.ts), the lists
 * (region-lists.ts), the access buffers (access-buffers.ts), the sketch (sketch.ts).
 */
export class CacheStore {
  private readonly views: CacheViews;
  private readonly lock: WriterLock;
  private readonly reader: CacheReader;
  private readonly accesses: AccessBuffers;
  private readonly index: CacheIndex;
  private readonly arena: Arena;
  private readonly lists: RegionLists;
  private readonly sketch: FrequencySketch;
  private readonly eviction: Eviction;

  constructor(
    buffer: SharedArrayBuffer,
    readonly geometry: CacheGeometry,
    /** This thread's participant slot (0: the host). */
    private readonly participant: number,
  ) {
    this.views = new CacheViews(buffer, geometry);
    this.lock = new WriterLock(this.views.header, H_LOCK, H_LOCK_OWNER);
    this.accesses = new AccessBuffers(this.views, participant);
    this.reader = new CacheReader(this.views, this.accesses, participant, () => this.drainIfFree());
    this.index = new CacheIndex(this.views);
    this.arena = new Arena(this.views);
    this.lists = new RegionLists(this.views);
    this.sketch = new FrequencySketch(this.views.sketch, this.views.header, geometry.sketchWidth, 10 * geometry.maxEntries);
    this.eviction = new Eviction(this.views, this.lists, this.sketch, (id) => this.removeEntry(id, true));
  }

  /** A new cache's buffer, laid out and empty. */
  static create(geometry: CacheGeometry): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(regionsOf(geometry).total);
    new CacheStore(buffer, geometry, 0).reset();
    return buffer;
  }

  get alive(): Int32Array {
    return this.views.alive;
  }

  // ---- reads (no lock) ----

  find(key: CacheKey, hash: number): Found | undefined {
    return this.reader.find(key, hash);
  }

  countHit(): void {
    this.reader.countHit();
  }

  countMiss(hash: number): void {
    this.reader.countMiss(hash);
  }

  hitsAndMisses(): { hits: number; misses: number } {
    return this.reader.hitsAndMisses();
  }

  // ---- writes (under the lock) ----

  /** Runs `change` holding the writers' lock, after applying the accesses readers recorded. */
  locked<T>(change: () => T): T {
    this.lock.acquire(this.participant);
    try {
      this.drainAccesses();
      this.sketch.ageIfDue();
      return change();
    } finally {
      this.lock.release();
    }
  }

  /**
   * After the thread of participant `slot` is gone (its exit seen by the host): if it died holding
   * the lock, in the middle of a change, nothing in the table can be trusted, so the cache is
   * emptied (its stats kept, the reset counted) and the lock freed. True when that happened.
   */
  recoverFromDeadWriter(slot: number): boolean {
    if (!this.lock.heldBy(slot)) return false;
    this.lock.takeOver(this.participant); // the dead thread cannot run again: the lock is ours
    const e = this.views.entries;
    for (let id = 0; id < this.geometry.slots; id++) {
      const base = id * ENTRY_WORDS;
      if (e[base + E_STATE] === FREE) continue;
      Atomics.add(e, base + E_SEQ, (Atomics.load(e, base + E_SEQ) & 1) === 1 ? 1 : 2); // even, and changed: readers in flight retry
      e[base + E_STATE] = FREE;
      this.wake(id); // memo waiters look again (and compute)
    }
    this.reset();
    this.views.header[H_ENTRIES] = 0;
    this.views.header[H_BYTES] = 0;
    this.views.header[H_RESETS]!++;
    this.lock.release();
    return true;
  }

  /** The live (or computing) entry id for `key`; NONE when there is none. */
  lookup(key: CacheKey, hash: number): number {
    return this.index.lookup(key, hash);
  }

  /**
   * Stores `value` (already encoded: `kind` says how) for `key`, replacing what is there (a computing
   * memo entry becomes live and its waiters wake). Returns false when the value can never fit (the
   * caller says why); evicts what the budgets require.
   */
  put(key: CacheKey, hash: number, kind: number, value: Uint8Array, expiresAt: number, state: typeof LIVE | typeof FAILED = LIVE): boolean {
    const cls = classOf(valueOffset(0, storedKeyBytes(key)) + value.length);
    if (cls >= SIZE_CLASSES || MIN_BLOCK << cls > this.geometry.maxBytes) return false;
    let id = this.index.lookup(key, hash);
    if (id !== NONE) this.release(id, false); // its block and list place go; the entry and its index slot stay
    else {
      id = this.takeEntry();
      if (id === NONE) return false;
    }
    const block = this.allocate(cls, id);
    if (block === NONE) {
      this.removeEntry(id, false);
      return false;
    }
    this.fill(id, key, hash, block, cls, { kind, value, expiresAt, owner: 0, state });
    this.lists.link(id, WINDOW);
    this.views.header[H_SETS]!++;
    this.wake(id);
    this.eviction.keepBudgets(id);
    this.eviction.sweepSome();
    return true;
  }

  /**
   * Marks `key` as being computed by `owner` (a memo), with no value yet; returns its entry id, or
   * NONE when no entry is free. The key's bytes are kept in a block of their own so readers can match it.
   */
  beginComputing(key: CacheKey, hash: number, owner: number): number {
    const id = this.takeEntry();
    if (id === NONE) return NONE;
    const cls = classOf(storedKeyBytes(key));
    const block = this.allocate(cls, id);
    if (block === NONE) {
      this.removeEntry(id, false);
      return NONE;
    }
    this.fill(id, key, hash, block, cls, { kind: 0, value: undefined, expiresAt: 0, owner, state: COMPUTING });
    return id;
  }

  /** Gives a computing entry to a new owner (its old one died); false if it is no longer computing for `expectedOwner`. */
  handOver(id: number, expectedOwner: number, owner: number): boolean {
    const e = this.views.entries;
    const base = id * ENTRY_WORDS;
    if (e[base + E_STATE] !== COMPUTING || e[base + E_OWNER] !== expectedOwner) return false;
    e[base + E_OWNER] = owner;
    return true;
  }

  /** Until entry `id`'s wake word moves past `wake` (a value, an error, a hand-over), or `timeoutMs`. */
  async waitForWake(id: number, wake: number, timeoutMs: number): Promise<void> {
    const result = Atomics.waitAsync(this.views.entries, id * ENTRY_WORDS + E_WAKE, wake, timeoutMs);
    if (result.async) await result.value;
  }

  /** Entry `id`'s state (FREE, LIVE, COMPUTING, FAILED). */
  stateOf(id: number): number {
    return this.views.entries[id * ENTRY_WORDS + E_STATE]!;
  }

  /** When entry `id` expires (ms since the epoch; 0: never). */
  expiresAt(id: number): number {
    return this.views.expiresAt(id);
  }

  /** Removes `key`; true if it was there. */
  remove(key: CacheKey, hash: number): boolean {
    const id = this.index.lookup(key, hash);
    if (id === NONE) return false;
    this.removeEntry(id, true);
    this.views.header[H_DELETES]!++;
    return true;
  }

  /** Removes the computing entries whose owner is `isDead`, waking their waiters (one of them takes over). */
  dropComputingOf(isDead: (owner: number) => boolean): number {
    const e = this.views.entries;
    let dropped = 0;
    for (let id = 0; id < this.geometry.slots; id++) {
      const base = id * ENTRY_WORDS;
      if (e[base + E_STATE] === COMPUTING && isDead(e[base + E_OWNER]!)) {
        this.removeEntry(id, true);
        dropped++;
      }
    }
    return dropped;
  }

  /** Removes every expired entry now. */
  sweepExpired(now = Date.now()): number {
    let removed = 0;
    for (let id = 0; id < this.geometry.slots; id++) if (this.eviction.expiredAt(id, now)) (this.removeEntry(id, true), removed++);
    this.views.header[H_EXPIRATIONS]! += removed;
    return removed;
  }

  /** Entries and bytes in use, and what eviction and expiry did. */
  counters(): { entries: number; bytes: number; evictions: number; expirations: number; sets: number; deletes: number; resets: number } {
    const h = this.views.header;
    return { entries: Atomics.load(h, H_ENTRIES), bytes: Atomics.load(h, H_BYTES), evictions: Atomics.load(h, H_EVICTIONS), expirations: Atomics.load(h, H_EXPIRATIONS), sets: Atomics.load(h, H_SETS), deletes: Atomics.load(h, H_DELETES), resets: Atomics.load(h, H_RESETS) };
  }

  /**
   * The counters recomputed from the entries and lists themselves, under the lock (the tests hold
   * them against counters()): entries and bytes in use, and the entries each list holds.
   */
  audit(): { entries: number; bytes: number; listed: number; window: number; protected: number } {
    return this.locked(() => {
      const e = this.views.entries;
      let entries = 0;
      let bytes = 0;
      for (let id = 0; id < this.geometry.slots; id++) {
        const base = id * ENTRY_WORDS;
        if (e[base + E_STATE] === FREE) continue;
        entries++;
        if (e[base + E_BLOCK] !== NONE) bytes += this.views.blockBytes(id);
      }
      const window = this.lists.length(WINDOW);
      const prot = this.lists.length(PROTECTED);
      return { entries, bytes, listed: window + this.lists.length(PROBATION) + prot, window, protected: prot };
    });
  }

  /** Empties the cache (entries, arena, lists); the stats stay. */
  clear(): void {
    for (let id = 0; id < this.geometry.slots; id++) if (this.views.entries[id * ENTRY_WORDS + E_STATE] !== FREE) this.removeEntry(id, true);
    this.reset();
  }

  // ---- internals ----

  /** Lists, arena and index empty, every entry free. */
  private reset(): void {
    const { header: h, entries: e } = this.views;
    this.lists.reset();
    this.arena.reset();
    this.index.reset();
    h[H_FREE_ENTRY] = NONE;
    for (let id = this.geometry.slots - 1; id >= 0; id--) {
      const base = id * ENTRY_WORDS;
      e[base + E_STATE] = FREE;
      e[base + E_BLOCK] = NONE;
      e[base + E_SLOT] = NONE;
      e[base + E_NEXT] = h[H_FREE_ENTRY]!;
      h[H_FREE_ENTRY] = id;
    }
  }

  /** Drains the access buffers now if no writer holds the lock (a reader whose buffer is filling up). */
  private drainIfFree(): void {
    if (!this.lock.tryAcquire(this.participant)) return;
    try {
      this.drainAccesses();
    } finally {
      this.lock.release();
    }
  }

  private drainAccesses(): void {
    this.accesses.drain((access) => {
      if (access < 0) {
        this.sketch.increment(access & 0x7fffffff); // a miss: its key's hash
        return;
      }
      const e = this.views.entries;
      if (access >= this.geometry.slots || e[access * ENTRY_WORDS + E_STATE] !== LIVE) return; // gone since
      this.sketch.increment(e[access * ENTRY_WORDS + E_HASH]!);
      this.lists.touch(access);
    });
  }

  /**
   * Writes an entry (key, value, fields) between two bumps of its sequence word, indexes it if it is
   * new, and counts its block in the bytes.
   */
  private fill(id: number, key: CacheKey, hash: number, block: number, cls: number, v: { kind: number; value: Uint8Array | undefined; expiresAt: number; owner: number; state: number }): void {
    const { entries: e, arena, arena16, expires } = this.views;
    const base = id * ENTRY_WORDS;
    const keyBytes = storedKeyBytes(key);
    Atomics.add(e, base + E_SEQ, 1); // odd: readers retry
    writeKey(arena, arena16, block, key);
    if (v.value !== undefined) arena.set(v.value, valueOffset(block, keyBytes));
    e[base + E_HASH] = hash;
    e[base + E_BLOCK] = block;
    e[base + E_CLASS] = cls;
    e[base + E_KEY_BYTES] = keyBytes;
    e[base + E_VALUE_BYTES] = v.value?.length ?? 0;
    e[base + E_KIND] = v.kind | keyFlags(key);
    e[base + E_OWNER] = v.owner;
    expires[id * 8 + E_EXPIRES_F64] = v.expiresAt;
    const wasIndexed = e[base + E_SLOT]! >= 0;
    e[base + E_STATE] = v.state;
    if (!wasIndexed) this.index.insert(id, hash);
    Atomics.add(e, base + E_SEQ, 1); // even: readers may take it
    this.views.header[H_BYTES]! += MIN_BLOCK << cls;
  }

  private takeEntry(): number {
    const { header: h, entries: e } = this.views;
    if (h[H_FREE_ENTRY] === NONE) this.eviction.evictOne();
    const id = h[H_FREE_ENTRY]!;
    if (id === NONE) return NONE;
    const base = id * ENTRY_WORDS;
    h[H_FREE_ENTRY] = e[base + E_NEXT]!;
    e[base + E_PREV] = NONE;
    e[base + E_NEXT] = NONE;
    e[base + E_REGION] = NONE;
    e[base + E_SLOT] = NONE;
    e[base + E_BLOCK] = NONE;
    h[H_ENTRIES]!++;
    return id;
  }

  /** A block of class `cls` for entry `forId`, evicting others (never `forId`) until one is free. */
  private allocate(cls: number, forId: number): number {
    for (;;) {
      const block = this.arena.take(cls);
      if (block !== NONE) return block;
      // Over the budget, or the arena is cut into blocks of other sizes: evict, and when nothing
      // but this entry is left, start the arena afresh (the blocks were all free).
      if (!this.eviction.evictOne(forId)) {
        if (this.views.header[H_BYTES] !== 0) return NONE; // only computing entries hold blocks: no room now
        this.arena.reset();
        if (MIN_BLOCK << cls > this.geometry.arenaBytes) return NONE;
      }
    }
  }

  /** Frees an entry's block and list place; `whole`: the entry and its index slot too. */
  private release(id: number, whole: boolean): void {
    const e = this.views.entries;
    const base = id * ENTRY_WORDS;
    Atomics.add(e, base + E_SEQ, 1);
    if (e[base + E_STATE] !== COMPUTING && e[base + E_REGION] !== NONE) this.lists.unlink(id);
    const block = e[base + E_BLOCK]!;
    if (block !== NONE) this.arena.free(block, e[base + E_CLASS]!);
    e[base + E_BLOCK] = NONE;
    if (whole) {
      e[base + E_STATE] = FREE; // before the index lets go of it: a rebuild of the index skips it
      this.index.remove(id);
    }
    Atomics.add(e, base + E_SEQ, 1);
  }

  private removeEntry(id: number, wake: boolean): void {
    this.release(id, true);
    const h = this.views.header;
    this.views.entries[id * ENTRY_WORDS + E_NEXT] = h[H_FREE_ENTRY]!;
    h[H_FREE_ENTRY] = id;
    h[H_ENTRIES]!--;
    if (wake) this.wake(id);
  }

  private wake(id: number): void {
    Atomics.add(this.views.entries, id * ENTRY_WORDS + E_WAKE, 1);
    Atomics.notify(this.views.entries, id * ENTRY_WORDS + E_WAKE);
  }
}
