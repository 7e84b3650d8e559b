import type { Cluster, Redis } from 'ioredis';
import { frameTopic, frameTopicBytes, type FrameHeader } from '../codec/frame.js';
import { sameBytes } from '../codec/copy-bytes.js';
import { StaleClaimWatch } from '../ring/stale-claims.js';
import type { ControlListener } from '../control.js';
import type { Endpoint, Payload } from '../endpoint/endpoint.js';
import { DualbusError, FrameError } from '../errors.js';
import { Kind, serializeError, type SerializedError } from '../protocol.js';
import { createIdle, type IdleStrategy } from '../ring/idle.js';
import { BusKind, type BusEntry } from './bus-frame.js';
import { BusInbox } from './bus-inbox.js';
import { BusOutbox } from './bus-outbox.js';
import { BusDirectory } from './bus-directory.js';
import { busKeys, type ResolvedBusOptions } from './config.js';
import { connectRedis } from './connect.js';
import { EngineLogicConsumer } from './engine-logic.js';
import { subscribeFrames } from './md-channel.js';

export interface BridgeCounters {
  /** Engine-logic messages written to Redis, and received from it. */
  elSent: number;
  elReceived: number;
  /** Market-data messages published, received, and dropped (no live subscriber host, Redis away). */
  mdSent: number;
  mdReceived: number;
  mdDropped: number;
  /** Frames from the bus that failed to decode (rejected, logged, dead-lettered). */
  rejected: number;
  /** Engine-logic frames waiting for Redis to acknowledge them. */
  inflightFrames: number;
  /** Engine-logic entries taken over from a consumer that died (XAUTOCLAIM). */
  claimed: number;
  /** Engine-logic messages their actor can never take (too large for its mailbox, or it stopped for good): logged and skipped. */
  undeliverable: number;
  /** Engine-logic messages handed to this host's actors and not yet handled (their entries not acknowledged). */
  inHand: number;
}

export interface BridgeEvents {
  /** The set of remote actors or topic patterns changed. */
  directory(actors: string[], patterns: string[]): void;
  /** Something to log: a rejected frame, Redis away or back, a message that could not be routed. */
  event(event: string, detail: Record<string, unknown>, error?: SerializedError): void;
}

/** The longest park of the out loop. */
const PARK_MS = 100;
/** How many recent sequence numbers of each sending run the engine-logic consumer remembers (duplicates within them are dropped). */
const DEDUPE_WINDOW = 100_000;

/**
 * The bridge of one host to the two Redis buses. It runs in a worker of its own, owns every Redis
 * connection, and is an endpoint like an actor: actors write frames for other hosts into its ring
 * (an actor name or a topic as the frame's address), so none of them ever waits on the network.
 * Payloads cross it unopened: it copies each one from its ring into a bus frame, and from a bus
 * frame into the receiving actor's ring, with the encoding its sender gave it.
 *
 * Out: each drain of its ring is packed into one bus frame per destination host (at most
 * batchMax messages): engine-logic messages are XADDed to the destination's stream (acknowledged by
 * Redis, and by replicaAcks replicas, before they count as sent; retried, with the same sequence
 * numbers, until they are), market data is published on the destination's channel (sharded pub/sub
 * on a Cluster; dropped and counted while Redis is away).
 * In: its engine-logic consumer and market-data subscription deliver into the local actors' rings.
 */
export class Bridge {
  private readonly counters = { elSent: 0, elReceived: 0, mdSent: 0, mdReceived: 0, mdDropped: 0, rejected: 0, undeliverable: 0 };
  private readonly keys;
  private readonly el: Redis | Cluster;
  private readonly elRead: Redis | Cluster;
  /** Where frames are written: `el`, or a connection of their own when they wait for replicas (WAIT holds its connection). */
  private readonly elWrite: Redis | Cluster;
  private readonly md: Redis | Cluster;
  private readonly mdSub: Redis | Cluster;
  private readonly hosts: BusDirectory;
  private readonly consumer: EngineLogicConsumer;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private beatTimer: ReturnType<typeof setInterval> | undefined;
  private readonly out: BusOutbox;
  private readonly idle: IdleStrategy;
  /** A producer that died mid-write must not stall the bridge's rings for ever. */
  private readonly staleMessages: StaleClaimWatch;
  private readonly staleReplies: StaleClaimWatch;
  private readonly inbox: BusInbox;
  /** The bridge's whole mailbox block: messages are copied out of it with no view made per message. */
  private readonly block: Buffer;
  /** The address of the last message read from the ring, and its text. */
  private readonly lastAddress = { bytes: Buffer.alloc(256), length: -1, text: '' };

