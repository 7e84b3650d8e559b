import type { CacheViews } from './cache-views.js';
import { keyMatches } from './key-codec.js';
import { EMPTY, ENTRY_WORDS, E_BLOCK, E_HASH, E_KEY_BYTES, E_KIND, E_SLOT, E_STATE, FREE, H_TOMBSTONES, NONE, TOMBSTONE } from './layout.js';
import type { CacheKey } from '../transport/contract.js';

/**
 * The open-addressing index from key hash to entry id (linear probing; a removed entry leaves a
 * tombstone so later probes go on past it), as the writers keep it under the lock. Readers probe it
 * without the lock (cache-reader.ts).
 */
export class CacheIndex {
  constructor(private readonly views: CacheViews) {}

  /** The live (or computing) entry id for `key`; NONE when there is none. */
  lookup(key: CacheKey, hash: number): number {
    const { index, entries, arena, arena16, indexMask } = this.views;
    let slot = hash & indexMask;
    for (let probes = 0; probes <= indexMask; probes++, slot = (slot + 1) & indexMask) {
      const id = index[slot]!;
      if (id === EMPTY) return NONE;
      if (id < 0) continue;
      const base = id * ENTRY_WORDS;
      if (entries[base + E_HASH] === hash && keyMatches(arena, arena16, entries[base + E_BLOCK]!, entries[base + E_KEY_BYTES]!, entries[base + E_KIND]!, key)) return id;
    }
    return NONE;
  }

  insert(id: number, hash: number): void {
    const { index, entries, header, indexMask } = this.views;
    let slot = hash & indexMask;
    while (index[slot]! >= 0) slot = (slot + 1) & indexMask;
    if (index[slot] === TOMBSTONE) header[H_TOMBSTONES]!--;
    entries[id * ENTRY_WORDS + E_SLOT] = slot;
    Atomics.store(index, slot, id);
  }

  /** Takes entry `id` out of the index (a tombstone in its slot); rebuilt when tombstones make probes long. */
  remove(id: number): void {
    const { index, entries, header, geometry } = this.views;
    const slot = entries[id * ENTRY_WORDS + E_SLOT]!;
    if (slot === NONE) return;
    Atomics.store(index, slot, TOMBSTONE);
    entries[id * ENTRY_WORDS + E_SLOT] = NONE;
    if (++header[H_TOMBSTONES]! > geometry.indexSize / 4) this.rebuild();
  }

  /** Every slot empty (a cache reset). */
  reset(): void {
    this.views.index.fill(EMPTY);
    this.views.header[H_TOMBSTONES] = 0;
  }

  /** Rebuilt from the entries (a reader meanwhile may miss, never misread). */
  private rebuild(): void {
    this.reset();
    const { entries, geometry } = this.views;
    for (let id = 0; id < geometry.slots; id++) {
      const base = id * ENTRY_WORDS;
      if (entries[base + E_STATE] !== FREE) this.insert(id, entries[base + E_HASH]!);
    }
  }
}
