import type { CacheKey } from '../transport/contract.js';

/**
 * How a key lies in the arena and is matched by a reader: a string as its UTF-16 code units (no
 * encoding on the read path: the reader hashes and compares `charCodeAt` against the arena), a
 * Uint8Array as its bytes. The entry's kind word carries KEY_IS_BYTES so a string never matches a
 * byte key with the same bytes. Blocks start 64-aligned, so a string key is 2-aligned.
 */
export const KEY_IS_BYTES = 1 << 16;

/** FNV-1a over the code units (strings) or the bytes (a different start, so the two kinds spread apart). */
export function hashKey(key: CacheKey): number {
  let h: number;
  if (typeof key === 'string') {
    h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  } else {
    h = 0x050c5d1f;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
  }
  return h | 0;
}

export function storedKeyBytes(key: CacheKey): number {
  return typeof key === 'string' ? key.length * 2 : key.length;
}

export function keyFlags(key: CacheKey): number {
  return typeof key === 'string' ? 0 : KEY_IS_BYTES;
}

export function writeKey(arena: Uint8Array, arena16: Uint16Array, block: number, key: CacheKey): void {
  if (typeof key === 'string') {
    const at = block >> 1;
    for (let i = 0; i < key.length; i++) arena16[at + i] = key.charCodeAt(i);
  } else arena.set(key, block);
}

/** Whether the key stored at `block` (of `stored` bytes, `flags` from its entry) is `key`. */
export function keyMatches(arena: Uint8Array, arena16: Uint16Array, block: number, stored: number, flags: number, key: CacheKey): boolean {
  if (block < 0 || block + stored > arena.length) return false;
  if (typeof key === 'string') {
    if ((flags & KEY_IS_BYTES) !== 0 || stored !== key.length * 2) return false;
    const at = block >> 1;
    for (let i = 0; i < key.length; i++) if (arena16[at + i] !== key.charCodeAt(i)) return false;
    return true;
  }
  if ((flags & KEY_IS_BYTES) === 0 || stored !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (arena[block + i] !== key[i]) return false;
  return true;
}

/** Where a value starts after its key: 8-aligned, so numbers and UTF-16 strings are read in place. */
export function valueOffset(block: number, storedKey: number): number {
  return block + ((storedKey + 7) & ~7);
}
