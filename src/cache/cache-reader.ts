import type { AccessBuffers } from './access-buffers.js';
import type { CacheViews } from './cache-views.js';
import { keyMatches, valueOffset } from './key-codec.js';
import { COMPUTING, EMPTY, ENTRY_WORDS, E_BLOCK, E_EXPIRES_F64, E_HASH, E_KEY_BYTES, E_KIND, E_OWNER, E_SEQ, E_STATE, E_VALUE_BYTES, E_WAKE, FREE, LIVE, MAX_PARTICIPANTS, STATS_STRIDE } from './layout.js';
import { KIND_NUMBER, KIND_STRING } from './values.js';
import type { CacheKey } from '../transport/contract.js';

/**
 * What a lock-free read found, in one object the reader reuses (read it before the next call): the
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

const READ_RETRIES = 4;
const RETRY = Symbol('retry');

/**
 * A thread's reads of a cache, without the lock: the index probed, the entry read between two
 * reads of its sequence word (odd while a writer changes it; changed: read again, or miss), the
 * access recorded, and this thread's hits and misses counted in its own stats row.
 */
export class CacheReader {
  private readonly found: Found = { state: 0, kind: 0, value: undefined, bytes: undefined, expiresAt: 0, id: 0, owner: 0, wake: 0 };

  constructor(
    private readonly views: CacheViews,
    private readonly accesses: AccessBuffers,
    private readonly participant: number,
    /** This thread's access buffer is filling up: drain the buffers if the lock is free. */
    private readonly onBufferFull: () => void,
  ) {}

  /** The entry for `key` (of hash `hash`), read consistently; undefined: not there. */
  find(key: CacheKey, hash: number): Found | undefined {
    for (let attempt = 0; attempt < READ_RETRIES; attempt++) {
      const found = this.findOnce(key, hash);
      if (found !== RETRY) return found;
    }
    return undefined; // writers kept moving it: a miss is a correct answer for a cache
  }

  countHit(): void {
    this.views.stats[this.participant * STATS_STRIDE]! += 1;
  }

  /** A miss, counted, and recorded for the sketch: TinyLFU counts every access, hit or miss. */
  countMiss(hash: number): void {
    this.views.stats[this.participant * STATS_STRIDE + 1]! += 1;
    this.record(hash | 0x80000000);
  }

  hitsAndMisses(): { hits: number; misses: number } {
    const stats = this.views.stats;
    let hits = 0;
    let misses = 0;
    for (let p = 0; p < MAX_PARTICIPANTS; p++) {
      hits += stats[p * STATS_STRIDE]!;
      misses += stats[p * STATS_STRIDE + 1]!;
    }
    return { hits, misses };
  }

  private findOnce(key: CacheKey, hash: number): Found | undefined | typeof RETRY {
    const { entries: e, index, indexMask, arena, arena16 } = this.views;
    let slot = hash & indexMask;
    for (let probes = 0; probes <= indexMask; probes++, slot = (slot + 1) & indexMask) {
      const id = Atomics.load(index, slot);
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
      if (state === FREE || !keyMatches(arena, arena16, block, keyBytes, kindWord, key)) {
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
      if (!this.readValue(f, kindWord & 0xffff, valueOffset(block, keyBytes), e[base + E_VALUE_BYTES]!)) return RETRY;
      f.expiresAt = this.views.expires[id * 8 + E_EXPIRES_F64]!;
      if (Atomics.load(e, base + E_SEQ) !== seq) return RETRY;
      if (state === LIVE) this.record(id);
      return f;
    }
    return undefined;
  }

  /**
   * The value into `f`: strings and numbers read in place, the rest copied out. The caller's second
   * read of the sequence word says whether a writer changed it meanwhile. False: fields read mid-change.
   */
  private readValue(f: Found, kind: number, at: number, valueBytes: number): boolean {
    const { arena, arenaF64, arenaText } = this.views;
    if (at + valueBytes > arena.length) return false;
    f.kind = kind;
    f.bytes = undefined;
    if (kind === KIND_NUMBER) f.value = arenaF64[at >> 3];
    else if (kind === KIND_STRING) f.value = arenaText.toString('utf8', at, at + valueBytes);
    else f.bytes = arena.slice(at, at + valueBytes);
    return true;
  }

  private record(access: number): void {
    if (this.accesses.record(access)) this.onBufferFull();
  }
}
