import type { Ring } from './ring.js';

/**
 * Watches one ring, for its consumer, for a claim left unpublished while later ones wait: normal
 * for microseconds; a claim stuck for `staleMs` was made by a producer that died writing it, and
 * is skipped (Agrona's unblock) so that the records behind it flow. Every consume loop keeps one
 * per ring it reads (its messages and its replies).
 */
export class StaleClaimWatch {
  private blockedSince = 0;

  constructor(
    private readonly ring: Ring,
    readonly staleMs: number,
  ) {}

  /** Call when the consumer found no record to read; returns the bytes skipped (0: nothing was stale). */
  check(): number {
    if (!this.ring.claimedAhead()) {
      this.blockedSince = 0;
      return 0;
    }
    const now = performance.now(); // only while a claim is open: an idle ring reads no clock
    if (this.blockedSince === 0) {
      this.blockedSince = now;
      return 0;
    }
    if (now - this.blockedSince < this.staleMs) return 0;
    this.blockedSince = 0;
    return this.ring.skipStaleClaim();
  }

  /** A record came: whatever blocked is gone. */
  clear(): void {
    this.blockedSince = 0;
  }

  /** What a skip is reported as. */
  describe(bytes: number): string {
    return `skipped a claim of ${bytes} bytes left unpublished for ${this.staleMs} ms (its producer died while writing)`;
  }
}
