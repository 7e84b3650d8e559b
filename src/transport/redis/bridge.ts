import type { Cluster, Redis } from 'ioredis';
import { Encoding } from '../codec/frame.js';
import { Endpoint } from '../endpoint.js';
import { DualbusError, FrameError } from '../errors.js';
import { BRIDGE_ID, HOST_NAME, BRIDGE_NAME, Kind, serializeError, type SerializedError } from '../protocol.js';
import { yieldTurn } from '../ring/idle.js';
import { matchTopic } from '../topic.js';
import { BusKind, decodeBusFrame, encodeBusFrame, type BusMessage } from './bus-frame.js';
import { busKeys, connectRedis, type ResolvedBusOptions } from './config.js';
import { EngineLogicConsumer, appendFrame } from './engine-logic.js';
import { Registry, type HostRecord } from './registry.js';

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
}

export interface BridgeEvents {
  /** The set of remote actors or topic patterns changed. */
  directory(actors: string[], patterns: string[]): void;
  /** Something to log: a rejected frame, Redis away or back, a message that could not be routed. */
  event(event: string, detail: Record<string, unknown>, error?: SerializedError): void;
}

/**
 * The bridge of one host to the two Redis buses. It runs in a worker of its own, owns every Redis
 * connection, and is an endpoint like an actor: actors write frames for other hosts into its ring
 * (an actor name or a topic as the frame's address), so none of them ever waits on the network.
 *
 * Out: each drain of its ring is packed into one bus frame per destination host (at most
 * batchMax messages): engine-logic messages are XADDed to the destination's stream (acknowledged by
 * Redis before they count as sent; retried with the same ids until they are), market data is
 * PUBLISHed on the destination's channel (dropped and counted while Redis is away).
 * In: its engine-logic consumer and market-data subscription deliver into the local actors' rings.
 */
export class Bridge {
  private readonly counters = { elSent: 0, elReceived: 0, mdSent: 0, mdReceived: 0, mdDropped: 0, rejected: 0 };
  private readonly keys;
  private readonly el: Redis | Cluster;
  private readonly elRead: Redis | Cluster;
  private readonly md: Redis | Cluster;
  private readonly mdSub: Redis | Cluster;
  private readonly registry: Registry;
  private readonly consumer: EngineLogicConsumer;
  private hosts: HostRecord[] = [];
  /** Actor name -> host, including hosts that died (their streams keep messages for them). */
  private readonly where = new Map<string, string>();
  private seq = 0;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private beatTimer: ReturnType<typeof setInterval> | undefined;
  private outEl = new Map<string, BusMessage[]>();
  private outMd = new Map<string, BusMessage[]>();
  /**
   * Engine-logic frames per destination host, oldest first. One frame per host is in flight at a
   * time, so a frame Redis refused (it went away) is sent again before anything newer to that host:
   * order per host holds across a Redis restart.
   */
  private readonly elQueues = new Map<string, Array<{ frame: Buffer; count: number }>>();
  private readonly elBusy = new Set<string>();
  private lastDirectory = '';

  constructor(
    private readonly endpoint: Endpoint,
    private readonly options: ResolvedBusOptions,
    private readonly events: BridgeEvents,
  ) {
    this.keys = busKeys(options.cluster);
    const name = `dualbus:${options.cluster}:${options.host}`;
    this.el = connectRedis(options.engineLogic, `${name}:el`, true);
    this.elRead = connectRedis(options.engineLogic, `${name}:el-read`, true);
    this.md = connectRedis(options.marketData, `${name}:md`, false);
    this.mdSub = connectRedis(options.marketData, `${name}:md-sub`, true);
    for (const [bus, conn] of [['engine-logic', this.el], ['engine-logic', this.elRead], ['market-data', this.md], ['market-data', this.mdSub]] as const) {
      conn.on('error', (err: Error) => this.events.event('redis-error', { bus }, serializeError(err)));
    }
    this.registry = new Registry(this.el, options.cluster, options.host, options.heartbeatMs * 3);
    this.consumer = new EngineLogicConsumer(
      this.elRead,
      { stream: this.keys.stream(options.host), group: 'dualbus', consumer: `${options.host}:${process.pid}`, maxLen: options.streamMaxLen, claimIdleMs: options.claimIdleMs, dedupeWindow: 100_000 },
      (m) => this.deliver(m),
      (entryId, err) => this.rejectedFrame('engine-logic', entryId, err),
      (err) => this.events.event('redis-error', { bus: 'engine-logic', while: 'reading' }, serializeError(err)),
    );
  }

