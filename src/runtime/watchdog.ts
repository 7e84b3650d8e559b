import type { ActorCell } from './actor-cell.js';

interface Watched {
  cell: ActorCell;
  beat: number;
  refusals: number;
  taken: number;
  /** Since the last look: its loop turned, a full ring refused one of its writes, its own ring was consumed. */
  turned: boolean;
  refused: boolean;
  consumed: boolean;
  /** Since when work has waited with no sign of life (performance.now()); 0 when not stuck. */
  stuckSince: number;
}

/**
 * Finds hung actors. The actor loop bumps a heartbeat word in shared memory on every turn; a
 * running actor whose heartbeat has not moved for its hangTimeoutMs while a message is in hand or
 * waiting is in an endless loop (or a handler far slower than it declared), and is terminated.
 * A parked actor with an empty mailbox has nothing to do and is never suspected.
 *
 * Backpressure is not a hang: a handler that keeps retrying a write into a full ring counts its
 * refusals in its own block (and which endpoint refused it). While it retries, it is alive and
 * waiting on that ring's consumer, which is watched in its own right: the consumer is making
 * progress, or is busy with a handler of its own (its own limit applies), or is not an actor (the
 * host, the bridge waiting on Redis). Only when the waits close a cycle in which no ring is being
 * consumed (A blocked on B's full ring while B is blocked on A's) is it a deadlock. The first
 * actor of the cycle to pass its limit is terminated, which breaks the cycle for the others; an
 * actor merely waiting on a cycle (C blocked on A) is not part of it and is left alone.
 */
export class Watchdog {
  private readonly watched = new Map<number, Watched>();

  constructor(private readonly onHang: (cell: ActorCell, reason: string) => void) {}

  check(cells: Iterable<ActorCell>, now: number): void {
    const running = new Set<number>();
    for (const cell of cells) {
      if (cell.state !== 'running') continue;
      running.add(cell.id);
      this.look(cell);
    }
    for (const id of this.watched.keys()) if (!running.has(id)) this.watched.delete(id);
    for (const w of this.watched.values()) this.judge(w, now);
  }

  /** Reads the signs of life of one actor since the last look. */
  private look(cell: ActorCell): void {
    const mb = cell.mailbox;
    const beat = mb.heartbeat();
    const refusals = mb.refusals();
    const taken = mb.messages.takenCount();
    const w = this.watched.get(cell.id);
    if (w === undefined || w.cell !== cell) {
      this.watched.set(cell.id, { cell, beat, refusals, taken, turned: true, refused: false, consumed: true, stuckSince: 0 });
      return;
    }
    w.turned = beat !== w.beat;
    w.refused = refusals !== w.refusals;
    w.consumed = taken !== w.taken;
    w.beat = beat;
    w.refusals = refusals;
    w.taken = taken;
  }

  private judge(w: Watched, now: number): void {
    const messages = w.cell.mailbox.messages;
    const waiting = messages.busy() || messages.depth() > 0;
    if (!waiting || w.turned || (w.refused && !this.deadlocked(w))) {
      w.stuckSince = 0;
      return;
    }
    if (w.stuckSince === 0) {
      w.stuckSince = now;
      return;
    }
    const limit = w.cell.supervision.hangTimeoutMs;
    if (now - w.stuckSince < limit) return;
    const depth = messages.depth();
    const why = w.refused ? 'blocked on a full mailbox in a cycle of actors each waiting on the next (a deadlock)' : 'no heartbeat';
    const reason = `hang: ${why} for ${Math.round(now - w.stuckSince)} ms (hangTimeoutMs ${limit}) with ${messages.busy() ? 'a message in hand and ' : ''}${depth} waiting`;
    this.watched.delete(w.cell.id);
    this.onHang(w.cell, reason);
  }

  /**
   * Follows the waits from `w`: each actor blocked on a full ring whose consumer took nothing since
   * the last look and is itself blocked. A wait that reaches anything else will end. One that comes
   * back to `w` is a deadlock `w` is part of; one that closes a loop elsewhere is a deadlock `w`
   * only waits on, broken when one of its own members is terminated.
   */
  private deadlocked(w: Watched): boolean {
    const path = new Set<number>([w.cell.id]);
    let at = w;
    for (;;) {
      const next = this.watched.get(at.cell.mailbox.blockedOn());
      if (next === undefined || next.consumed || !next.refused) return false;
      if (path.has(next.cell.id)) return next.cell.id === w.cell.id;
      path.add(next.cell.id);
      at = next;
    }
  }
}
