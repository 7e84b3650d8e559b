import type { CacheViews } from './cache-views.js';
import { H_ARENA_TOP, H_BYTES, H_FREE_BLOCKS, MIN_BLOCK, NONE, SIZE_CLASSES } from './layout.js';

/**
 * The arena's blocks: powers of two from MIN_BLOCK, a free list per size class (the next free
 * block's offset kept in a free block's first word), and fresh ones cut from the top. H_BYTES counts
 * the blocks in use, which is what the byte budget holds.
 */
export class Arena {
  constructor(private readonly views: CacheViews) {}

  /** A block of class `cls` if the budget and the arena have one; NONE otherwise (the caller evicts and asks again). */
  take(cls: number): number {
    const { header, arenaWords, geometry } = this.views;
    const size = MIN_BLOCK << cls;
    if (header[H_BYTES]! + size > geometry.maxBytes) return NONE;
    const free = header[H_FREE_BLOCKS + cls]!;
    if (free !== NONE) {
      header[H_FREE_BLOCKS + cls] = arenaWords[free >> 2]!;
      return free;
    }
    const top = header[H_ARENA_TOP]!;
    if (top + size > geometry.arenaBytes) return NONE;
    header[H_ARENA_TOP] = top + size;
    return top;
  }

  free(block: number, cls: number): void {
    const { header, arenaWords } = this.views;
    arenaWords[block >> 2] = header[H_FREE_BLOCKS + cls]!;
    header[H_FREE_BLOCKS + cls] = block;
    header[H_BYTES]! -= MIN_BLOCK << cls;
  }

  /** Every block free again (an empty cache: the arena starts afresh, whatever sizes it was cut into). */
  reset(): void {
    for (let c = 0; c < SIZE_CLASSES; c++) this.views.header[H_FREE_BLOCKS + c] = NONE;
    this.views.header[H_ARENA_TOP] = 0;
  }
}

/** The size class of a block holding `bytes`: MIN_BLOCK << class. */
export function classOf(bytes: number): number {
  return Math.max(0, Math.ceil(Math.log2(Math.max(1, bytes) / MIN_BLOCK)));
}
