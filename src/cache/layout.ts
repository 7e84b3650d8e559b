/**
 * The layout of one cache in shared memory, drawn once here (as ring/layout.ts draws the ring's).
 * A cache is one SharedArrayBuffer that every thread of the host maps:
 *
 *   header      HEADER_WORDS Int32        lock, counters, list heads, arena top, free lists
 *   stats       MAX_PARTICIPANTS x STATS_STRIDE f64  hits and misses, a row (a cache line) per thread
 *   alive       MAX_PARTICIPANTS Int32    the generation of each participant slot's current thread
 *   index       indexSize Int32           open addressing: entry id, EMPTY or TOMBSTONE
 *   entries     slots x ENTRY_WORDS Int32 slots = maxEntries + ENTRY_SLACK; 64 bytes each, its expiry
 *                                          (an f64 in its last two words) on the same cache line
 *   sketch      SKETCH_ROWS x sketchWidth 4-bit counters, 8 to an Int32
 *   reads       MAX_PARTICIPANTS x READ_BUFFER Int32   each thread's accesses (entry hit, or a missed
 *                                          key's hash), drained by the next writer into the sketch and lists
 *   cursors     MAX_PARTICIPANTS x CURSOR_STRIDE Int32 per thread: written, drained (a cache line apart)
 *   arena       arenaBytes                key and value bytes, in power-of-two blocks
 *
 * Readers never lock: they find an entry through the index, read its bytes between two reads of
 * its sequence word (odd while a writer changes it), and retry or miss when it moved. Writers hold
 * the lock (H_LOCK).
 */
export const HEADER_WORDS = 64;
export const H_LOCK = 0;
export const H_ENTRIES = 1;
export const H_BYTES = 2;
export const H_EVICTIONS = 3;
export const H_EXPIRATIONS = 4;
export const H_PARTICIPANTS = 5; // 1 + the highest participant slot in use so far (the writers drain up to it)
export const H_SKETCH_ADDS = 7; // increments since the last halving
export const H_FREE_ENTRY = 8; // head of the free entries list
export const H_TOMBSTONES = 9;
export const H_ARENA_TOP = 10; // bump pointer, in bytes
export const H_SWEEP = 11; // the TTL sweep's next entry
export const H_WINDOW_BYTES = 12;
export const H_PROTECTED_BYTES = 13;
export const H_SETS = 14;
export const H_DELETES = 15;
export const H_WINDOW_COUNT = 22;
export const H_PROTECTED_COUNT = 23;
/** Heads and tails of the three LRU lists: window, probation, protected (least recent at the head). */
export const H_LIST_HEAD = 16; // + region
export const H_LIST_TAIL = 19; // + region
export const H_FREE_BLOCKS = 24; // + size class: the free lists of arena blocks
export const SIZE_CLASSES = 32;
export const H_LOCK_OWNER = 56; // 1 + the participant slot holding the lock (0: none)
export const H_RESETS = 57; // times the cache was emptied because a thread died holding the lock
export const MIN_BLOCK = 64;

export const MAX_PARTICIPANTS = 256;
/** f64 per stats row: 64 bytes, so two threads counting never write the same cache line. */
export const STATS_STRIDE = 8;
export const SKETCH_ROWS = 4;
/** Accesses a thread records before a writer must drain them (it drains them itself, if the lock is free, at 3/4). */
export const READ_BUFFER = 256;
export const CURSOR_STRIDE = 16;
export const C_WRITTEN = 0;
export const C_DRAINED = 1;

export const EMPTY = -1;
export const TOMBSTONE = -2;
export const NONE = -1;

/** The fields of an entry. */
export const ENTRY_WORDS = 16;
export const E_SEQ = 0; // even: stable; odd: a writer is changing the entry
export const E_HASH = 1;
export const E_STATE = 2;
export const E_BLOCK = 3; // arena offset of its block, or NONE
export const E_CLASS = 4;
export const E_KEY_BYTES = 5;
export const E_VALUE_BYTES = 6;
export const E_REGION = 7;
export const E_PREV = 8;
export const E_NEXT = 9;
export const E_SLOT = 10; // its index slot
export const E_OWNER = 11; // memo: participant | generation << 8 of the thread computing it
export const E_WAKE = 12; // memo: bumped (and notified) when the value, an error, or a hand-over comes
export const E_KIND = 13; // how the value bytes are encoded (values.ts), and KEY_IS_BYTES
/** Words 14-15: the expiry, ms since the epoch (0: no TTL), as the f64 at index id * 8 + E_EXPIRES_F64. */
export const E_EXPIRES_F64 = 7;

/** E_STATE */
export const FREE = 0;
export const LIVE = 1;
export const COMPUTING = 2;
export const FAILED = 3; // a memo's computation threw: its error is the value, for the waiters

/** E_REGION: the W-TinyLFU regions. */
export const WINDOW = 0;
export const PROBATION = 1;
export const PROTECTED = 2;

/**
 * Entries beyond maxEntries the table has room for: a new entry is written before the eviction
 * round that brings the count back to maxEntries decides, by frequency, who leaves (the newcomer
 * may be the one), and memo markers take entries too.
 */
export const ENTRY_SLACK = 64;

export interface CacheGeometry {
  maxEntries: number;
  /** maxEntries + ENTRY_SLACK */
  slots: number;
  maxBytes: number;
  indexSize: number;
  sketchWidth: number;
  arenaBytes: number;
}

export function geometryFor(maxEntries: number, maxBytes: number): CacheGeometry {
  // Sixteen counters per entry in all, as Caffeine's sketch has: fewer collisions, truer frequencies.
  const sketchWidth = 4 * 2 ** Math.ceil(Math.log2(Math.max(64, maxEntries)));
  return { maxEntries, slots: maxEntries + ENTRY_SLACK, maxBytes, indexSize: 2 ** Math.ceil(Math.log2(Math.max(16, (maxEntries + ENTRY_SLACK) * 2))), sketchWidth, arenaBytes: maxBytes };
}

/** Byte offsets of each region in the buffer, and its total size. */
export function regionsOf(g: CacheGeometry) {
  let at = 0;
  const take = (bytes: number, align = 8): number => {
    at = Math.ceil(at / align) * align;
    const start = at;
    at += bytes;
    return start;
  };
  const header = take(HEADER_WORDS * 4);
  const stats = take(MAX_PARTICIPANTS * STATS_STRIDE * 8, 64);
  const alive = take(MAX_PARTICIPANTS * 4);
  const index = take(g.indexSize * 4);
  const entries = take(g.slots * ENTRY_WORDS * 4, 64); // an entry is one cache line
  const sketch = take((SKETCH_ROWS * g.sketchWidth) / 2); // 4 bits each
  const reads = take(MAX_PARTICIPANTS * READ_BUFFER * 4);
  const cursors = take(MAX_PARTICIPANTS * CURSOR_STRIDE * 4, 64);
  const arena = take(g.arenaBytes, 64); // blocks start on cache lines
  return { header, stats, alive, index, entries, sketch, reads, cursors, arena, total: Math.ceil(at / 8) * 8 };
}
