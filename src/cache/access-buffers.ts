import type { CacheViews } from './cache-views.js';
import { CURSOR_STRIDE, C_DRAINED, C_WRITTEN, H_PARTICIPANTS, READ_BUFFER } from './layout.js';

/**
 * Each thread's buffer of the accesses it made: an entry's id for a hit, a missed key's hash with
 * the top bit set for a miss. A reader writes only its own buffer and cursor (no word shared with
 * other readers); the next writer drains every buffer into the sketch and the lists. Lossy on
 * purpose, as Caffeine's read buffers are: a buffer not drained in time loses its oldest accesses.
 */
export class AccessBuffers {
  constructor(
    private readonly views: CacheViews,
    private readonly participant: number,
  ) {
    // The writers drain the buffers of slots below H_PARTICIPANTS: this thread's included.
    const header = views.header;
    for (let seen = Atomics.load(header, H_PARTICIPANTS); seen <= participant; seen = Atomics.load(header, H_PARTICIPANTS)) {
      Atomics.compareExchange(header, H_PARTICIPANTS, seen, participant + 1);
    }
  }

  /** Records an access; true when this thread's buffer is 3/4 full (the caller drains if it can take the lock). */
  record(access: number): boolean {
    const { cursors, reads } = this.views;
    const at = this.participant * CURSOR_STRIDE;
    const written = cursors[at + C_WRITTEN]!;
    reads[this.participant * READ_BUFFER + (written & (READ_BUFFER - 1))] = access;
    Atomics.store(cursors, at + C_WRITTEN, (written + 1) | 0);
    return ((written + 1 - Atomics.load(cursors, at + C_DRAINED)) | 0) >= (READ_BUFFER * 3) / 4;
  }

  /** Every thread's accesses since the last drain, to `apply` (under the writers' lock). */
  drain(apply: (access: number) => void): void {
    const { cursors, reads, header } = this.views;
    const threads = Atomics.load(header, H_PARTICIPANTS);
    for (let p = 0; p < threads; p++) {
      const at = p * CURSOR_STRIDE;
      const written = Atomics.load(cursors, at + C_WRITTEN);
      let next = cursors[at + C_DRAINED]!;
      if (((written - next) | 0) > READ_BUFFER) next = (written - READ_BUFFER) | 0; // overwritten before a drain: lost
      for (; next !== written; next = (next + 1) | 0) apply(reads[p * READ_BUFFER + (next & (READ_BUFFER - 1))]!);
      Atomics.store(cursors, at + C_DRAINED, written);
    }
  }
}