  constructor(
    private readonly endpoint: Endpoint,
    private readonly options: ResolvedBusOptions,
    private readonly events: BridgeEvents,
    control: ControlListener,
    staleClaimMs: number,
  ) {
    this.keys = busKeys(options.cluster);
    this.block = Buffer.from(endpoint.own.block);
    const name = `dualbus:${options.cluster}:${options.host}`;
    this.el = connectRedis(options.engineLogic, `${name}:el`, 'reliable');
    this.elRead = connectRedis(options.engineLogic, `${name}:el-read`, 'reliable');
    // Acknowledgements and heartbeats must not queue behind a WAIT for a replica that is away.
    this.elWrite = options.replicaAcks > 0 ? connectRedis(options.engineLogic, `${name}:el-write`, 'reliable') : this.el;
    this.md = connectRedis(options.marketData, `${name}:md`, 'lossy');
    this.mdSub = connectRedis(options.marketData, `${name}:md-sub`, 'subscriber');
    for (const [bus, conn] of this.connections()) conn.on('error', (err: Error) => this.events.event('redis-error', { bus }, serializeError(err)));
    this.hosts = new BusDirectory(this.el, endpoint, options, events);
    this.out = new BusOutbox({
      el: this.elWrite,
      md: this.md,
      options,
      counters: this.counters,
      onRoom: () => endpoint.own.doorbell.ringAlways(),
      onOversized: (host, kind, from, corr, err) => {
        this.events.event('oversized', { host }, serializeError(err));
        // The asker is told why: here (an ask too large to go), or on its host (an answer too large to come back).
        if (kind === BusKind.Ask) endpoint.replyError(from, corr, err);
        else if (kind === BusKind.Reply || kind === BusKind.ReplyError) {
          const e = endpoint.encode(serializeError(err));
          this.out.add('el', host, BusKind.ReplyError, EMPTY, from, corr, e.encoding, e.flags, e.bytes);
        }
      },
      onWriteTrouble: (host, err, retries) => {
        if (err !== undefined) this.events.event('el-write-retrying', { host }, serializeError(err));
        else this.events.event('el-write-resumed', { host, retries });
      },
    });
    this.inbox = new BusInbox({
      endpoint,
      hosts: this.hosts,
      counters: this.counters,
      events,
      answer: (host, ask, kind, payload) => this.answer(host, ask, kind, payload),
      rejected: (bus, entryId, err) => this.rejectedFrame(bus, entryId, err),
    });
    this.consumer = new EngineLogicConsumer(
      this.elRead,
      {
        stream: this.keys.stream(options.host),
        group: 'dualbus',
        consumer: `${options.host}:${process.pid}`,
        maxLen: options.streamMaxLen,
        claimIdleMs: options.claimIdleMs,
        dedupeWindow: DEDUPE_WINDOW,
        progressTtlMs: options.streamTtlMs,
        maxInHand: options.maxInHand,
        entryMessagesMax: options.batchMax,
      },
      (frame, from, to, receipts) => this.inbox.deliver(frame, from, to, receipts),
      (entryId, err) => this.rejectedFrame('engine-logic', entryId, err),
      (err) => this.events.event('redis-error', { bus: 'engine-logic', while: 'reading' }, serializeError(err)),
      this.el, // acknowledgements do not queue behind the blocking reads
    );
    const own = endpoint.own;
    this.staleMessages = new StaleClaimWatch(own.messages, staleClaimMs);
    this.staleReplies = new StaleClaimWatch(own.replies, staleClaimMs);
    this.idle = createIdle(
      'async',
      {
        doorbell: own.doorbell,
        // While Redis holds too many frames, the ring is left to fill: it is no work then.
        // A reply waiting for room in a local asker's ring keeps it awake until it fits.
        hasWork: () => (this.out.room() && own.messages.hasRecord()) || own.replies.hasRecord() || this.out.answersWaiting() || endpoint.hasDeferredReplies() || !this.running,
        controlPending: control.pending,
      },
      { spinMicros: 0, parkTimeoutMs: PARK_MS, yieldEveryMs: 0 },
    );
  }

  async start(): Promise<void> {
    this.running = true;
    // Both buses must answer before the host counts as started (a ping each; ioredis queues it until connected).
    const named = (bus: string) => (err: Error) => {
      throw new Error(`${bus} bus: ${err.message}`);
    };
    await Promise.all([this.el.ping().catch(named('engine-logic')), this.md.ping().catch(() => this.mdSub.ping()).catch(named('market-data'))]);
    await this.hosts.heartbeat();
    this.beatTimer = setInterval(() => void this.hosts.heartbeat(), this.options.heartbeatMs);
    await subscribeFrames(this.mdSub, this.keys.channel(this.options.host), (frame) => this.inbox.onMarketData(frame));
    this.consumer.start();
    this.loop = this.run();
  }

  /** The bridge's figures now (frames in flight and claimed entries are read where they are kept). */
  figures(): BridgeCounters {
    return { ...this.counters, inflightFrames: this.out.queuedFrames(), claimed: this.consumer.counters.claimed, inHand: this.consumer.messagesInHand };
  }

  /**
   * The host is shutting down: from now on messages for its actors are left in its stream, for its
   * next process (answers to asks of its actors still come in, and what its actors send still goes out).
   */
  stopReceiving(): void {
    this.inbox.receiving = false;
  }

