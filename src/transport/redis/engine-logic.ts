import type { Cluster, Redis } from 'ioredis';
import { FrameError } from '../errors.js';
import { decodeBusFrame, type BusFrame } from './bus-frame.js';

/**
 * One host's inbox on the engine-logic bus: a Redis stream read by a consumer group, so that an
 * entry is delivered at least once (XADD, XREADGROUP, XACK; XAUTOCLAIM takes over the entries of a
 * consumer that died), bounded in length (XADD MAXLEN ~), and handled once per idempotency key by
 * this consumer: a redelivered entry (Redis restarted, a resend after a lost reply) is recognised
 * and acknowledged without running the handler again.
 *
 * Run the engine-logic Redis with `appendonly yes` and `appendfsync always` (or everysec, and
 * accept up to a second's loss on a crash of Redis itself): without persistence a restarted Redis
 * has forgotten its streams and groups.
 */
export interface EngineLogicOptions {
  /** The stream key (namespaced by the caller: `<cluster>:el:<host>`). */
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
}

/** How soon entries left pending ('later') are read again. */
const RETRY_DEFERRED_MS = 250;
/** How many sending runs (host processes) the consumer remembers the recent sequence numbers of. */
const MAX_SENDERS = 64;

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
  /** Entries left pending with some of their messages handled: which ones, until the entry is acknowledged. */
  private readonly partial = new Map<string, Uint8Array>();
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
     * Handles messages `[from, to)` of a frame (none of them handled before): at least the first,
     * as many as it can take at once, and returns how many (the next call gets the rest). Each
     * idempotency key is handled once; the entry is acknowledged when all its messages are.
     * 'later': the first cannot be delivered yet (its actor is not there yet): the entry stays
     * pending and is read again from the backlog in a moment.
     */
    private readonly handle: (frame: BusFrame, from: number, to: number) => number | 'later' | Promise<number | 'later'>,
    /** A frame that failed to decode: reported (and acknowledged, so it does not come back). */
    private readonly onRejected: (entryId: string, err: FrameError) => void,
    /** A Redis error while reading; the consumer retries after a pause. */
    private readonly onRedisError: (err: Error) => void,
  ) {
    onConnectionClose(redis, () => this.connectionEpoch++);
  }

  /** Creates the group (and the stream) if needed, then reads until stop(). */
  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Stops reading. What it had handled of entries it leaves pending (messages it could not hand
   * over before the stop) is left in Redis for this host's next process, which then hands out only
   * the rest: a graceful restart hands each message once. (A process that dies leaves nothing: its
   * next one handles those entries whole, at least once.)
   */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.saveProgress().catch((err: Error) => this.onRedisError(err));
  }

  private get progressKey(): string {
    return `${this.options.stream}:progress`;
  }

  private async saveProgress(): Promise<void> {
    const fields: Array<string | Buffer> = [];
    for (const [id, handled] of this.partial) if (handled.includes(1)) fields.push(id, Buffer.from(handled));
    if (fields.length === 0) return;
    await this.redis.hset(this.progressKey, ...fields);
    await this.redis.pexpire(this.progressKey, this.options.progressTtlMs);
  }

  /** Takes over the progress the previous process of this host left (once, before reading anything). */
  private async loadProgress(): Promise<void> {
    const left = await this.redis.hgetallBuffer(this.progressKey);
    for (const [id, handled] of Object.entries(left)) this.partial.set(id, new Uint8Array(handled));
    if (Object.keys(left).length > 0) await this.redis.del(this.progressKey);
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
    await this.handleEntries(streamEntries(await this.read('XREADGROUP', 'GROUP', o.group, o.consumer, 'COUNT', 256, 'BLOCK', 200, 'STREAMS', o.stream, '>')));
  }

  /** Everything pending on this consumer (delivered, not acknowledged), page by page. */
  private async readBacklog(): Promise<void> {
    const o = this.options;
    this.waiting.clear(); // the pending list comes in order: what is still not deliverable is found again
    let after = '0';
    for (;;) {
      const entries = streamEntries(await this.read('XREADGROUP', 'GROUP', o.group, o.consumer, 'COUNT', 256, 'STREAMS', o.stream, after));
      await this.handleEntries(entries);
      if (entries.length < 256) return;
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
      const reply = (await this.read('XAUTOCLAIM', o.stream, o.group, o.consumer, minIdleMs, cursor, 'COUNT', 256)) as [Buffer, Entry[]];
      const entries = reply[1] ?? [];
      this.counters.claimed += entries.length;
      await this.handleEntries(entries);
      cursor = reply[0]?.toString() ?? '0-0';
    } while (cursor !== '0-0' && this.running);
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
      const seen = this.windowOf(frame);
      const list = frame.entries;
      // What this consumer already handled of this entry, if it left it pending before (a message
      // for an actor not there yet): not handled twice, however far the dedupe window moved since.
      const known = this.partial.get(id);
      const handled = known !== undefined && known.length === list.length ? known : new Uint8Array(list.length);
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
        let outcome = this.waiting.has(address) ? 'later' : this.handle(frame, i, to);
        if (typeof outcome === 'object') outcome = await outcome; // waits only when it must
        if (outcome === 'later') {
          this.waiting.add(address);
          complete = false;
          i++;
          continue;
        }
        for (let k = i; k < i + outcome; k++) {
          seen.add(list[k]!.seq);
          handled[k] = 1;
        }
        this.counters.handled += outcome;
        i += outcome;
      }
      if (complete) {
        ids.push(id);
        this.partial.delete(id);
      } else {
        this.partial.set(id, handled);
        this.deferredAt ||= performance.now();
      }
    }
    if (ids.length > 0) await this.redis.xack(this.options.stream, this.options.group, ...ids);
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

/** The last `size` sequence numbers remembered, in a ring: O(1) however many came. */
class SeqWindow {
  private readonly set = new Set<number>();
  private readonly order: number[] = [];
  private oldest = 0;

  constructor(private readonly size: number) {}

  has(seq: number): boolean {
    return this.set.has(seq);
  }

  add(seq: number): void {
    if (this.order.length < this.size) this.order.push(seq);
    else {
      this.set.delete(this.order[this.oldest]!);
      this.order[this.oldest] = seq;
      this.oldest = (this.oldest + 1) % this.size;
    }
    this.set.add(seq);
  }
}

/** Calls `bump` whenever a connection to Redis closes (each node's, for a Cluster). */
function onConnectionClose(redis: Redis | Cluster, bump: () => void): void {
  redis.on('close', bump);
  if (redis.isCluster) redis.on('+node', (node: Redis) => node.on('close', bump));
}

/** A stream entry: its id and its fields (name, value, name, value...), null once trimmed. */
type Entry = [Buffer, Buffer[] | null];

/** The entries of a one-stream XREADGROUP reply, in RESP2 ([[key, entries]]) or RESP3 ([key, entries]) shape. */
function streamEntries(reply: unknown): Entry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const first = reply[0] as unknown;
  const entries = Array.isArray(first) ? (first as unknown[])[1] : reply[1];
  return Array.isArray(entries) ? (entries as Entry[]) : [];
}

function fieldValue(fields: Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.toString() === name) return fields[i + 1];
  return undefined;
}
