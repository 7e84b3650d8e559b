import {
  COMPUTING,
  EMPTY,
  ENTRY_WORDS,
  E_BLOCK,
  E_CLASS,
  E_EXPIRES_F64,
  E_HASH,
  E_KEY_BYTES,
  E_KIND,
  E_NEXT,
  E_OWNER,
  E_PREV,
  E_REGION,
  E_SEQ,
  E_SLOT,
  E_STATE,
  E_VALUE_BYTES,
  E_WAKE,
  FAILED,
  FREE,
  H_ARENA_TOP,
  H_BYTES,
  H_DELETES,
  H_ENTRIES,
  H_EVICTIONS,
  H_EXPIRATIONS,
  H_FREE_BLOCKS,
  H_FREE_ENTRY,
  H_LIST_HEAD,
  H_LIST_TAIL,
  H_LOCK,
  H_LOCK_OWNER,
  H_RESETS,
  H_PROTECTED_BYTES,
  H_PARTICIPANTS,
  CURSOR_STRIDE,
  C_DRAINED,
  C_WRITTEN,
  H_SETS,
  H_SWEEP,
  H_TOMBSTONES,
  H_WINDOW_BYTES,
  H_WINDOW_COUNT,
  H_PROTECTED_COUNT,
  HEADER_WORDS,
  LIVE,
  MAX_PARTICIPANTS,
  MIN_BLOCK,
  STATS_STRIDE,
  NONE,
  PROBATION,
  PROTECTED,
  READ_BUFFER,
  SIZE_CLASSES,
  TOMBSTONE,
  WINDOW,
  regionsOf,
  type CacheGeometry,
} from './layout.js';
import { lock, unlock } from './lock.js';
import { keyFlags, keyMatches, storedKeyBytes, valueOffset, writeKey } from './key-codec.js';
import { KIND_NUMBER, KIND_STRING } from './values.js';
import type { CacheKey } from '../transport/contract.js';
import { FrequencySketch } from './sketch.js';

/**
 * What a lock-free read found, in one object the store reuses (read it before the next call): the
 * value itself when it is a string or a number (read in place), else a copy of its bytes and how
 * they are encoded; for a memo marker, its entry, owner and wake word.
 */
export interface Found {
  state: number;
  kind: number;
  value: unknown;
  bytes: Uint8Array | undefined;
  expiresAt: number;
  id: number;
  owner: number;
  wake: number;
}

/** The share of the byte budget the window (admission-free recency region) gets, and of the main region the protected segment. */
const WINDOW_SHARE = 0.01;
const PROTECTED_SHARE = 0.8;
const READ_RETRIES = 4;
const SWEEP_PER_WRITE = 4;

/**
 * One cache's table, arena and eviction policy over its SharedArrayBuffer, as any thread of the host
 * sees it (layout.ts draws the buffer). Reads are lock-free (sequence words); every change holds the
 * lock, drains the hits readers recorded, and keeps the budgets by W-TinyLFU: new entries enter a
 * small LRU window; leaving it, an entry is admitted to the main region only if the sketch has seen
 * it more often than the main region's next victim; main is a segmented LRU (probation, protected).
 */
