import type { FrameHeader } from '../codec/frame.js';
import { AskTimeout } from '../errors.js';

/** What waits for the answer to one ask. */
export interface AskWaiter {
  /** The reply (or reply-error) frame arrived; its header and payload are valid during the call only. */
  answered(h: FrameHeader): void;
  /** No answer will come: timed out, the target went away, or the ask could not be written. */
  failed(err: Error): void;
}

interface Pending {
  waiter: AskWaiter;
  timer: ReturnType<typeof setTimeout>;
  target: number;
}

/** The asks one endpoint has in flight, by correlation id, each with its timeout. */
export class AskTable {
  private readonly pending = new Map<number, Pending>();
  private corrSeq = 0;

  /** Registers an ask to endpoint `target` (named `targetName` in errors); returns its correlation id. */
  open(target: number, targetName: string, timeoutMs: number, waiter: AskWaiter): number {
    const corr = this.nextCorr();
    const timer = setTimeout(() => {
      if (this.pending.delete(corr)) waiter.failed(new AskTimeout(targetName, timeoutMs));
    }, timeoutMs);
    this.pending.set(corr, { waiter, timer, target });
    return corr;
  }

  /** Takes the ask `corr` out of the table (its answer came); undefined if nobody waits any more. */
  take(corr: number): { waiter: AskWaiter; target: number } | undefined {
    const p = this.pending.get(corr);
    if (p === undefined) return undefined; // it timed out (and was failed): nobody waits
    this.pending.delete(corr);
    clearTimeout(p.timer);
    return p;
  }

  /** Fails the ask `corr` (its frame could not be written). */
  fail(corr: number, err: Error): void {
    this.take(corr)?.waiter.failed(err);
  }

  /** Fails every ask waiting on endpoint `target` (it stopped or died). */
  failTarget(target: number, err: () => Error): void {
    for (const [corr, p] of this.pending) {
      if (p.target !== target) continue;
      this.pending.delete(corr);
      clearTimeout(p.timer);
      p.waiter.failed(err());
    }
  }

  /**
   * Forgets every ask without settling it: their callers never resume (the code that made them
   * belongs to an actor incarnation that failed); answers that still come find nobody and are dropped.
   */
  abandonAll(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  get size(): number {
    return this.pending.size;
  }

  private nextCorr(): number {
    this.corrSeq = (this.corrSeq + 1) >>> 0 || 1;
    return this.corrSeq;
  }
}
