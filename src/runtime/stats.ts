import { bucketUpperNs, STAT_ASKS_SENT, STAT_ERRORS, STAT_HANDLER_MS, STAT_HIGH_WATER, STAT_RECEIVED, STAT_REPLIES, STAT_SENT } from '../transport/ring/layout.js';
import type { Mailbox } from '../transport/ring/mailbox.js';

export interface LatencyStats {
  /** Latency-sampled messages behind these figures (see latencySampleEvery). */
  samples: number;
  /** Microseconds from send to the start of handling (upper bounds of ~9%-wide buckets). */
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

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
  /** The worker waiting to replace this one: 'ready' (a restart takes milliseconds), 'loading', or 'none'. */
  standby: 'none' | 'loading' | 'ready';
}

/** What the supervision side knows of an actor, merged into its stats. */
export type SupervisionStats = Pick<ActorStats, 'state' | 'path' | 'messagesPerSec' | 'uptimeMs' | 'restarts' | 'uptimePct' | 'mttrMs' | 'deadLetters' | 'standby'>;

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

/** p50/p99/p99.9/max in microseconds from a log-bucketed histogram of nanoseconds. */
export function percentiles(histogram: ArrayLike<number>): LatencyStats {
  let total = 0;
  for (let i = 0; i < histogram.length; i++) total += histogram[i]!;
  const at = (q: number): number => {
    if (total === 0) return 0;
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (let i = 0; i < histogram.length; i++) {
      seen += histogram[i]!;
      if (seen >= rank) return round(bucketUpperNs(i) / 1000, 2);
    }
    return 0;
  };
  let max = 0;
  for (let i = histogram.length - 1; i >= 0; i--) {
    if (histogram[i]! > 0) {
      max = round(bucketUpperNs(i) / 1000, 2);
      break;
    }
  }
  return { samples: total, p50: at(0.5), p99: at(0.99), p999: at(0.999), max };
}

/** `n` rounded to `digits` decimals (figures in stats and logs). */
export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
