import type { Cluster, Redis } from 'ioredis';
import { frameTopic, frameTopicBytes, type FrameHeader } from '../codec/frame.js';
import { sameBytes } from '../codec/copy-bytes.js';
import { StaleClaimWatch } from '../ring/stale-claims.js';
import type { ControlListener } from '../control.js';
import type { Endpoint, Payload, PayloadSource, Peer } from '../endpoint/endpoint.js';
import { ActorStopped, DualbusError, FrameError, MessageTooLarge } from '../errors.js';
import { Kind, serializeError, type SerializedError } from '../protocol.js';
import { createIdle, type IdleStrategy } from '../ring/idle.js';
import { BusKind, decodeBusFrame, type BusEntry, type BusFrame } from './bus-frame.js';
import { BusOutbox } from './bus-outbox.js';
import { BusDirectory } from './bus-directory.js';
import { busKeys, connectRedis, type ResolvedBusOptions } from './config.js';
import { EngineLogicConsumer } from './engine-logic.js';

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
}

export interface BridgeEvents {
  /** The set of remote actors or topic patterns changed. */
  directory(actors: string[], patterns: string[]): void;
  /** Something to log: a rejected frame, Redis away or back, a message that could not be routed. */
  event(event: string, detail: Record<string, unknown>, error?: SerializedError): void;
}

/** How long the bridge waits for a local actor to answer an ask from another host (the asker has its own timeout). */
const REMOTE_ASK_TIMEOUT_MS = 60_000;
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
 * Redis before they count as sent; retried, with the same sequence numbers, until they are), market data is
 * PUBLISHed on the destination's channel (dropped and counted while Redis is away).
 * In: its engine-logic consumer and market-data subscription deliver into the local actors' rings.
 */
export class Bridge {
  private readonly counters = { elSent: 0, elReceived: 0, mdSent: 0, mdReceived: 0, mdDropped: 0, rejected: 0, undeliverable: 0 };
  private readonly keys;
  private readonly el: Redis | Cluster;
  private readonly elRead: Redis | Cluster;
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
  /** False once the host shuts down: messages for its actors stay in its stream for its next process. */
  private receiving = true;
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
    this.el = connectRedis(options.engineLogic, `${name}:el`, true);
    this.elRead = connectRedis(options.engineLogic, `${name}:el-read`, true);
    this.md = connectRedis(options.marketData, `${name}:md`, false);
    this.mdSub = connectRedis(options.marketData, `${name}:md-sub`, true);
    for (const [bus, conn] of [['engine-logic', this.el], ['engine-logic', this.elRead], ['market-data', this.md], ['market-data', this.mdSub]] as const) {
      conn.on('error', (err: Error) => this.events.event('redis-error', { bus }, serializeError(err)));
    }
    this.hosts = new BusDirectory(this.el, endpoint, options, events);
    this.out = new BusOutbox({
      el: this.el,
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
    });
    this.consumer = new EngineLogicConsumer(
      this.elRead,
      { stream: this.keys.stream(options.host), group: 'dualbus', consumer: `${options.host}:${process.pid}`, maxLen: options.streamMaxLen, claimIdleMs: options.claimIdleMs, dedupeWindow: DEDUPE_WINDOW, progressTtlMs: options.streamTtlMs },
      (frame, from, to) => this.deliver(frame, from, to),
      (entryId, err) => this.rejectedFrame('engine-logic', entryId, err),
      (err) => this.events.event('redis-error', { bus: 'engine-logic', while: 'reading' }, serializeError(err)),
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
    await Promise.all([this.el.ping(), this.md.ping().catch(() => this.mdSub.ping())]);
    await this.hosts.heartbeat();
    this.beatTimer = setInterval(() => void this.hosts.heartbeat(), this.options.heartbeatMs);
    await this.mdSub.subscribe(this.keys.channel(this.options.host));
    this.mdSub.on('messageBuffer', (_channel: Buffer, frame: Buffer) => this.onMarketData(frame));
    this.consumer.start();
    this.loop = this.run();
  }

  /** The bridge's figures now (frames in flight and claimed entries are read where they are kept). */
  figures(): BridgeCounters {
    return { ...this.counters, inflightFrames: this.out.queuedFrames(), claimed: this.consumer.counters.claimed };
  }

  /**
   * The host is shutting down: from now on messages for its actors are left in its stream, for its
   * next process (answers to asks of its actors still come in, and what its actors send still goes out).
   */
  stopReceiving(): void {
    this.receiving = false;
  }

