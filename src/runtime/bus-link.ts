import { Worker } from 'node:worker_threads';
import { DualbusError } from '../transport/errors.js';
import { Mailbox } from '../transport/ring/mailbox.js';
import { BRIDGE_ID, BRIDGE_NAME, serializeError, type ControlToWorker, type PeerEntry, type SerializedError, type SubscriptionEntry } from '../transport/protocol.js';
import type { BridgeCounters } from '../transport/redis/bridge.js';
import type { BridgeBoot, BridgeToHost } from '../transport/redis/bridge-protocol.js';
import type { RedisTarget, ResolvedBusOptions } from '../transport/redis/config.js';
import { WorkerLink } from './worker-link.js';

const BRIDGE_MAILBOX_BYTES = 1 << 22;
const BRIDGE_REPLIES_BYTES = 1 << 20;

export interface BusLinkEnv {
  /** The module the bridge worker runs (injected: the runtime does not name it). */
  bridgeEntry: URL;
  peers(): PeerEntry[];
  subscriptions(): SubscriptionEntry[];
  compressAbove: number;
  latencySampleEvery: number;
  staleClaimMs: number;
  onDirectory(actors: string[], patterns: string[]): void;
  onEvent(event: string, detail: Record<string, unknown>, error?: SerializedError): void;
}

/** The host's side of its bridge worker: the bridge's mailbox (owned here), its worker, its figures. */
export class BusLink {
  readonly mailbox = Mailbox.create(BRIDGE_MAILBOX_BYTES, BRIDGE_REPLIES_BYTES);
  readonly entry: PeerEntry = { id: BRIDGE_ID, name: BRIDGE_NAME, block: this.mailbox.block, messagesBytes: BRIDGE_MAILBOX_BYTES, repliesBytes: BRIDGE_REPLIES_BYTES };
  counters: BridgeCounters = { elSent: 0, elReceived: 0, mdSent: 0, mdReceived: 0, mdDropped: 0, rejected: 0, inflightFrames: 0, claimed: 0, undeliverable: 0, inHand: 0 };
  private link: WorkerLink | undefined;
  private stopped: Promise<void> | undefined;

  constructor(
    readonly options: ResolvedBusOptions,
    private readonly env: BusLinkEnv,
  ) {}

  /** Starts the bridge; resolves once it is connected and registered (rejects if it cannot start). */
  async start(): Promise<void> {
    const boot: BridgeBoot = {
      options: this.options,
      self: this.entry,
      peers: this.env.peers(),
      subscriptions: this.env.subscriptions(),
      compressAbove: this.env.compressAbove,
      latencySampleEvery: this.env.latencySampleEvery,
      controlCount: this.mailbox.doorbell.controlCount(),
      staleClaimMs: this.env.staleClaimMs,
    };
    const worker = new Worker(this.env.bridgeEntry, { workerData: boot, name: `dualbus:bridge:${this.options.host}` });
    const link = new WorkerLink(worker, this.mailbox.doorbell);
    this.link = link;
    worker.on('error', (err) => this.env.onEvent('bridge-crashed', {}, serializeError(err)));
    worker.once('exit', () => link.close());
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The last connection error of each bus while starting: a timeout says why (a certificate refused, a wrong password...).
    const lastError: Record<string, string> = {};
    const where = (bus: 'market-data' | 'engine-logic') => {
      const target = describeTarget(bus === 'market-data' ? this.options.marketData : this.options.engineLogic);
      return `${bus} ${target}${lastError[bus] !== undefined ? ` (last error: ${lastError[bus]})` : ''}`;
    };
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new DualbusError('BusUnavailable', `no answer within ${this.options.startTimeoutMs} ms from ${where('market-data')} and ${where('engine-logic')}`)),
        this.options.startTimeoutMs,
      );
      worker.on('message', (m: BridgeToHost) => {
        switch (m.type) {
          case 'ready': resolve(); break;
          case 'start-failed': reject(new DualbusError('BusUnavailable', `the Redis bus did not start: ${m.error.message}`)); break;
          case 'ack': link.acked(m.seq); break;
          case 'directory': this.env.onDirectory(m.actors, m.patterns); break;
          case 'bus-event':
            if (m.event === 'redis-error' && m.error !== undefined) lastError[String(m.detail.bus)] = m.error.message;
            this.env.onEvent(m.event, m.detail, m.error);
            break;
          case 'bus-stats': this.counters = m.counters; break;
        }
      });
      worker.once('exit', (code) => reject(new DualbusError('BusUnavailable', `the bridge worker exited with code ${code} while starting`)));
    }).finally(() => clearTimeout(timer));
  }

  /** A control message (peers, subscriptions...), resolved on the bridge's ack. */
  post(msg: ControlToWorker): Promise<void> {
    return this.link?.post(msg) ?? Promise.resolve();
  }

  /**
   * The host begins to shut down: the bridge stops taking messages in for its actors (they stay in
   * its stream for the next process), while it still sends theirs out.
   */
  stopReceiving(): Promise<void> {
    return this.link?.post({ type: 'stop', seq: 0, drain: false }) ?? Promise.resolve();
  }

  /** Flushes what it holds, leaves the registry, closes its connections. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const link = this.link;
      if (link === undefined) return;
      const worker = link.worker;
      const done = new Promise<void>((resolve) => {
        worker.on('message', (m: BridgeToHost) => m.type === 'stopped' && resolve());
        worker.once('exit', () => resolve());
      });
      void link.post({ type: 'stop', seq: 0, drain: true });
      await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
      await worker.terminate();
      this.link = undefined;
    })();
    return this.stopped;
  }
}

/** Where a bus is, for an error message (never its password). */
function describeTarget(t: RedisTarget): string {
  if (typeof t === 'string') return t.replace(/\/\/[^@/]*@/, '//');
  if ('cluster' in t) return 'a Redis Cluster';
  return `${t.host ?? '127.0.0.1'}:${t.port ?? 6379}`;
}
