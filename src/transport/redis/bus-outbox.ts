import { randomInt } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { FrameHeader } from '../codec/frame.js';
import { FrameError } from '../errors.js';
import { BusFrameBuilder, MAX_BUS_FRAME_BYTES, type BusKind } from './bus-frame.js';
import { busKeys, type ResolvedBusOptions } from './config.js';
import { publishFrame } from './md-channel.js';
import { StreamWriter } from './stream-writer.js';

/** The two buses: engine logic (streams, acknowledged, retried) and market data (pub/sub, lossy). */
export type Bus = 'el' | 'md';

export interface BusOutboxEnv {
  /** Where engine-logic frames are written: a connection of their own when they WAIT for replicas (WAIT holds its connection). */
  el: Redis | Cluster;
  md: Redis | Cluster;
  options: ResolvedBusOptions;
  /** The bridge's counters, kept here where frames are sent. */
  counters: { elSent: number; mdSent: number; mdDropped: number };
  /** Redis took a frame and fewer than maxInflightFrames wait: the bridge may read its ring again. */
  onRoom(): void;
  /** A message larger than any bus frame: refused here (an asker must be told). */
  onOversized(host: string, kind: BusKind, from: number, corr: number, err: FrameError): void;
  /** Writing to `host`'s stream began to fail (retried until it works: told once), or works again after `retries` failures. */
  onWriteTrouble(host: string, err: Error | undefined, retries: number): void;
}

/** How long a WAIT waits for replicas before the frame is written again (it returns at once when they have it). */
const REPLICA_WAIT_MS = 1000;

/** The frame being filled for one destination host on one bus. */
interface Outgoing {
  builder: BusFrameBuilder;
  /** The sequence number the next message to this host gets (its idempotency key, with our instance). */
  nextSeq: number;
}

/**
 * What the bridge sends out: one bus frame being filled per destination host and bus (sent when it
 * holds batchMax messages, or when the bridge flushes at the end of a drain), and the engine-logic
 * frames waiting for Redis (and replicaAcks of its replicas) to take them, one in flight per host.
 */
export class BusOutbox {
  private readonly keys;
  private readonly filling: Record<Bus, Map<string, Outgoing>> = { el: new Map(), md: new Map() };
  /**
   * Engine-logic frames per destination host, oldest first. One frame per host is in flight at a
   * time, so a frame Redis refused (it went away) is sent again before anything newer to that host:
   * order per host holds across a Redis restart.
   */
  private readonly elQueues = new Map<string, Array<{ frame: Buffer; count: number }>>();
  private readonly elBusy = new Set<string>();
  /** Failed attempts in a row per destination host (a frame retried). */
  private readonly elRetries = new Map<string, number>();
  private readonly writer: StreamWriter;
  /** This bridge's run, drawn at random: with the sequence numbers, what makes each message's key unique. */
  private readonly instance = randomInt(2 ** 32);

  constructor(private readonly env: BusOutboxEnv) {
    this.keys = busKeys(env.options.cluster);
    const o = env.options;
    this.writer = new StreamWriter(env.el, { maxLen: o.streamMaxLen, ttlMs: o.streamTtlMs, replicas: o.replicaAcks, waitMs: REPLICA_WAIT_MS });
  }

  /** Appends the message of ring frame `h` (its address and payload copied from `block`, the ring's block). */
  addFromRing(bus: Bus, host: string, kind: BusKind, block: Uint8Array, h: FrameHeader): void {
    const o = this.roomFor(bus, host, kind, h.from, h.corr, h.topicBytes, h.payloadBytes);
    if (o === undefined) return;
    o.builder.addFrom(kind, block, h.topicByte, h.topicBytes, h.from, h.corr, h.encoding, h.flags, h.payloadByte, h.payloadBytes);
    if (o.builder.count >= this.env.options.batchMax) this.flushOne(bus, host, o);
  }

