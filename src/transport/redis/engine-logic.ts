import type { Cluster, Redis } from 'ioredis';
import { FrameError } from '../errors.js';
import { decodeBusFrame, type BusFrame } from './bus-frame.js';
import { InHand, type Settled } from './in-hand.js';
import { SeqWindow } from './seq-window.js';
import { consumersOf, fieldValue, onConnectionClose, streamEntries, type Entry } from './stream-replies.js';

/**
 * One host's inbox on the engine-logic bus: a Redis stream read by a consumer group, so that an
 * entry is delivered at least once (XADD, XREADGROUP, XACK; XAUTOCLAIM takes over the entries of a
 * consumer that died), bounded in length (XADD MAXLEN ~), and handled once per idempotency key by
 * this consumer: a redelivered entry (Redis restarted, a resend after a lost reply) is recognised
 * and acknowledged without running the handler again. An entry is acknowledged only once the
 * messages handed over from it are handled (their receipts settle: see in-hand.ts), so a host
 * process killed at any moment leaves what it had not finished pending for its next process.
 *
 * Run the engine-logic Redis with `appendonly yes` and `appendfsync always` (or everysec, and
 * accept up to a second's loss on a crash of Redis itself): without persistence a restarted Redis
 * has forgotten its streams and groups.
 */
export interface EngineLogicOptions {
  /**
   * The stream key (namespaced by the caller: `{<cluster>:el:<host>}`). The progress key is
   * `<stream>:progress`: with a hash tag in the stream key, both live in one Redis Cluster slot.
   */
  stream: string;
  group: string;
  /** This consumer's name in the group: unique per process. */
  consumer: string;
  /** XADD MAXLEN ~ bound: the stream keeps about this many entries. */
  maxLen: number;
  /** Entries pending on another consumer for this long are claimed (it is taken to be dead). */
  claimIdleMs: number;
  /** How many idempotency keys to remember per sending process (the window within which a duplicate is recognised). */
  dedupeWindow: number;
  /** How long the progress a stopping consumer leaves for its host's next process is kept (as long as the stream). */
  progressTtlMs: number;
  /**
   * The most messages handed over and not yet acknowledged before the consumer stops reading: what
   * a kill can make the next process hand out twice is at most this plus one entry's messages.
   */
  maxInHand: number;
  /** The most messages one entry holds (the senders' batchMax): sizes reads so that they stay within maxInHand. */
  entryMessagesMax: number;
}

/** How soon entries left pending ('later') are read again. */
const RETRY_DEFERRED_MS = 250;
/** How many sending runs (host processes) the consumer remembers the recent sequence numbers of. */
const MAX_SENDERS = 64;
/** How often the entries in hand are looked at, to acknowledge those whose messages are handled. */
const ACK_EVERY_MS = 2;
/** The most entries one read asks for. */
const READ_COUNT = 256;

export interface EngineLogicCounters {
  received: number;
  handled: number;
  duplicates: number;
  rejected: number;
  claimed: number;
}

/** Writes bus frames to a host's engine-logic stream. */
export async function appendFrame(redis: Redis | Cluster, stream: string, maxLen: number, frame: Buffer): Promise<string> {
  const id = await redis.xadd(stream, 'MAXLEN', '~', String(maxLen), '*', 'f', frame);
  if (id === null) throw new Error(`XADD to ${stream} returned no id`);
  return id;
}

/**
 * A read whose connection dropped while it was in flight. ioredis resends such a command on the
 * new connection, and what Redis handed out on the first try (its reply lost with the socket) is
 * pending on this consumer, older than what the resend returns: its entries are read again, in
 * order, from this consumer's pending list instead.
 */
class ReadCrossedReconnect extends Error {}

