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
  state: 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';
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
  uptimeMs: number;
}

/** Reads one endpoint's counters from its shared mailbox block, without asking its thread. */
export function readStats(mailbox: Mailbox, state: ActorStats['state'], startedAt: number): ActorStats {
  return {
    state,
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
    uptimeMs: state === 'running' || state === 'stopping' ? Math.round(performance.now() - startedAt) : 0,
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

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