  async stop(): Promise<void> {
    this.receiving = false;
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
    for (const c of [this.el, this.elRead, this.md, this.mdSub]) c.disconnect();
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

  // ------------------------------------------------------------------ in: Redis -> rings

  /**
   * Delivers messages `[from, to)` of an engine-logic frame into this host's rings, as they came:
   * a run of sends to one actor with one claim. Returns how many it delivered (at least one), a
   * promise of that when the first waits for room (a send is never dropped), or 'later' when its
   * actor is not (yet) here.
   */
  private deliver(frame: BusFrame, from: number, to: number): number | 'later' | Promise<number | 'later'> {
    const ep = this.endpoint;
    const m = frame.entries[from]!;
    if (m.kind === BusKind.Reply || m.kind === BusKind.ReplyError) {
      this.counters.elReceived++;
      // The payload is a view into the frame: written now, or copied if the asker's reply ring is full.
      ep.replyPayload(m.from, m.corr, m.kind, { encoding: m.encoding, flags: m.flags, bytes: frame.payload(from) });
      return 1;
    }
    // Shutting down: left in the stream for the next process of this host.
    if (!this.receiving) return 'later';
    const peer = this.hosts.localPeer(m.address);
    // Not (yet) here: a host that restarts receives its stream before its actors are back. The
    // entry stays pending and comes again (an ask's asker times out if the actor never comes).
    if (peer === undefined) return 'later';
    if (m.kind === BusKind.Send) {
      let end = from + 1;
      while (end < to && frame.entries[end]!.kind === BusKind.Send && frame.entries[end]!.address === m.address) end++;
      let n: number;
      try {
        n = ep.sendPayloads(peer, frame, from, end - from);
      } catch (err) {
        return this.undeliverable(m, err);
      }
      if (n > 0) {
        this.counters.elReceived += n;
        return n;
      }
      return this.sendWhenRoom(peer, m, frame, from, end - from); // its bytes live in the frame, not in a ring
    }
    this.counters.elReceived++;
    if (m.kind === BusKind.Ask) {
      const origin = frame.origin;
      ep.askPayload(peer, () => ({ encoding: m.encoding, flags: m.flags, bytes: frame.payload(from) }), REMOTE_ASK_TIMEOUT_MS, {
        answered: (h) => this.answer(origin, m, h.kind as BusKind, ep.payloadOf(h)),
        failed: (err) => this.answer(origin, m, BusKind.ReplyError, ep.encode(serializeError(err))),
      });
      return 1;
    }
    this.events.event('bad-message', { reason: `kind ${m.kind} on the engine-logic bus` });
    return 1;
  }

  /**
   * Waits until the actor's ring takes at least the first of the run; returns how many it took
   * ('later' when the host shuts down meanwhile: the entry stays pending for its next process).
   */
  private async sendWhenRoom(peer: Peer, first: BusEntry, source: PayloadSource, from: number, count: number): Promise<number | 'later'> {
    for (;;) {
      await peer.mailbox.messages.waitForSpace(100);
      if (!this.receiving) return 'later';
      let n: number;
      try {
        n = this.endpoint.sendPayloads(peer, source, from, count);
      } catch (err) {
        return this.undeliverable(first, err);
      }
      if (n > 0) {
        this.counters.elReceived += n;
        return n;
      }
    }
  }

  /**
   * A message its actor can never take (larger than its mailbox allows, or the actor stopped for
   * good): reported and counted, and the stream goes on past it.
   */
  private undeliverable(m: BusEntry, err: unknown): number {
    if (!(err instanceof MessageTooLarge || err instanceof ActorStopped)) throw err;
    this.counters.undeliverable++;
    this.events.event('undeliverable', { actor: m.address, kind: m.kind }, serializeError(err));
    return 1;
  }

  /** Queues the answer to an ask from `host` (its bytes are copied into the frame now). */
  private answer(host: string, ask: BusEntry, kind: BusKind, payload: Payload): void {
    this.out.add('el', host, kind, EMPTY, ask.from, ask.corr, payload.encoding, payload.flags, payload.bytes);
    this.endpoint.own.doorbell.ringAlways(); // the out loop flushes it
  }

  private onMarketData(bytes: Buffer): void {
    let frame: BusFrame;
    try {
      frame = decodeBusFrame(bytes);
    } catch (err) {
      this.rejectedFrame('market-data', undefined, err as FrameError);
      return;
    }
    if (!this.receiving) return; // shutting down: market data is not kept for later
    // Consecutive publishes on one topic go to each subscriber as one run (one claim).
    const list = frame.entries;
    for (let i = 0; i < list.length; ) {
      const topic = list[i]!.address;
      let end = i + 1;
      while (end < list.length && list[end]!.kind === BusKind.Publish && list[end]!.address === topic) end++;
      if (list[i]!.kind === BusKind.Publish) {
        this.counters.mdReceived += end - i;
        // A local subscriber whose mailbox is full (or too small) loses what did not fit: counted there (overflows) and here.
        this.counters.mdDropped += this.endpoint.publishPayloads(topic, frame, i, end - i, true);
      }
      i = end;
    }
  }

  private rejectedFrame(bus: string, entryId: string | undefined, err: FrameError): void {
    this.counters.rejected++;
    this.events.event('rejected', { bus, ...(entryId !== undefined ? { entry: entryId } : {}) }, serializeError(err));
    // Kept for inspection: the dead-letter stream of the cluster (bounded).
    void this.el.xadd(this.keys.dead, 'MAXLEN', '~', '10000', '*', 'bus', bus, 'host', this.options.host, 'error', err.message).catch(() => {});
  }
}

const EMPTY = new Uint8Array(0);