  /** Appends a message given by its parts (copied now). */
  add(bus: Bus, host: string, kind: BusKind, address: Uint8Array, from: number, corr: number, encoding: number, flags: number, payload: Uint8Array): void {
    const o = this.roomFor(bus, host, kind, from, corr, address.length, payload.length);
    if (o === undefined) return;
    o.builder.add(kind, address, from, corr, encoding, flags, payload);
    if (o.builder.count >= this.env.options.batchMax) this.flushOne(bus, host, o);
  }

  /** Sends every frame that holds a message. */
  flush(): void {
    for (const bus of ['el', 'md'] as const) for (const [host, o] of this.filling[bus]) if (o.builder.count > 0) this.flushOne(bus, host, o);
  }

  /** Engine-logic frames not yet acknowledged by Redis, for every destination host. */
  queuedFrames(): number {
    let n = 0;
    for (const q of this.elQueues.values()) n += q.length;
    return n;
  }

  /** Fewer frames than maxInflightFrames wait for Redis: the bridge may read more from its ring. */
  room(): boolean {
    return this.queuedFrames() < this.env.options.maxInflightFrames;
  }

  /** An engine-logic frame holds messages not sent yet (answers to remote asks, queued outside a drain). */
  answersWaiting(): boolean {
    for (const o of this.filling.el.values()) if (o.builder.count > 0) return true;
    return false;
  }

  /**
   * The frame for `host`, with room for one more message of these sizes (a full one is sent first);
   * undefined for a message larger than any bus frame.
   */
  private roomFor(bus: Bus, host: string, kind: BusKind, from: number, corr: number, addressBytes: number, payloadBytes: number): Outgoing | undefined {
    const filling = this.filling[bus];
    let o = filling.get(host);
    if (o === undefined) filling.set(host, (o = { builder: new BusFrameBuilder(this.env.options.host, this.instance), nextSeq: 1 }));
    if (o.builder.count > 0 && !o.builder.fits(addressBytes, payloadBytes)) this.flushOne(bus, host, o);
    if (!o.builder.fits(addressBytes, payloadBytes)) {
      this.env.onOversized(host, kind, from, corr, new FrameError(`a message of ${payloadBytes} bytes does not fit a bus frame (${MAX_BUS_FRAME_BYTES} bytes at most)`));
      return undefined;
    }
    if (o.builder.count === 0) o.builder.begin(o.nextSeq);
    return o;
  }

  private flushOne(bus: Bus, host: string, o: Outgoing): void {
    const count = o.builder.count;
    o.nextSeq += count;
    const frame = o.builder.finish();
    const counters = this.env.counters;
    if (bus === 'md') {
      // Nobody subscribed to the channel got it (the host is restarting, or its subscription is
      // moving to a promoted replica): dropped, like a publish Redis refused.
      publishFrame(this.env.md, this.keys.channel(host), frame).then(
        (receivers) => (receivers > 0 ? (counters.mdSent += count) : (counters.mdDropped += count)),
        () => (counters.mdDropped += count),
      );
      return;
    }
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
    this.writer.append(this.keys.stream(host), frame).then(
      () => {
        queue.shift();
        this.env.counters.elSent += count;
        this.elBusy.delete(host);
        const retries = this.elRetries.get(host);
        if (retries !== undefined) {
          this.elRetries.delete(host);
          this.env.onWriteTrouble(host, undefined, retries);
        }
        this.pump(host);
        if (this.room()) this.env.onRoom();
      },
      (err: Error) => {
        // Redis is away, or the replicas do not have it: the same frame again shortly (the same
        // sequence numbers, so a frame that did land is handled once).
        const retries = (this.elRetries.get(host) ?? 0) + 1;
        this.elRetries.set(host, retries);
        if (retries === 1) this.env.onWriteTrouble(host, err, 0);
        this.elBusy.delete(host);
        setTimeout(() => this.pump(host), 50);
      },
    );
  }
}
