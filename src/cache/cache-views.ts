import { CURSOR_STRIDE, ENTRY_WORDS, E_CLASS, E_EXPIRES_F64, HEADER_WORDS, MAX_PARTICIPANTS, MIN_BLOCK, READ_BUFFER, STATS_STRIDE, regionsOf, type CacheGeometry } from './layout.js';

/**
 * The typed views over one cache's SharedArrayBuffer, each region as layout.ts draws it. Every
 * part of the cache (reader, index, arena, lists, store) works on these same views.
 */
export class CacheViews {
  readonly header: Int32Array;
  readonly stats: Float64Array;
  readonly alive: Int32Array;
  readonly index: Int32Array;
  readonly entries: Int32Array;
  /** The entries as f64, for their expiry (at id * 8 + E_EXPIRES_F64). */
  readonly expires: Float64Array;
  readonly sketch: Int32Array;
  readonly reads: Int32Array;
  readonly cursors: Int32Array;
  readonly arena: Uint8Array;
  readonly arena16: Uint16Array;
  readonly arenaWords: Int32Array;
  readonly arenaF64: Float64Array;
  /** The arena as a Buffer: its toString decodes UTF-8 straight from shared memory, without a copy. */
  readonly arenaText: Buffer;
  readonly indexMask: number;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly geometry: CacheGeometry,
  ) {
    const r = regionsOf(geometry);
    this.header = new Int32Array(buffer, r.header, HEADER_WORDS);
    this.stats = new Float64Array(buffer, r.stats, MAX_PARTICIPANTS * STATS_STRIDE);
    this.alive = new Int32Array(buffer, r.alive, MAX_PARTICIPANTS);
    this.index = new Int32Array(buffer, r.index, geometry.indexSize);
    this.entries = new Int32Array(buffer, r.entries, geometry.slots * ENTRY_WORDS);
    this.expires = new Float64Array(buffer, r.entries, geometry.slots * (ENTRY_WORDS / 2));
    this.sketch = new Int32Array(buffer, r.sketch, (4 * geometry.sketchWidth) / 8);
    this.reads = new Int32Array(buffer, r.reads, MAX_PARTICIPANTS * READ_BUFFER);
    this.cursors = new Int32Array(buffer, r.cursors, MAX_PARTICIPANTS * CURSOR_STRIDE);
    this.arena = new Uint8Array(buffer, r.arena, geometry.arenaBytes);
    this.arena16 = new Uint16Array(buffer, r.arena, Math.floor(geometry.arenaBytes / 2));
    this.arenaWords = new Int32Array(buffer, r.arena, Math.floor(geometry.arenaBytes / 4));
    this.arenaF64 = new Float64Array(buffer, r.arena, Math.floor(geometry.arenaBytes / 8));
    this.arenaText = Buffer.from(buffer, r.arena, geometry.arenaBytes);
    this.indexMask = geometry.indexSize - 1;
  }

  /** The bytes of entry `id`'s arena block. */
  blockBytes(id: number): number {
    return MIN_BLOCK << this.entries[id * ENTRY_WORDS + E_CLASS]!;
  }

  expiresAt(id: number): number {
    return this.expires[id * 8 + E_EXPIRES_F64]!;
  }
}