export class EngineLogicConsumer {
  readonly counters: EngineLogicCounters = { received: 0, handled: 0, duplicates: 0, rejected: 0, claimed: 0 };
  /** Bumped each time the reader's connection closes: a read spanning a bump is not trusted. */
  private connectionEpoch = 0;
  /** The sequence numbers handled lately, per sending run ('host:instance'), the most recently heard from last. */
  private readonly seen = new Map<string, SeqWindow>();
  /** Entries read and not acknowledged: which of their messages were handed over, and whether they are handled. */
  private readonly inHand = new InHand();
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  /** Entries whose XACK the timer sent and Redis has not confirmed: a read meanwhile must not take them for new. */
  private readonly acking = new Set<string>();
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private lastClaim = 0;
  /** When an entry was first left pending for a message that could not be delivered yet; 0: none. */
  private deferredAt = 0;
  /**
   * Addresses with a message left pending for later: a newer message to one of them waits behind
   * it (it is read again, in order, with the pending list), so order per target holds.
   */
  private readonly waiting = new Set<string>();

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly options: EngineLogicOptions,
    /**
     * Hands over messages `[from, to)` of a frame (none of them handed over before): at least the
     * first, as many as it can take at once, and returns how many (the next call gets the rest).
     * Each idempotency key is handed over once. What is handed over but not handled yet (written
     * into an actor's ring) gets a check in `receipts` that says when it is; the entry is
     * acknowledged when all its messages are handed over and every such check says so.
     * 'later': the first cannot be delivered yet (its actor is not there yet): the entry stays
     * pending and is read again from the backlog in a moment.
     */
    private readonly handle: (frame: BusFrame, from: number, to: number, receipts: Settled[]) => number | 'later' | Promise<number | 'later'>,
    /** A frame that failed to decode: reported (and acknowledged, so it does not come back). */
    private readonly onRejected: (entryId: string, err: FrameError) => void,
    /** A Redis error while reading; the consumer retries after a pause. */
    private readonly onRedisError: (err: Error) => void,
    /** Where acknowledgements go: a connection not held by the blocking reads. */
    private readonly ackRedis: Redis | Cluster = redis,
  ) {
    onConnectionClose(redis, () => this.connectionEpoch++);
  }

  /** Creates the group (and the stream) if needed, then reads until stop(). */
  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Messages handed over and not yet acknowledged (bounded by maxInHand). */
  get messagesInHand(): number {
    return this.inHand.messages;
  }

  /**
   * Stops reading. The entries it holds are acknowledged if their messages were handled; of the
   * others, which messages were is left in Redis for this host's next process, which then hands
   * out only the rest: a graceful restart hands each message once. (A process that dies leaves
   * nothing: its next one hands out those entries whole, at least once.)
   */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    clearTimeout(this.ackTimer);
    const { handledIds, partly } = this.inHand.takeAll();
    try {
      await this.acknowledge(handledIds);
      await this.saveProgress(partly);
    } catch (err) {
      this.onRedisError(err as Error);
    }
  }

  private get progressKey(): string {
    return `${this.options.stream}:progress`;
  }

  private async saveProgress(partly: Array<[string, Uint8Array]>): Promise<void> {
    if (partly.length === 0) return;
    await this.redis.hset(this.progressKey, ...partly.flatMap(([id, handled]) => [id, Buffer.from(handled)]));
    await this.redis.pexpire(this.progressKey, this.options.progressTtlMs);
  }

  /** Takes over the progress the previous process of this host left (once, before reading anything). */
  private async loadProgress(): Promise<void> {
    const left = await this.redis.hgetallBuffer(this.progressKey);
    for (const [id, handled] of Object.entries(left)) this.inHand.keep(id, { handled: new Uint8Array(handled), runs: [], complete: false, delivered: 0 }, false);
    if (Object.keys(left).length > 0) await this.redis.del(this.progressKey);
  }

  private async acknowledge(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.ackRedis.xack(this.options.stream, this.options.group, ...ids);
  }

  /** Acknowledges, every few milliseconds while it holds entries, those whose messages are handled. */
  private armAckTimer(): void {
    if (this.ackTimer !== undefined || this.inHand.size === 0) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      if (!this.running) return; // stop() takes what is left
      const ids = this.inHand.takeHandled();
      for (const id of ids) this.acking.add(id);
      this.acknowledge(ids)
        .catch((err: Error) => this.onRedisError(err)) // still pending in Redis: this consumer reads it again and knows it (dedupe)
        .finally(() => {
          for (const id of ids) this.acking.delete(id);
        });
      this.armAckTimer();
    }, ACK_EVERY_MS);
  }

  /** Waits while the consumer holds maxInHand messages (its actors are behind: nothing more is read). */
  private async roomToRead(): Promise<void> {
    while (this.running && this.inHand.messages >= this.options.maxInHand) await new Promise((r) => setTimeout(r, ACK_EVERY_MS));
  }

  /** How many entries the next read may take without holding more than maxInHand messages. */
  private readCount(): number {
    const room = this.options.maxInHand - this.inHand.messages;
    return Math.max(1, Math.min(READ_COUNT, Math.floor(room / this.options.entryMessagesMax)));
  }

  private async run(): Promise<void> {
    let backlog = true; // first our own pending entries (delivered before a restart, not acknowledged)
    // Then, once, whatever the previous processes of this host left pending, however recently they
    // read it: a new process must not handle anything newer before it (order holds across a restart).
    let takeover = true;
    let progressLoaded = false;
    while (this.running) {
      try {
        await this.ensureGroup();
        if (!progressLoaded) {
          await this.loadProgress();
          progressLoaded = true;
        }
        if (backlog || (this.deferredAt !== 0 && performance.now() - this.deferredAt >= RETRY_DEFERRED_MS)) {
          backlog = false;
          this.deferredAt = 0;
          await this.readBacklog();
          continue;
        }
        if (takeover) {
          await this.claimAbandoned(0);
          await this.forgetDeadConsumers();
          takeover = false;
          this.lastClaim = performance.now();
          continue;
        }
        if (performance.now() - this.lastClaim >= this.options.claimIdleMs / 2) {
          this.lastClaim = performance.now();
          await this.claimAbandoned(this.options.claimIdleMs);
        }
        await this.readNew();
      } catch (err) {
        if (!this.running) return;
        backlog = true; // after a reconnect, look at what is pending on us again, before anything newer
        if (err instanceof ReadCrossedReconnect) continue;
        this.onRedisError(err as Error);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private groupReady = false;

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      await this.redis.xgroup('CREATE', this.options.stream, this.options.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
    }
    this.groupReady = true;
  }

  /**
   * Sends one read; throws ReadCrossedReconnect when the connection closed before its reply came
   * (the reply may be a resend's, with entries handed out by the lost first try left behind).
   */
  private async read(...args: Array<string | number>): Promise<unknown> {
    const epoch = this.connectionEpoch;
    const reply = await this.redis.callBuffer(args[0] as string, ...args.slice(1));
    if (this.connectionEpoch !== epoch) throw new ReadCrossedReconnect();
    return reply;
  }

  /** Reads a batch of new entries (blocking up to 200 ms) and handles them. */
  private async readNew(): Promise<void> {
    const o = this.options;
    await this.roomToRead();
    if (!this.running) return;
    await this.handleEntries(streamEntries(await this.read('XREADGROUP', 'GROUP', o.group, o.consumer, 'COUNT', this.readCount(), 'BLOCK', 200, 'STREAMS', o.stream, '>')));
  }

  /** Everything pending on this consumer (delivered, not acknowledged), page by page. */
  private async readBacklog(): Promise<void> {
    const o = this.options;
    this.waiting.clear(); // the pending list comes in order: what is still not deliverable is found again
    let after = '0';
    for (;;) {
      await this.roomToRead();
      const entries = streamEntries(await this.read('XREADGROUP', 'GROUP', o.group, o.consumer, 'COUNT', READ_COUNT, 'STREAMS', o.stream, after));
      await this.handleEntries(entries);
      if (entries.length < READ_COUNT || !this.running) return;
      after = entries[entries.length - 1]![0].toString();
    }
  }

  /**
   * Entries another consumer took and has not acknowledged for `minIdleMs`: that consumer is gone
   * (0: at start, a previous process of this host). Every page, oldest first.
   */
  private async claimAbandoned(minIdleMs: number): Promise<void> {
    const o = this.options;
    let cursor = '0-0';
    do {
      await this.roomToRead();
      const reply = (await this.read('XAUTOCLAIM', o.stream, o.group, o.consumer, minIdleMs, cursor, 'COUNT', this.readCount())) as [Buffer, Entry[]];
      const entries = reply[1] ?? [];
      this.counters.claimed += entries.length;
      await this.handleEntries(entries);
      cursor = reply[0]?.toString() ?? '0-0';
    } while (cursor !== '0-0' && this.running);
  }

  /** The consumers of earlier processes of this host, once taken over, are removed from the group (they would pile up). */
  private async forgetDeadConsumers(): Promise<void> {
    const o = this.options;
    for (const c of consumersOf(await this.redis.xinfo('CONSUMERS', o.stream, o.group))) {
      if (c.name !== o.consumer && c.pending === 0) await this.redis.xgroup('DELCONSUMER', o.stream, o.group, c.name);
    }
  }

  private async handleEntries(entries: Entry[]): Promise<void> {
    if (entries.length === 0) return;
    const ids: string[] = [];
    for (const [rawId, fields] of entries) {
      const id = rawId.toString();
      this.counters.received++;
      let frame: BusFrame;
      try {
        // Fields are null for an entry trimmed (MAXLEN) after it was delivered and before it was acknowledged.
        if (fields === null) throw new FrameError(`stream entry ${id} was trimmed from the stream before it was handled`);
        const bytes = fieldValue(fields, 'f');
        if (bytes === undefined) throw new FrameError(`stream entry ${id} has no 'f' field`);
        frame = decodeBusFrame(bytes);
      } catch (err) {
        this.counters.rejected++;
        this.onRejected(id, err instanceof FrameError ? err : new FrameError(String(err)));
        ids.push(id); // acknowledged: it would be just as bad the next time
        continue;
      }
      // Read again (the pending list, a claim) while its messages are with the actors: nothing to do.
      if (this.inHand.awaitsOnlyHandling(id) || this.acking.has(id)) continue;
      const seen = this.windowOf(frame);
      const list = frame.entries;
      // What this consumer already handed over of this entry, if it left it pending before (a
      // message for an actor not there yet): not twice, however far the dedupe window moved since.
      const progress = this.inHand.of(id, list.length);
      const handled = progress.handled;
      const done = (i: number) => handled[i] === 1 || seen.has(list[i]!.seq);
      let complete = true;
      for (let i = 0; i < list.length; ) {
        if (done(i)) {
          if (handled[i] !== 1) this.counters.duplicates++;
          i++;
          continue;
        }
        let to = i + 1;
        while (to < list.length && !done(to)) to++;
        const address = list[i]!.address;
        const receipts: Settled[] = [];
        let outcome = this.waiting.has(address) ? 'later' : this.handle(frame, i, to, receipts);
        if (typeof outcome === 'object') outcome = await outcome; // waits only when it must
        if (outcome === 'later') {
          this.waiting.add(address);
          complete = false;
          i++;
          continue;
        }
        for (let k = i; k < i + outcome; k++) seen.add(list[k]!.seq);
        this.inHand.handedOver(progress, i, outcome, receipts);
        this.counters.handled += outcome;
        i += outcome;
      }
      if (this.inHand.keep(id, progress, complete)) ids.push(id);
      if (!complete) this.deferredAt ||= performance.now();
    }
    await this.acknowledge(ids);
    this.armAckTimer();
  }

  private windowOf(frame: BusFrame): SeqWindow {
    const key = `${frame.origin}:${frame.instance}`;
    let w = this.seen.get(key);
    if (w === undefined) w = new SeqWindow(this.options.dedupeWindow);
    else this.seen.delete(key); // re-inserted below: the map stays ordered by last use
    this.seen.set(key, w);
    // Runs not heard from for a long time (hosts restarted long ago) are forgotten, oldest first.
    if (this.seen.size > MAX_SENDERS) this.seen.delete(this.seen.keys().next().value!);
    return w;
  }
}
