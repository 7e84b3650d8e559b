import type { ActorCell } from './actor-cell.js';

interface Watched {
  beat: number;
  /** Since when work has waited with no heartbeat (performance.now()); 0 when not waiting. */
  stuckSince: number;
}

/**
 * Finds hung actors: the actor loop bumps a heartbeat word in shared memory on every turn; a
 * running actor whose heartbeat has not moved for its hangTimeoutMs while a message is in hand or
 * waiting is in an endless loop (or a handler far slower than it declared), and is terminated.
 * A parked actor with an empty mailbox has nothing to do and is never suspected.
 */
export class Watchdog {
  private readonly watched = new Map<ActorCell, Watched>();

  constructor(private readonly onHang: (cell: ActorCell, reason: string) => void) {}

  check(cells: Iterable<ActorCell>, now: number): void {
    for (const cell of cells) {
      if (cell.state !== 'running') {
        this.watched.delete(cell);
        continue;
      }
      const beat = cell.mailbox.heartbeat();
      let w = this.watched.get(cell);
      if (w === undefined) this.watched.set(cell, (w = { beat, stuckSince: 0 }));
      const waiting = cell.mailbox.messages.busy() || cell.mailbox.messages.depth() > 0;
      if (beat !== w.beat || !waiting) {
        w.beat = beat;
        w.stuckSince = 0;
        continue;
      }
      if (w.stuckSince === 0) w.stuckSince = now;
      else if (now - w.stuckSince >= cell.supervision.hangTimeoutMs) {
        const depth = cell.mailbox.messages.depth();
        const reason = `hang: no heartbeat for ${Math.round(now - w.stuckSince)} ms (hangTimeoutMs ${cell.supervision.hangTimeoutMs}) with ${cell.mailbox.messages.busy() ? 'a message in hand and ' : ''}${depth} waiting`;
        this.watched.delete(cell);
        this.onHang(cell, reason);
      }
    }
  }
}