  async stop(): Promise<void> {
    this.inbox.receiving = false;
    this.running = false;
    clearInterval(this.beatTimer);
    this.endpoint.own.doorbell.ringAlways();
    await this.loop;
    // What actors sent before the stop is handed to Redis before the connections close (3 s at
    // most, inside the host's 5 s for the whole stop).
    const until = performance.now() + 3000;
    while (this.out.queuedFrames() > 0 && performance.now() < until) {
      this.out.flush();
      await new Promise((r) => setTimeout(r, 10));
    }
    await this.consumer.stop();
    await this.hosts.leave();
    for (const [, c] of this.connections()) c.disconnect();
  }

  /** Every connection of the bridge, with its bus (the writer is `el` unless frames wait for replicas). */
  private connections(): Array<['engine-logic' | 'market-data', Redis | Cluster]> {
    const el: Array<Redis | Cluster> = [this.el, this.elRead, ...(this.elWrite !== this.el ? [this.elWrite] : [])];
    return [...el.map((c) => ['engine-logic', c] as ['engine-logic', Redis | Cluster]), ['market-data', this.md], ['market-data', this.mdSub]];
  }

  // ------------------------------------------------------------------ out: ring -> Redis

  private async run(): Promise<void> {
    const own = this.endpoint.own;
    while (this.running) {
      const ep = this.endpoint;
      const replies = ep.drainReplies(); // answers to asks this bridge made for remote askers
      if (replies === 0) this.skipStale(this.staleReplies);
      // Backpressure: while Redis holds too many frames unacknowledged, leave the ring to fill.
      let messages = 0;
      if (this.out.room()) {
        messages = own.messages.drain(this.onFrame, this.options.batchMax * 8);
        if (messages === 0) this.skipStale(this.staleMessages);
      }
      ep.flushDeferredReplies();
      this.out.flush();
      const wait = this.idle.idle(replies + messages);
      if (wait !== undefined) await wait;
    }
    this.out.flush();
  }

  private skipStale(watch: StaleClaimWatch): void {
    const bytes = watch.check();
    if (bytes > 0) this.events.event('stale-claim', {}, serializeError(new Error(watch.describe(bytes))));
  }

  private readonly onFrame = (byte: number, frameBytes: number): void => {
    const ep = this.endpoint;
    let h;
    try {
      h = ep.readFrame(byte, frameBytes);
    } catch (err) {
      this.events.event('bad-frame', { from: 'ring' }, serializeError(err));
      return;
    }
    if (h.kind === Kind.Publish) {
      for (const host of this.hosts.subscribersOf(this.addressOf(h))) {
        if (!host.alive) this.counters.mdDropped++;
        else this.out.addFromRing('md', host.host, BusKind.Publish, this.block, h);
      }
      return;
    }
    if (h.kind !== Kind.Send && h.kind !== Kind.Ask) {
      this.events.event('bad-frame', { from: 'ring', kind: h.kind }, serializeError(new FrameError(`kind ${h.kind} in the bridge's ring`)));
      return;
    }
    const actor = this.addressOf(h);
    const host = this.hosts.hostOf(actor);
    if (h.kind === Kind.Ask && (host === undefined || !this.hosts.alive(host))) {
      // Fail fast: nobody would answer before the asker's timeout.
      const why = host === undefined ? `no host runs actor '${actor}'` : `host '${host}' of actor '${actor}' is down`;
      ep.replyError(h.from, h.corr, new DualbusError('HostUnreachable', why));
      return;
    }
    if (host === undefined) {
      this.events.event('unroutable', { actor, reason: 'no host runs it' });
      return;
    }
    // A send to a host that is down waits in its stream.
    this.out.addFromRing('el', host, h.kind, this.block, h);
  };

  /** The address (actor or topic) of a frame in the ring; most frames repeat the one before, decoded once. */
  private addressOf(h: FrameHeader): string {
    const last = this.lastAddress;
    const n = h.topicBytes;
    if (n === last.length && sameBytes(this.block, h.topicByte, last.bytes, 0, n)) return last.text;
    const text = frameTopic(this.endpoint.own.block, h);
    if (n <= last.bytes.length) {
      last.bytes.set(frameTopicBytes(this.block, h));
      last.length = n;
      last.text = text;
    }
    return text;
  }

  // ------------------------------------------------------------------ in: answers, rejected frames

  /** Queues the answer to an ask from `host` (its bytes are copied into the frame now). */
  private answer(host: string, ask: BusEntry, kind: BusKind, payload: Payload): void {
    this.out.add('el', host, kind, EMPTY, ask.from, ask.corr, payload.encoding, payload.flags, payload.bytes);
    this.endpoint.own.doorbell.ringAlways(); // the out loop flushes it
  }

  private rejectedFrame(bus: string, entryId: string | undefined, err: FrameError): void {
    this.counters.rejected++;
    this.events.event('rejected', { bus, ...(entryId !== undefined ? { entry: entryId } : {}) }, serializeError(err));
    // Kept for inspection: the dead-letter stream of the cluster (bounded).
    void this.el.xadd(this.keys.dead, 'MAXLEN', '~', '10000', '*', 'bus', bus, 'host', this.options.host, 'error', err.message).catch(() => {});
  }
}

const EMPTY = new Uint8Array(0);