export class CacheStore {
  readonly header: Int32Array;
  private readonly stats: Float64Array;
  readonly alive: Int32Array;
  private readonly index: Int32Array;
  readonly entries: Int32Array;
  private readonly expires: Float64Array;
  private readonly reads: Int32Array;
  private readonly cursors: Int32Array;
  private readonly arena: Uint8Array;
  private readonly arena16: Uint16Array;
  /** The arena as a Buffer: its toString decodes UTF-8 straight from shared memory, without a copy. */
  private readonly arenaText: Buffer;
  private readonly arenaF64: Float64Array;
  private readonly arenaWords: Int32Array;
  private readonly found: Found = { state: 0, kind: 0, value: undefined, bytes: undefined, expiresAt: 0, id: 0, owner: 0, wake: 0 };
  private readonly sketch: FrequencySketch;
  private readonly indexMask: number;
  private readonly windowMax: number;
  private readonly protectedMax: number;
  private readonly windowCountMax: number;
  private readonly protectedCountMax: number;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly geometry: CacheGeometry,
    /** This thread's row in the stats (0: the host). */
    private readonly participant: number,
  ) {
    const r = regionsOf(geometry);
    this.header = new Int32Array(buffer, r.header, HEADER_WORDS);
    this.stats = new Float64Array(buffer, r.stats, MAX_PARTICIPANTS * STATS_STRIDE);
    this.alive = new Int32Array(buffer, r.alive, MAX_PARTICIPANTS);
    this.index = new Int32Array(buffer, r.index, geometry.indexSize);
    this.entries = new Int32Array(buffer, r.entries, geometry.slots * ENTRY_WORDS);
    this.expires = new Float64Array(buffer, r.entries, geometry.slots * (ENTRY_WORDS / 2)); // read at id * 8 + E_EXPIRES_F64
    this.sketch = new FrequencySketch(new Int32Array(buffer, r.sketch, (4 * geometry.sketchWidth) / 8), this.header, geometry.sketchWidth, 10 * geometry.maxEntries);
    this.reads = new Int32Array(buffer, r.reads, MAX_PARTICIPANTS * READ_BUFFER);
    this.cursors = new Int32Array(buffer, r.cursors, MAX_PARTICIPANTS * CURSOR_STRIDE);
    this.arena = new Uint8Array(buffer, r.arena, geometry.arenaBytes);
    this.arenaWords = new Int32Array(buffer, r.arena, Math.floor(geometry.arenaBytes / 4));
    this.arena16 = new Uint16Array(buffer, r.arena, Math.floor(geometry.arenaBytes / 2));
    this.arenaText = Buffer.from(buffer, r.arena, geometry.arenaBytes);
    this.arenaF64 = new Float64Array(buffer, r.arena, Math.floor(geometry.arenaBytes / 8));
    this.indexMask = geometry.indexSize - 1;
    // The writers drain the access buffers of slots below H_PARTICIPANTS: this thread's included.
    for (let seen = Atomics.load(this.header, H_PARTICIPANTS); seen <= participant; seen = Atomics.load(this.header, H_PARTICIPANTS)) {
      Atomics.compareExchange(this.header, H_PARTICIPANTS, seen, participant + 1);
    }
    this.windowMax = Math.max(MIN_BLOCK, Math.floor(geometry.maxBytes * WINDOW_SHARE));
    this.protectedMax = Math.floor((geometry.maxBytes - this.windowMax) * PROTECTED_SHARE);
    // The regions are sized in entries as well as bytes: whichever budget binds, the window stays small.
    this.windowCountMax = Math.max(1, Math.ceil(geometry.maxEntries * WINDOW_SHARE));
    this.protectedCountMax = Math.max(1, Math.floor((geometry.maxEntries - this.windowCountMax) * PROTECTED_SHARE));
  }

  /** A new cache's buffer, laid out and empty. */
  static create(geometry: CacheGeometry): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(regionsOf(geometry).total);
    const store = new CacheStore(buffer, geometry, 0);
    store.index.fill(EMPTY);
    store.reset();
    return buffer;
  }

  // ---- reads (no lock) ----

  /** The entry for `key` (of hash `hash`), read consistently without the lock; undefined: not there. */
  find(key: CacheKey, hash: number): Found | undefined {
    for (let attempt = 0; attempt < READ_RETRIES; attempt++) {
      const found = this.findOnce(key, hash);
      if (found !== RETRY) return found;
    }
    return undefined; // writers kept moving it: a miss is a correct answer for a cache
  }

  private findOnce(key: CacheKey, hash: number): Found | undefined | typeof RETRY {
    const e = this.entries;
    let slot = hash & this.indexMask;
    for (let probes = 0; probes <= this.indexMask; probes++, slot = (slot + 1) & this.indexMask) {
      const id = Atomics.load(this.index, slot);
      if (id === EMPTY) return undefined;
      if (id < 0) continue;
      const base = id * ENTRY_WORDS;
      if (e[base + E_HASH] !== hash) continue;
      const seq = Atomics.load(e, base + E_SEQ);
      if ((seq & 1) === 1) return RETRY;
      const state = e[base + E_STATE]!;
      const block = e[base + E_BLOCK]!;
      const keyBytes = e[base + E_KEY_BYTES]!;
      const kindWord = e[base + E_KIND]!;
      if (state === FREE || !keyMatches(this.arena, this.arena16, block, keyBytes, kindWord, key)) {
        if (Atomics.load(e, base + E_SEQ) !== seq) return RETRY;
        continue;
      }
      const f = this.found;
      f.state = state;
      f.id = id;
      if (state === COMPUTING) {
        f.owner = e[base + E_OWNER]!;
        f.wake = Atomics.load(e, base + E_WAKE);
        return Atomics.load(e, base + E_SEQ) === seq ? f : RETRY;
      }
      const kind = kindWord & 0xffff;
      const at = valueOffset(block, keyBytes);
      const valueBytes = e[base + E_VALUE_BYTES]!;
      // Strings and numbers are read in place, the rest copied out; either way the sequence word,
      // read again after, says whether a writer changed the entry meanwhile.
      f.kind = kind;
      f.bytes = undefined;
      if (at + valueBytes > this.arena.length) return RETRY; // fields read mid-change
      if (kind === KIND_NUMBER) f.value = this.arenaF64[at >> 3];
      else if (kind === KIND_STRING) f.value = this.arenaText.toString('utf8', at, at + valueBytes);
      else f.bytes = this.arena.slice(at, at + valueBytes);
      f.expiresAt = this.expires[id * 8 + E_EXPIRES_F64]!;
      if (Atomics.load(e, base + E_SEQ) !== seq) return RETRY;
      if (state === LIVE) this.record(id);
      return f;
    }
    return undefined;
  }

  /**
   * An access, in this thread's own buffer (no word shared with other readers): an entry's id for
   * a hit, a missed key's hash with the top bit set for a miss. The next writer counts it in the
   * sketch and, for a hit, reorders the lists; a reader whose buffer is 3/4 full drains all
   * buffers itself if the lock is free (else the oldest are overwritten: a lossy buffer may lose some).
   */
  private record(access: number): void {
    const at = this.participant * CURSOR_STRIDE;
    const written = this.cursors[at + C_WRITTEN]!;
    this.reads[this.participant * READ_BUFFER + (written & (READ_BUFFER - 1))] = access;
    Atomics.store(this.cursors, at + C_WRITTEN, (written + 1) | 0);
    if (((written + 1 - Atomics.load(this.cursors, at + C_DRAINED)) | 0) >= (READ_BUFFER * 3) / 4 && Atomics.compareExchange(this.header, H_LOCK, 0, 1) === 0) {
      Atomics.store(this.header, H_LOCK_OWNER, this.participant + 1);
      try {
        this.drainAccesses();
      } finally {
        Atomics.store(this.header, H_LOCK_OWNER, 0);
        unlock(this.header, H_LOCK);
      }
    }
  }


  countHit(): void {
    this.stats[this.participant * STATS_STRIDE] = this.stats[this.participant * STATS_STRIDE]! + 1;
  }

  countMiss(hash: number): void {
    this.stats[this.participant * STATS_STRIDE + 1] = this.stats[this.participant * STATS_STRIDE + 1]! + 1;
    this.record(hash | 0x80000000); // TinyLFU counts every access, hit or miss: that is what admission compares
  }

  hitsAndMisses(): { hits: number; misses: number } {
    let hits = 0;
    let misses = 0;
    for (let p = 0; p < MAX_PARTICIPANTS; p++) {
      hits += this.stats[p * STATS_STRIDE]!;
      misses += this.stats[p * STATS_STRIDE + 1]!;
    }
    return { hits, misses };
  }

  // ---- writes (under the lock) ----

  /** Runs `change` holding the writers' lock, after applying the hits readers queued. */
  locked<T>(change: () => T): T {
    lock(this.header, H_LOCK);
    Atomics.store(this.header, H_LOCK_OWNER, this.participant + 1);
    try {
      this.drainAccesses();
      this.sketch.ageIfDue();
      return change();
    } finally {
      Atomics.store(this.header, H_LOCK_OWNER, 0);
      unlock(this.header, H_LOCK);
    }
  }

  /**
   * After the thread of participant `slot` is gone (its exit seen by the host): if it died holding
   * the lock, in the middle of a change, nothing in the table can be trusted, so the cache is
   * emptied (its stats kept, the reset counted) and the lock freed. True when that happened.
   */
  recoverFromDeadWriter(slot: number): boolean {
    if (Atomics.load(this.header, H_LOCK) === 0 || Atomics.load(this.header, H_LOCK_OWNER) !== slot + 1) return false;
    Atomics.store(this.header, H_LOCK_OWNER, this.participant + 1); // the dead thread cannot run again: the lock is ours
    for (let id = 0; id < this.geometry.slots; id++) {
      const base = id * ENTRY_WORDS;
      if (this.entries[base + E_STATE] === FREE) continue;
      Atomics.add(this.entries, base + E_SEQ, (Atomics.load(this.entries, base + E_SEQ) & 1) === 1 ? 1 : 2); // even, and changed: readers in flight retry
      this.entries[base + E_STATE] = FREE;
      this.wake(id); // memo waiters look again (and compute)
    }
    this.reset();
    this.header[H_ENTRIES] = 0;
    this.header[H_BYTES] = 0;
    this.header[H_RESETS]!++;
    Atomics.store(this.header, H_LOCK_OWNER, 0);
    unlock(this.header, H_LOCK);
    return true;
  }

  /** The live (or computing) entry id for `key`, under the lock; NONE when there is none. */
  lookup(key: CacheKey, hash: number): number {
    let slot = hash & this.indexMask;
    for (let probes = 0; probes <= this.indexMask; probes++, slot = (slot + 1) & this.indexMask) {
      const id = this.index[slot]!;
      if (id === EMPTY) return NONE;
      if (id < 0) continue;
      const base = id * ENTRY_WORDS;
      if (this.entries[base + E_HASH] === hash && keyMatches(this.arena, this.arena16, this.entries[base + E_BLOCK]!, this.entries[base + E_KEY_BYTES]!, this.entries[base + E_KIND]!, key)) return id;
    }
    return NONE;
  }

  /**
   * Stores `value` (already encoded: `kind` says how) for `key`, replacing what is there (a computing
   * memo entry becomes live and its waiters wake). Returns false when the value can never fit (the
   * caller says why); evicts what the budgets require.
   */
  put(key: CacheKey, hash: number, kind: number, value: Uint8Array, expiresAt: number, state: typeof LIVE | typeof FAILED = LIVE): boolean {
    const keyBytes = storedKeyBytes(key);
    const need = valueOffset(0, keyBytes) + value.length;
    const cls = classOf(need);
    if (cls >= SIZE_CLASSES || MIN_BLOCK << cls > this.geometry.maxBytes) return false;
    let id = this.lookup(key, hash);
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
    this.link(id, WINDOW);
    this.header[H_SETS]!++;
    this.wake(id);
    this.keepBudgets(id);
    this.sweepSome();
    return true;
  }

  /**
   * Marks `key` as being computed by `owner` (a memo), with no value yet; returns its entry id, or
   * NONE when no entry is free. The key's bytes are kept in a block of their own so readers can match it.
   */
  beginComputing(key: CacheKey, hash: number, owner: number): number {
    const id = this.takeEntry();
    if (id === NONE) return NONE;
    const keyBytes = storedKeyBytes(key);
    const cls = classOf(keyBytes);
    const block = this.allocate(cls, id);
    if (block === NONE) {
      this.removeEntry(id, false);
      return NONE;
    }
    this.fill(id, key, hash, block, cls, { kind: 0, value: undefined, expiresAt: 0, owner, state: COMPUTING });
    return id;
  }

  /**
   * Writes an entry (key, value, fields) between two bumps of its sequence word, indexes it if it is
   * new, and counts its block in the bytes.
   */
  private fill(id: number, key: CacheKey, hash: number, block: number, cls: number, v: { kind: number; value: Uint8Array | undefined; expiresAt: number; owner: number; state: number }): void {
    const e = this.entries;
    const base = id * ENTRY_WORDS;
    const keyBytes = storedKeyBytes(key);
    Atomics.add(e, base + E_SEQ, 1); // odd: readers retry
    writeKey(this.arena, this.arena16, block, key);
    if (v.value !== undefined) this.arena.set(v.value, valueOffset(block, keyBytes));
    e[base + E_HASH] = hash;
    e[base + E_BLOCK] = block;
    e[base + E_CLASS] = cls;
    e[base + E_KEY_BYTES] = keyBytes;
    e[base + E_VALUE_BYTES] = v.value?.length ?? 0;
    e[base + E_KIND] = v.kind | keyFlags(key);
    e[base + E_OWNER] = v.owner;
    this.expires[id * 8 + E_EXPIRES_F64] = v.expiresAt;
    const wasIndexed = e[base + E_SLOT]! >= 0;
    e[base + E_STATE] = v.state;
    if (!wasIndexed) this.insertIndex(id, hash);
    Atomics.add(e, base + E_SEQ, 1); // even: readers may take it
    this.header[H_BYTES]! += MIN_BLOCK << cls;
  }

  /** Gives a computing entry to a new owner (its old one died); false if it is no longer computing for `expectedOwner`. */
  handOver(id: number, expectedOwner: number, owner: number): boolean {
    const base = id * ENTRY_WORDS;
    if (this.entries[base + E_STATE] !== COMPUTING || this.entries[base + E_OWNER] !== expectedOwner) return false;
    this.entries[base + E_OWNER] = owner;
    return true;
  }

  /** When entry `id` expires (ms since the epoch; 0: never). */
  expiresAt(id: number): number {
    return this.expires[id * 8 + E_EXPIRES_F64]!;
  }

  /** Removes `key`; true if it was there. */
  remove(key: CacheKey, hash: number): boolean {
    const id = this.lookup(key, hash);
    if (id === NONE) return false;
    this.removeEntry(id, true);
    this.header[H_DELETES]!++;
    return true;
  }

  /** Removes the computing entries whose owner is `isDead`, waking their waiters (one of them takes over). */
  dropComputingOf(isDead: (owner: number) => boolean): number {
    let dropped = 0;
    for (let id = 0; id < this.geometry.slots; id++) {
      const base = id * ENTRY_WORDS;
      if (this.entries[base + E_STATE] === COMPUTING && isDead(this.entries[base + E_OWNER]!)) {
        this.removeEntry(id, true);
        dropped++;
      }
    }
    return dropped;
  }

  /** Removes every expired entry now. */
  sweepExpired(now = Date.now()): number {
    let removed = 0;
    for (let id = 0; id < this.geometry.slots; id++) if (this.expiredAt(id, now)) (this.removeEntry(id, true), removed++);
    this.header[H_EXPIRATIONS]! += removed;
    return removed;
  }

  /** Entries and bytes in use, and what eviction and expiry did. */
  counters(): { entries: number; bytes: number; evictions: number; expirations: number; sets: number; deletes: number; resets: number } {
    const h = this.header;
    return { entries: Atomics.load(h, H_ENTRIES), bytes: Atomics.load(h, H_BYTES), evictions: Atomics.load(h, H_EVICTIONS), expirations: Atomics.load(h, H_EXPIRATIONS), sets: Atomics.load(h, H_SETS), deletes: Atomics.load(h, H_DELETES), resets: Atomics.load(h, H_RESETS) };
  }

  /**
   * The counters recomputed from the entries and lists themselves, under the lock (the tests hold
   * them against counters()): entries and bytes in use, and the entries each list holds.
   */
  audit(): { entries: number; bytes: number; listed: number; window: number; protected: number } {
    return this.locked(() => {
      let entries = 0;
      let bytes = 0;
      for (let id = 0; id < this.geometry.slots; id++) {
        const base = id * ENTRY_WORDS;
        if (this.entries[base + E_STATE] === FREE) continue;
        entries++;
        if (this.entries[base + E_BLOCK] !== NONE) bytes += this.size(id);
      }
      const walk = (region: number): number => {
        let n = 0;
        for (let id = this.header[H_LIST_HEAD + region]!; id !== NONE && n <= this.geometry.slots; id = this.entries[id * ENTRY_WORDS + E_NEXT]!) n++;
        return n;
      };
      const window = walk(WINDOW);
      const prot = walk(PROTECTED);
      return { entries, bytes, listed: window + walk(PROBATION) + prot, window, protected: prot };
    });
  }

  /** Empties the cache (entries, arena, lists); the stats stay. */
  clear(): void {
    for (let id = 0; id < this.geometry.slots; id++) if (this.entries[id * ENTRY_WORDS + E_STATE] !== FREE) this.removeEntry(id, true);
    this.reset();
  }

  // ---- internals ----

  private reset(): void {
    const h = this.header;
    for (let r = WINDOW; r <= PROTECTED; r++) {
      h[H_LIST_HEAD + r] = NONE;
      h[H_LIST_TAIL + r] = NONE;
    }
    for (let c = 0; c < SIZE_CLASSES; c++) h[H_FREE_BLOCKS + c] = NONE;
    h[H_ARENA_TOP] = 0;
    h[H_WINDOW_BYTES] = 0;
    h[H_PROTECTED_BYTES] = 0;
    h[H_WINDOW_COUNT] = 0;
    h[H_PROTECTED_COUNT] = 0;
    h[H_TOMBSTONES] = 0;
    this.index.fill(EMPTY);
    h[H_FREE_ENTRY] = NONE;
    for (let id = this.geometry.slots - 1; id >= 0; id--) {
      const base = id * ENTRY_WORDS;
      this.entries[base + E_STATE] = FREE;
      this.entries[base + E_BLOCK] = NONE;
      this.entries[base + E_SLOT] = NONE;
      this.entries[base + E_NEXT] = h[H_FREE_ENTRY]!;
      h[H_FREE_ENTRY] = id;
    }
  }

  private takeEntry(): number {
    if (this.header[H_FREE_ENTRY] === NONE) this.evictOne();
    const id = this.header[H_FREE_ENTRY]!;
    if (id === NONE) return NONE;
    const base = id * ENTRY_WORDS;
    this.header[H_FREE_ENTRY] = this.entries[base + E_NEXT]!;
    this.entries[base + E_PREV] = NONE;
    this.entries[base + E_NEXT] = NONE;
    this.entries[base + E_REGION] = NONE;
    this.entries[base + E_SLOT] = NONE;
    this.entries[base + E_BLOCK] = NONE;
    this.header[H_ENTRIES]!++;
    return id;
  }

  /** A block of class `cls` for entry `forId`, evicting others (never `forId`) when the arena is full. */
  private allocate(cls: number, forId: number): number {
    const size = MIN_BLOCK << cls;
    for (;;) {
      if (this.header[H_BYTES]! + size <= this.geometry.maxBytes) {
        const free = this.header[H_FREE_BLOCKS + cls]!;
        if (free !== NONE) {
          this.header[H_FREE_BLOCKS + cls] = this.arenaWords[free >> 2]!;
          return free;
        }
        const top = this.header[H_ARENA_TOP]!;
        if (top + size <= this.geometry.arenaBytes) {
          this.header[H_ARENA_TOP] = top + size;
          return top;
        }
      }
      // Over the budget, or the arena is cut into blocks of other sizes: evict, and when nothing
      // but this entry is left, start the arena afresh (the blocks were all free).
      if (!this.evictOne(forId)) {
        if (this.header[H_BYTES] !== 0) return NONE; // only computing entries hold blocks: no room now
        for (let c = 0; c < SIZE_CLASSES; c++) this.header[H_FREE_BLOCKS + c] = NONE;
        this.header[H_ARENA_TOP] = 0;
        if (size > this.geometry.arenaBytes) return NONE;
      }
    }
  }

  private freeBlock(block: number, cls: number): void {
    this.arenaWords[block >> 2] = this.header[H_FREE_BLOCKS + cls]!;
    this.header[H_FREE_BLOCKS + cls] = block;
    this.header[H_BYTES]! -= MIN_BLOCK << cls;
  }

  /** Frees an entry's block and list place; `whole`: the entry and its index slot too. */
  private release(id: number, whole: boolean): void {
    const e = this.entries;
    const base = id * ENTRY_WORDS;
    Atomics.add(e, base + E_SEQ, 1);
    if (e[base + E_STATE] !== COMPUTING && e[base + E_REGION] !== NONE) this.unlink(id);
    const block = e[base + E_BLOCK]!;
    if (block !== NONE) this.freeBlock(block, e[base + E_CLASS]!);
    e[base + E_BLOCK] = NONE;
    if (whole) {
      const slot = e[base + E_SLOT]!;
      if (slot !== NONE) {
        Atomics.store(this.index, slot, TOMBSTONE);
        this.header[H_TOMBSTONES]!++;
      }
      e[base + E_SLOT] = NONE;
      e[base + E_STATE] = FREE;
    }
    Atomics.add(e, base + E_SEQ, 1);
  }

  private removeEntry(id: number, wake: boolean): void {
    this.release(id, true);
    const base = id * ENTRY_WORDS;
    this.entries[base + E_NEXT] = this.header[H_FREE_ENTRY]!;
    this.header[H_FREE_ENTRY] = id;
    this.header[H_ENTRIES]!--;
    if (wake) this.wake(id);
    if (this.header[H_TOMBSTONES]! > this.geometry.indexSize / 4) this.rebuildIndex();
  }

  private wake(id: number): void {
    Atomics.add(this.entries, id * ENTRY_WORDS + E_WAKE, 1);
    Atomics.notify(this.entries, id * ENTRY_WORDS + E_WAKE);
  }

  private insertIndex(id: number, hash: number): void {
    let slot = hash & this.indexMask;
    while (this.index[slot]! >= 0) slot = (slot + 1) & this.indexMask;
    if (this.index[slot] === TOMBSTONE) this.header[H_TOMBSTONES]!--;
    this.entries[id * ENTRY_WORDS + E_SLOT] = slot;
    Atomics.store(this.index, slot, id);
  }

  /** Tombstones make probes long: the index is rebuilt from the entries (a reader meanwhile may miss, never misread). */
  private rebuildIndex(): void {
    this.index.fill(EMPTY);
    this.header[H_TOMBSTONES] = 0;
    for (let id = 0; id < this.geometry.slots; id++) {
      const base = id * ENTRY_WORDS;
      if (this.entries[base + E_STATE] !== FREE) this.insertIndex(id, this.entries[base + E_HASH]!);
    }
  }

  private size(id: number): number {
    return MIN_BLOCK << this.entries[id * ENTRY_WORDS + E_CLASS]!;
  }

  private link(id: number, region: number): void {
    const e = this.entries;
    const base = id * ENTRY_WORDS;
    const tail = this.header[H_LIST_TAIL + region]!;
    e[base + E_REGION] = region;
    if (region === WINDOW) (this.header[H_WINDOW_BYTES]! += this.size(id), this.header[H_WINDOW_COUNT]!++);
    if (region === PROTECTED) (this.header[H_PROTECTED_BYTES]! += this.size(id), this.header[H_PROTECTED_COUNT]!++);
    e[base + E_PREV] = tail;
    e[base + E_NEXT] = NONE;
    if (tail === NONE) this.header[H_LIST_HEAD + region] = id;
    else e[tail * ENTRY_WORDS + E_NEXT] = id;
    this.header[H_LIST_TAIL + region] = id;
  }

  private unlink(id: number): void {
    const e = this.entries;
    const base = id * ENTRY_WORDS;
    const region = e[base + E_REGION]!;
    const prev = e[base + E_PREV]!;
    const next = e[base + E_NEXT]!;
    if (prev === NONE) this.header[H_LIST_HEAD + region] = next;
    else e[prev * ENTRY_WORDS + E_NEXT] = next;
    if (next === NONE) this.header[H_LIST_TAIL + region] = prev;
    else e[next * ENTRY_WORDS + E_PREV] = prev;
    if (region === WINDOW) (this.header[H_WINDOW_BYTES]! -= this.size(id), this.header[H_WINDOW_COUNT]!--);
    if (region === PROTECTED) (this.header[H_PROTECTED_BYTES]! -= this.size(id), this.header[H_PROTECTED_COUNT]!--);
    e[base + E_REGION] = NONE;
  }

  /** Moves an entry to the most recent end of `region`, keeping the region byte counts. */
  private moveTo(id: number, region: number): void {
    this.unlink(id);
    this.link(id, region);
  }

  /** The accesses every thread recorded since the last drain: counted in the sketch; hits reorder the lists. */
  private drainAccesses(): void {
    const threads = Atomics.load(this.header, H_PARTICIPANTS);
    for (let p = 0; p < threads; p++) {
      const at = p * CURSOR_STRIDE;
      const written = Atomics.load(this.cursors, at + C_WRITTEN);
      let next = this.cursors[at + C_DRAINED]!;
      if (((written - next) | 0) > READ_BUFFER) next = (written - READ_BUFFER) | 0; // overwritten before a drain: lost
      for (; next !== written; next = (next + 1) | 0) this.apply(this.reads[p * READ_BUFFER + (next & (READ_BUFFER - 1))]!);
      Atomics.store(this.cursors, at + C_DRAINED, written);
    }
  }

  private apply(access: number): void {
    if (access < 0) {
      this.sketch.increment(access & 0x7fffffff);
      return;
    }
    if (access >= this.geometry.slots || this.entries[access * ENTRY_WORDS + E_STATE] !== LIVE) return;
    this.sketch.increment(this.entries[access * ENTRY_WORDS + E_HASH]!);
    const region = this.entries[access * ENTRY_WORDS + E_REGION]!;
    if (region === WINDOW || region === PROTECTED) {
      if (this.header[H_LIST_TAIL + region] !== access) this.moveTo(access, region); // already the most recent: nothing to move
    }
    else if (region === PROBATION) {
      this.moveTo(access, PROTECTED);
      this.demoteProtected();
    }
  }

  private demoteProtected(): void {
    while (this.header[H_PROTECTED_BYTES]! > this.protectedMax || this.header[H_PROTECTED_COUNT]! > this.protectedCountMax) {
      const lru = this.header[H_LIST_HEAD + PROTECTED]!;
      if (lru === NONE) return;
      this.moveTo(lru, PROBATION);
    }
  }

  /**
   * The window's overflow goes to probation as candidates; then, while over a budget, each candidate
   * faces probation's least recent entry and the sketch keeps the more frequent (TinyLFU admission).
   */
  private keepBudgets(keep: number): void {
    let candidate = NONE;
    while (this.header[H_WINDOW_BYTES]! > this.windowMax || this.header[H_WINDOW_COUNT]! > this.windowCountMax) {
      const lru = this.header[H_LIST_HEAD + WINDOW]!;
      if (lru === NONE || lru === keep && this.entries[keep * ENTRY_WORDS + E_NEXT] === NONE) break;
      this.moveTo(lru, PROBATION);
      if (candidate === NONE) candidate = lru;
    }
    while (this.header[H_BYTES]! > this.geometry.maxBytes || this.header[H_ENTRIES]! > this.geometry.maxEntries) {
      const victim = this.header[H_LIST_HEAD + PROBATION]!;
      if (victim === NONE || candidate === NONE || candidate === victim) {
        if (candidate === victim && victim !== NONE) candidate = this.entries[victim * ENTRY_WORDS + E_NEXT]!;
        if (!this.evictOne(keep)) return;
        continue;
      }
      const candidateWins = this.sketch.frequency(this.entries[candidate * ENTRY_WORDS + E_HASH]!) > this.sketch.frequency(this.entries[victim * ENTRY_WORDS + E_HASH]!);
      if (candidateWins) this.evict(victim);
      else {
        const next = this.entries[candidate * ENTRY_WORDS + E_NEXT]!;
        this.evict(candidate);
        candidate = next;
      }
    }
  }

  /** Evicts the least valuable entry (probation's head, then the window's, then protected's), never `keep`. */
  private evictOne(keep = NONE): boolean {
    for (const region of [PROBATION, WINDOW, PROTECTED]) {
      let id = this.header[H_LIST_HEAD + region]!;
      if (id !== NONE && id === keep) id = this.entries[id * ENTRY_WORDS + E_NEXT]!;
      if (id !== NONE) {
        this.evict(id);
        return true;
      }
    }
    return false;
  }

  private evict(id: number): void {
    if (this.expiredAt(id, Date.now())) this.header[H_EXPIRATIONS]!++;
    else this.header[H_EVICTIONS]!++;
    this.removeEntry(id, true);
  }

  private expiredAt(id: number, now: number): boolean {
    const at = this.expires[id * 8 + E_EXPIRES_F64]!;
    return at !== 0 && at <= now && this.entries[id * ENTRY_WORDS + E_STATE] === LIVE;
  }

  /** A few entries checked for expiry at each write, so expired entries leave without a timer. */
  private sweepSome(): void {
    const now = Date.now();
    let id = this.header[H_SWEEP]!;
    for (let i = 0; i < SWEEP_PER_WRITE; i++, id = (id + 1) % this.geometry.slots) {
      if (this.expiredAt(id, now)) {
        this.removeEntry(id, true);
        this.header[H_EXPIRATIONS]!++;
      }
    }
    this.header[H_SWEEP] = id;
  }
}

const RETRY = Symbol('retry');

/** The size class of a block holding `bytes`: 64 B << class. */
export function classOf(bytes: number): number {
  return Math.max(0, Math.ceil(Math.log2(Math.max(1, bytes) / MIN_BLOCK)));
}
