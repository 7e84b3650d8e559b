import { percentiles, round, type LatencyStats } from '../transport/ring/histogram.js';
import { STAT_ASKS_SENT, STAT_ERRORS, STAT_HANDLER_MS, STAT_HIGH_WATER, STAT_RECEIVED, STAT_REPLIES, STAT_SENT } from '../transport/ring/layout.js';
import type { Mailbox } from '../transport/ring/mailbox.js';

export type { LatencyStats };
export { round };

export interface ActorStats {
  /** The supervision lifecycle state (see supervisors/child-machine.ts). */
  state: 'starting' | 'running' | 'failed' | 'restarting' | 'stopping' | 'stopped';
  /** Its place in the supervision tree. */
  path: string;
  received: number;
  sent: number;
  asksSent: number;
  repliesReceived: number;
  errors: number;
  /** Milliseconds spent handling messages (decode included). */
  handlerMs: number;
  /** Messages waiting in the mailbox now, and the most ever seen waiting. */
  mailboxDepth: number;
  highWater: number;
  mailboxBytesUsed: number;
  /** Sends refused because the mailbox was full. */
  overflows: number;
  latencyUs: LatencyStats;
  /** Messages handled per second, over the last second or so. */
  messagesPerSec: number;
  /** Time since the current worker started; 0 while down. */
  uptimeMs: number;
  restarts: number;
  /** Share of its life spent running, in percent. */
  uptimePct: number;
  /** Mean time from a failure to running again, in ms (undefined before the first recovery). */
  mttrMs: number | undefined;
  /** Messages taken out after failing maxDeliveries times. */
  deadLetters: number;
  /**
   * What a death of its worker would find now (its own standby, or the shared warm pool): 'ready'
   * (a loaded worker waits: the restart takes milliseconds), 'loading', or 'none' (a cold start).
   * A failure of the actor's own code needs none: it restarts in place.
   */
  standby: 'none' | 'loading' | 'ready';
  /**
   * Its restarts by where the worker came from: 'in-place' (the worker it failed in), 'warm' (a
   * loaded warm worker of the shared pool), 'warming' (one of the pool still loading), 'standby'
   * (its own), 'cold' (a new thread).
   */
  restartsVia: Record<'in-place' | 'warm' | 'warming' | 'standby' | 'cold', number>;
  /** The worker thread it runs in now (or waits in, between a failure and its restart in place). */
  threadId: number | undefined;
}

/** What the supervision side knows of an actor, merged into its stats. */
export type SupervisionStats = Pick<ActorStats, 'state' | 'path' | 'messagesPerSec' | 'uptimeMs' | 'restarts' | 'uptimePct' | 'mttrMs' | 'deadLetters' | 'standby' | 'restartsVia' | 'threadId'>;

/** Reads one endpoint's counters from its shared mailbox block, without asking its thread. */
export function readStats(mailbox: Mailbox, supervision: SupervisionStats): ActorStats {
  return { ...supervision, ...readCounters(mailbox) };
}

/** The counters every endpoint keeps in its block (the host's too). */
export function readCounters(mailbox: Mailbox): Omit<ActorStats, keyof SupervisionStats> {
  return {
    received: mailbox.stat(STAT_RECEIVED),
    sent: mailbox.stat(STAT_SENT),
    asksSent: mailbox.stat(STAT_ASKS_SENT),
    repliesReceived: mailbox.stat(STAT_REPLIES),
    errors: mailbox.stat(STAT_ERRORS),
    handlerMs: round(mailbox.stat(STAT_HANDLER_MS), 3),
    mailboxDepth: mailbox.messages.depth(),
    highWater: mailbox.stat(STAT_HIGH_WATER),
    mailboxBytesUsed: mailbox.messages.usedBytes(),
    overflows: mailbox.messages.overflows(),
    latencyUs: percentiles(mailbox.histogram()),
  };
}
