/**
 * A check that says whether messages handed over have been handled: an actor's ring finished past
 * them, an ask answered. Checked again and again until it says true (it must be cheap).
 */
export type Settled = () => boolean;

/** Messages [from, from + count) of an entry, handed over together, and the check for their handling. */
interface Run {
  readonly from: number;
  readonly count: number;
  readonly settled: Settled;
}

/** What the consumer did with one stream entry that it has not acknowledged yet. */
export interface EntryProgress {
  /** 1 for each message handed over (by this process or, through its progress record, the previous one). */
  readonly handled: Uint8Array;
  /** Handed over in this process and maybe not handled yet. */
  readonly runs: Run[];
  /** Every message was handed over: the entry waits only for its runs to settle. */
  complete: boolean;
  /** Messages of this entry handed over by this process (they count as in hand until the entry is acknowledged). */
  delivered: number;
}

/**
 * The stream entries a host holds: read from Redis, their messages handed to the actors' rings, not
 * yet acknowledged. An entry is acknowledged (XACK) only once every message handed over from it is
 * handled, so a process killed at any moment leaves every message it had not finished pending in
 * Redis, for its next process: at least once across a host's death. What it holds is bounded
 * (`messages`), which bounds what a kill can make its next process hand out twice.
 */
export class InHand {
  private readonly entries = new Map<string, EntryProgress>();
  /** Messages handed over by this process from entries not acknowledged yet. */
  messages = 0;

  /** The progress of an entry (a fresh one, or the one kept from an earlier read of it). */
  of(id: string, length: number): EntryProgress {
    const known = this.entries.get(id);
    if (known !== undefined && known.handled.length === length) return known;
    return { handled: new Uint8Array(length), runs: [], complete: false, delivered: 0 };
  }

  /** An entry read again while it still waits for its runs: nothing more to do with it. */
  awaitsOnlyHandling(id: string): boolean {
    return this.entries.get(id)?.complete === true;
  }

  /** Messages [from, from + count) were handed over; `receipts` say when they are handled (none: already). */
  handedOver(p: EntryProgress, from: number, count: number, receipts: readonly Settled[]): void {
    for (let k = from; k < from + count; k++) p.handled[k] = 1;
    for (const settled of receipts) p.runs.push({ from, count, settled });
    p.delivered += count;
    this.messages += count;
  }

  /** Keeps an entry until it can be acknowledged; true when it can be at once (nothing left to wait for). */
  keep(id: string, p: EntryProgress, complete: boolean): boolean {
    p.complete = complete;
    if (complete && this.settle(p)) {
      this.forget(id, p);
      return true;
    }
    this.entries.set(id, p);
    return false;
  }

  /** Takes the complete entries whose messages are all handled now: the ids to acknowledge. */
  takeHandled(): string[] {
    const ids: string[] = [];
    for (const [id, p] of this.entries) {
      if (p.complete && this.settle(p)) {
        ids.push(id);
        this.forget(id, p);
      }
    }
    return ids;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * For a graceful stop: takes what it holds. A message handed over but not handled counts as not
   * handed over (the next process hands it out). Returns the entries now fully handled (to
   * acknowledge) and, for the others, which of their messages were.
   */
  takeAll(): { handledIds: string[]; partly: Array<[string, Uint8Array]> } {
    const handledIds: string[] = [];
    const partly: Array<[string, Uint8Array]> = [];
    for (const [id, p] of this.entries) {
      for (const r of p.runs) if (!r.settled()) p.handled.fill(0, r.from, r.from + r.count);
      if (p.handled.every((h) => h === 1)) handledIds.push(id);
      else if (p.handled.includes(1)) partly.push([id, p.handled]);
    }
    this.entries.clear();
    this.messages = 0;
    return { handledIds, partly };
  }

  /** Drops the runs that are handled (once handled, a run stays so); true when none is left. */
  private settle(p: EntryProgress): boolean {
    const runs = p.runs;
    let left = 0;
    for (let i = 0; i < runs.length; i++) if (!runs[i]!.settled()) runs[left++] = runs[i]!;
    runs.length = left;
    return left === 0;
  }

  private forget(id: string, p: EntryProgress): void {
    this.entries.delete(id);
    this.messages -= p.delivered;
  }
}
