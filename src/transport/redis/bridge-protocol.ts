import type { PeerEntry, SerializedError, SubscriptionEntry } from '../protocol.js';
import type { BridgeCounters } from './bridge.js';
import type { ResolvedBusOptions } from './config.js';

/** What the bridge worker receives as workerData. */
export interface BridgeBoot {
  options: ResolvedBusOptions;
  self: PeerEntry;
  peers: PeerEntry[];
  subscriptions: SubscriptionEntry[];
  compressAbove: number;
  latencySampleEvery: number;
  /** The CONTROL word of the bridge's mailbox before its first control message. */
  controlCount: number;
  /** A claim unpublished for this long is taken to be a dead producer's, and skipped. */
  staleClaimMs: number;
}

/** Bridge -> host messages (the host -> bridge ones are the actors' control messages). */
export type BridgeToHost =
  | { type: 'ready' }
  | { type: 'start-failed'; error: SerializedError }
  | { type: 'ack'; seq: number }
  | { type: 'directory'; actors: string[]; patterns: string[] }
  | { type: 'bus-event'; event: string; detail: Record<string, unknown>; error?: SerializedError }
  | { type: 'bus-stats'; counters: BridgeCounters }
  | { type: 'stopped' };