  async start(): Promise<void> {
    this.running = true;
    // Both buses must answer before the host counts as started (a ping each; ioredis queues it until connected).
    await Promise.all([this.el.ping(), this.md.ping().catch(() => this.mdSub.ping())]);
    await this.heartbeat();
    this.beatTimer = setInterval(() => void this.heartbeat(), this.options.heartbeatMs);
    await this.mdSub.subscribe(this.keys.channel(this.options.host));
    this.mdSub.on('messageBuffer', (_channel: Buffer, frame: Buffer) => this.onMarketData(frame));
    this.consumer.start();
    this.loop = this.run();
  }

  /** The bridge's figures now (frames in flight and claimed entries are read where they are kept). */
  figures(): BridgeCounters {
    return { ...this.counters, inflightFrames: this.queuedFrames(), claimed: this.consumer.counters.claimed };
  }

  /** Engine-logic frames not yet acknowledged by Redis, for every destination host. */
  private queuedFrames(): number {
    let n = 0;
    for (const q of this.elQueues.values()) n += q.length;
    return n;
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.beatTimer);
    this.endpoint.own.doorbell.ringAlways();
    await this.loop;
    // What actors sent before the stop is handed to Redis before the connections close (5 s at most).
    const until = performance.now() + 5000;
    while (this.queuedFrames() > 0 && performance.now() < until) {
      this.flush();
      await new Promise((r) => setTimeout(r, 10));
    }
    await this.consumer.stop();
    await this.registry.leave().catch(() => {});
    for (const c of [this.el, this.elRead, this.md, this.mdSub]) c.disconnect();
  }

  // ------------------------------------------------------------------ out: ring -> Redis

  private async run(): Promise<void> {
    const own = this.endpoint.own;
    while (this.running) {
      this.endpoint.drainReplies(); // answers to asks this bridge made for remote askers
      // Backpressure: while Redis holds too many frames unacknowledged, leave the ring to fill.
      const room = this.queuedFrames() < this.options.maxInflightFrames;
      const n = room ? own.messages.drain(this.onFrame, this.options.batchMax * 8) : 0;
      this.flush();
      if (n > 0) {
        await yieldTurn();
        continue;
      }
      const seq = own.doorbell.prepareToPark();
      if ((room && own.hasWork()) || !this.running) {
        own.doorbell.unpark();
        continue;
      }
      await own.doorbell.parkAsync(seq, room ? 100 : 5);
    }
    this.flush();
  }

  private readonly onFrame = (byte: number, frameBytes: number): void => {
    const ep = this.endpoint;
    let h;
    let address: string;
    let body: unknown;
    let encoding: number | undefined;
    try {
      h = ep.readFrame(byte, frameBytes);
      address = ep.topicOf(h);
      if (h.encoding === Encoding.Record) {
        // A record travels as its bytes: this thread need not know its layout, the receiver does.
        encoding = h.encoding;
        body = ep.own.messages.u8.slice(h.payloadByte, h.payloadByte + h.payloadBytes);
      } else body = ep.decode(h);
    } catch (err) {
      this.events.event('bad-frame', { from: 'ring' }, serializeError(err));
      return;
    }
    if (h.kind === Kind.Publish) return this.publishOut(address, body, encoding);
    if (h.kind !== Kind.Send && h.kind !== Kind.Ask) {
      this.events.event('bad-frame', { from: 'ring', kind: h.kind }, serializeError(new FrameError(`kind ${h.kind} in the bridge's ring`)));
      return;
    }
    const host = this.where.get(address);
    const alive = host !== undefined && this.hosts.some((x) => x.host === host && x.alive);
    if (h.kind === Kind.Ask) {
      if (host === undefined || !alive) {
        // Fail fast: nobody would answer before the asker's timeout.
        const why = host === undefined ? `no host runs actor '${address}'` : `host '${host}' of actor '${address}' is down`;
        ep.replyError(h.from, h.corr, new DualbusError('HostUnreachable', why));
        return;
      }
      this.queue(this.outEl, host, { kind: BusKind.Ask, address, id: this.nextId(), body, origin: { host: this.options.host, from: h.from, corr: h.corr }, ...(encoding !== undefined ? { encoding } : {}) });
      return;
    }
    if (host === undefined) {
      this.events.event('unroutable', { actor: address, reason: 'no host runs it' });
      return;
    }
    this.queue(this.outEl, host, { kind: BusKind.Send, address, id: this.nextId(), body, ...(encoding !== undefined ? { encoding } : {}) }); // waits in its stream if the host is down
  };

  private publishOut(topic: string, body: unknown, encoding: number | undefined): void {
    for (const h of this.hosts) {
      if (!h.patterns.some((p) => matchTopic(p, topic))) continue;
      if (!h.alive) {
        this.counters.mdDropped++;
        continue;
      }
      this.queue(this.outMd, h.host, { kind: BusKind.Publish, address: topic, id: this.nextId(), body, ...(encoding !== undefined ? { encoding } : {}) });
    }
  }

  private queue(out: Map<string, BusMessage[]>, host: string, m: BusMessage): void {
    let batch = out.get(host);
    if (batch === undefined) out.set(host, (batch = []));
    batch.push(m);
    if (batch.length >= this.options.batchMax) this.flushOne(out, host);
  }

  private flush(): void {
    for (const host of [...this.outEl.keys()]) this.flushOne(this.outEl, host);
    for (const host of [...this.outMd.keys()]) this.flushOne(this.outMd, host);
  }

  private flushOne(out: Map<string, BusMessage[]>, host: string): void {
    const batch = out.get(host);
    out.delete(host);
    if (batch === undefined || batch.length === 0) return;
    let frame: Buffer;
    try {
      frame = encodeBusFrame(batch);
    } catch (err) {
      this.events.event('oversized', { host, messages: batch.length }, serializeError(err));
      return;
    }
    if (out === this.outMd) {
      this.md.publish(this.keys.channel(host), frame).then(
        () => (this.counters.mdSent += batch.length),
        () => (this.counters.mdDropped += batch.length),
      );
      return;
    }
    this.appendEl(host, frame, batch.length);
  }

  private appendEl(host: string, frame: Buffer, count: number): void {
    let queue = this.elQueues.get(host);
    if (queue === undefined) this.elQueues.set(host, (queue = []));
    queue.push({ frame, count });
    this.pump(host);
  }

  /** Sends the oldest frame for `host` once the one before it is acknowledged by Redis. */
  private pump(host: string): void {
    const queue = this.elQueues.get(host);
    if (queue === undefined || queue.length === 0 || this.elBusy.has(host)) return;
    this.elBusy.add(host);
    const { frame, count } = queue[0]!;
    const stream = this.keys.stream(host);
    appendFrame(this.el, stream, this.options.streamMaxLen, frame)
      .then(() => this.el.pexpire(stream, this.options.streamTtlMs))
      .then(
        () => {
          queue.shift();
          this.counters.elSent += count;
          this.elBusy.delete(host);
          this.pump(host);
          if (this.queuedFrames() < this.options.maxInflightFrames) this.endpoint.own.doorbell.ringAlways();
        },
        () => {
          // Redis is away: the same frame again shortly (the same ids, so a frame that did land is handled once).
          this.elBusy.delete(host);
          setTimeout(() => this.pump(host), 50);
        },
      );
  }

  private nextId(): string {
    return `${this.options.host}:${process.pid}:${++this.seq}`;
  }

  // ------------------------------------------------------------------ in: Redis -> rings

  private async deliver(m: BusMessage): Promise<void | 'later'> {
    this.counters.elReceived++;
    const ep = this.endpoint;
    if (m.kind === BusKind.Reply || m.kind === BusKind.ReplyError) {
      if (m.origin === undefined) return this.events.event('bad-message', { reason: 'a reply without its origin' });
      if (m.kind === BusKind.Reply) ep.reply(m.origin.from, m.origin.corr, m.body);
      else ep.replyError(m.origin.from, m.origin.corr, Object.assign(new Error(String((m.body as SerializedError)?.message)), m.body as object));
      return;
    }
    let peer;
    try {
      peer = ep.peer(m.address);
      if (peer.address !== undefined) throw new Error('not local'); // not ours: never forward in a loop
    } catch {
      // Not (yet) here: a host that restarts receives its stream before its actors are back. The
      // entry stays pending and comes again (an ask's asker times out if the actor never comes).
      return 'later';
    }
    if (m.kind === BusKind.Send) {
      // Waits for room: never dropped.
      if (m.encoding === undefined) await ep.sendAsync(peer, m.body, 60_000);
      else while (!ep.sendEncoded(peer, m.encoding, m.body as Uint8Array)) await peer.mailbox.messages.waitForSpace(1000);
      return;
    }
    if (m.kind === BusKind.Ask && m.origin !== undefined) {
      const origin = m.origin;
      const asked = m.encoding === undefined ? ep.ask(peer, m.body, 60_000) : ep.askEncoded(peer, m.encoding, m.body as Uint8Array, 60_000);
      asked.then(
        (value) => this.answer(origin, BusKind.Reply, value),
        (err: unknown) => this.answer(origin, BusKind.ReplyError, serializeError(err)),
      );
    }
  }

  private answer(origin: NonNullable<BusMessage['origin']>, kind: BusKind, body: unknown): void {
    this.queue(this.outEl, origin.host, { kind, address: '', id: this.nextId(), body, origin });
    this.endpoint.own.doorbell.ringAlways(); // the out loop flushes it
  }

  private onMarketData(frame: Buffer): void {
    let messages: BusMessage[];
    try {
      messages = decodeBusFrame(frame);
    } catch (err) {
      this.rejectedFrame('market-data', undefined, err as FrameError);
      return;
    }
    for (const m of messages) {
      if (m.kind !== BusKind.Publish) continue;
      this.counters.mdReceived++;
      // A local subscriber whose mailbox is full loses it: counted there (overflows) and here.
      const all =
        m.encoding === undefined
          ? this.endpoint.publish(m.address, m.body, { exceptSelf: true })
          : this.endpoint.publishEncoded(m.address, m.encoding, m.body as Uint8Array, { exceptSelf: true });
      if (!all) this.counters.mdDropped++;
    }
  }

  private rejectedFrame(bus: string, entryId: string | undefined, err: FrameError): void {
    this.counters.rejected++;
    this.events.event('rejected', { bus, ...(entryId !== undefined ? { entry: entryId } : {}) }, serializeError(err));
    // Kept for inspection: the dead-letter stream of the cluster (bounded).
    void this.el.xadd(this.keys.dead, 'MAXLEN', '~', '10000', '*', 'bus', bus, 'host', this.options.host, 'error', err.message).catch(() => {});
  }

  // ------------------------------------------------------------------ directory

  private async heartbeat(): Promise<void> {
    try {
      const local = this.endpoint.localNames().filter((n) => n !== HOST_NAME && n !== BRIDGE_NAME);
      const patterns = this.endpoint.patternsExcept(BRIDGE_ID);
      await this.registry.beat(local, patterns);
      // A host that died keeps what it last published: its actors still get sends (they wait in
      // its stream) and its patterns still route here, where market data for it is counted dropped.
      const previous = new Map(this.hosts.map((h) => [h.host, h]));
      this.hosts = (await this.registry.others()).map((h) => {
        const before = previous.get(h.host);
        return h.alive || before === undefined ? h : { ...h, actors: before.actors, patterns: before.patterns };
      });
      for (const h of this.hosts) for (const a of h.actors) this.where.set(a, h.host);
      const actors = [...this.where.keys()].sort();
      const remotePatterns = [...new Set(this.hosts.flatMap((h) => h.patterns))].sort();
      const directory = JSON.stringify([actors, remotePatterns, this.hosts.map((h) => [h.host, h.alive])]);
      if (directory !== this.lastDirectory) {
        this.lastDirectory = directory;
        this.events.directory(actors, remotePatterns);
        this.events.event('directory', { hosts: Object.fromEntries(this.hosts.map((h) => [h.host, h.alive ? 'alive' : 'down'])) });
      }
    } catch (err) {
      this.events.event('redis-error', { bus: 'engine-logic', while: 'heartbeat' }, serializeError(err));
    }
  }
}
