// The WebSocket stream (GET /stream): clients subscribe to topic patterns and get every message
// published on a matching topic as a `{ topic, data }` text frame; `$snapshot` gets the snapshot
// every snapshotIntervalMs. One system subscription per distinct pattern serves every client of
// it. A client that reads slower than the host publishes never makes the host keep more than
// maxBufferedBytes (plus one message) for it: beyond that its messages are dropped and counted,
// and it is told how many once its buffer has drained.
import type { System, Unsubscribe } from '../runtime/system.js';
import { matchTopic, patternProblem } from '../transport/topic.js';
import { describeGiven } from './errors.js';
import { toJson } from './json.js';
import type { Snapshot } from './snapshot.js';

/** The pattern that streams the gateway's snapshot rather than a topic. */
export const SNAPSHOT_PATTERN = '$snapshot';
/** A client may hold this many patterns: what one client makes the hub keep stays bounded. */
export const MAX_PATTERNS_PER_CLIENT = 256;
/** How often a client that had messages dropped is looked at until its buffer has drained below half. */
const DRAIN_CHECK_MS = 20;
const OPEN = 1; // WebSocket.OPEN

/** What the hub needs of a WebSocket (ws's, as @fastify/websocket hands it over). */
export interface StreamSocket {
  readonly readyState: number;
  /** Bytes queued for this socket and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  send(text: string): void;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

interface Client {
  readonly socket: StreamSocket;
  readonly patterns: Set<string>;
  sent: number;
  dropped: number;
  /** Dropped since the client was last told. */
  untold: number;
  drainTimer: ReturnType<typeof setInterval> | undefined;
}

interface Subscription {
  /** Order of creation, which is the order the host calls the handlers in (see deliver). */
  readonly seq: number;
  readonly clients: Set<Client>;
  readonly off: Unsubscribe | undefined;
}

export interface StreamHubDeps {
  system: System;
  maxBufferedBytes: number;
  snapshotIntervalMs: number;
  snapshot(): Snapshot;
}

export interface StreamCounts {
  clients: number;
  /** `{ topic, data }` frames sent, to all clients. */
  sent: number;
  /** Frames dropped because their client's buffer was over maxBufferedBytes. */
  dropped: number;
  /** The most bytes one client had buffered right after a send (bounded by maxBufferedBytes + one message). */
  maxBuffered: number;
  /** Distinct patterns subscribed by the clients: one system subscription each ($snapshot: a timer). */
  subscriptions: number;
}

export class StreamHub {
  private readonly clients = new Set<Client>();
  private readonly subs = new Map<string, Subscription>();
  private nextSeq = 0;
  private snapshotTimer: ReturnType<typeof setInterval> | undefined;
  private sent = 0;
  private dropped = 0;
  private maxBuffered = 0;
  private closed = false;

  constructor(private readonly deps: StreamHubDeps) {}

  counts(): StreamCounts {
    return { clients: this.clients.size, sent: this.sent, dropped: this.dropped, maxBuffered: this.maxBuffered, subscriptions: this.subs.size };
  }

  /** A client connected. */
  open(socket: StreamSocket): void {
    const client: Client = { socket, patterns: new Set(), sent: 0, dropped: 0, untold: 0, drainTimer: undefined };
    this.clients.add(client);
    socket.on('message', (data, isBinary) => this.onFrame(client, data, isBinary));
    socket.on('close', () => this.leave(client));
    socket.on('error', () => this.leave(client)); // ws closes the socket after an error; nothing to report to anyone
  }

  /** Ends every system subscription and timer; the server closes the sockets. */
  close(): void {
    this.closed = true;
    for (const c of [...this.clients]) this.leave(c);
    this.stopSnapshots();
  }

  // ------------------------------------------------------------------ from clients

  private onFrame(client: Client, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch (err) {
      this.control(client, { error: 'InvalidJson', message: `a ${isBinary ? 'binary' : 'text'} frame that is not JSON: ${(err as Error).message}` });
      return;
    }
    const op = (frame as { op?: unknown } | null)?.op;
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame) || (op !== 'subscribe' && op !== 'unsubscribe')) {
      this.control(client, { error: 'UnknownOp', message: `a frame must be { "op": "subscribe" | "unsubscribe", "patterns": [...] }; got op ${describeGiven(op)}` });
      return;
    }
    const patterns = (frame as { patterns?: unknown }).patterns;
    const problem = patternsProblem(patterns);
    if (problem !== undefined) {
      this.control(client, { error: 'InvalidField', message: problem });
      return;
    }
    if (op === 'subscribe') this.subscribe(client, patterns as string[]);
    else this.unsubscribe(client, patterns as string[]);
  }

  private subscribe(client: Client, patterns: string[]): void {
    const added = patterns.filter((p) => !client.patterns.has(p));
    const distinct = [...new Set(added)];
    if (client.patterns.size + distinct.length > MAX_PATTERNS_PER_CLIENT) {
      this.control(client, { error: 'TooManyPatterns', message: `a client may subscribe at most ${MAX_PATTERNS_PER_CLIENT} patterns; it has ${client.patterns.size} and asked for ${distinct.length} more` });
      return;
    }
    const ready: Promise<void>[] = [];
    const taken = patterns.filter((p) => client.patterns.has(p)); // already held: acknowledged again
    for (const pattern of distinct) {
      let sub = this.subs.get(pattern);
      if (sub === undefined) {
        try {
          sub = this.createSubscription(pattern);
        } catch (err) {
          this.control(client, { error: (err as { code?: string }).code ?? 'SubscribeFailed', message: (err as Error).message });
          continue;
        }
      }
      sub.clients.add(client);
      client.patterns.add(pattern);
      taken.push(pattern);
      if (sub.off !== undefined) ready.push(sub.off.ready);
    }
    if (taken.length === 0) return; // each one failed, and the client was told why
    // Told once every actor routes the patterns here: from then on nothing published is missed.
    void Promise.all(ready).then(
      () => {
        this.control(client, { type: 'subscribed', patterns: taken });
        if (distinct.includes(SNAPSHOT_PATTERN)) this.sendSnapshotTo([client]);
      },
      () => {}, // the system shut down meanwhile
    );
  }

  private unsubscribe(client: Client, patterns: string[]): void {
    for (const pattern of patterns) this.drop(client, pattern);
    this.control(client, { type: 'unsubscribed', patterns });
  }

  private leave(client: Client): void {
    if (!this.clients.delete(client)) return;
    for (const pattern of [...client.patterns]) this.drop(client, pattern);
    if (client.drainTimer !== undefined) clearInterval(client.drainTimer);
  }

  /** The client leaves `pattern`; the last one out ends its system subscription. */
  private drop(client: Client, pattern: string): void {
    if (!client.patterns.delete(pattern)) return;
    const sub = this.subs.get(pattern);
    if (sub === undefined) return;
    sub.clients.delete(client);
    if (sub.clients.size > 0) return;
    this.subs.delete(pattern);
    sub.off?.();
    if (pattern === SNAPSHOT_PATTERN) this.stopSnapshots();
  }

  private createSubscription(pattern: string): Subscription {
    const seq = this.nextSeq++;
    const clients = new Set<Client>();
    let off: Unsubscribe | undefined;
    if (pattern === SNAPSHOT_PATTERN) this.startSnapshots();
    else off = this.deps.system.subscribe(pattern, (msg, topic) => this.deliver(seq, clients, msg, topic));
    const sub = { seq, clients, off };
    this.subs.set(pattern, sub);
    return sub;
  }

  // ------------------------------------------------------------------ to clients

  /**
   * A message published on `topic`, matched by the subscription `seq`. The host calls the handlers
   * of every matching subscription, oldest first, for each message; a client holding two patterns
   * that match gets the message once, from the oldest of them.
   */
  private deliver(seq: number, clients: Set<Client>, msg: unknown, topic: string): void {
    let text: string | undefined; // made at most once, and only if someone takes it
    for (const c of clients) {
      if (this.takenEarlier(c, seq, topic)) continue;
      text ??= toJson({ topic, data: msg }); // now: a record view is valid only during this call
      this.send(c, text);
    }
  }

  private takenEarlier(c: Client, seq: number, topic: string): boolean {
    if (c.patterns.size === 1) return false;
    for (const p of c.patterns) {
      const other = this.subs.get(p);
      if (other !== undefined && other.seq < seq && p !== SNAPSHOT_PATTERN && matchTopic(p, topic)) return true;
    }
    return false;
  }

  /** Sends a data frame, or drops it when the client's buffer is already over the limit. */
  private send(c: Client, text: string): void {
    const s = c.socket;
    if (s.readyState !== OPEN) return;
    if (c.untold > 0) this.tellDropped(c);
    if (s.bufferedAmount > this.deps.maxBufferedBytes) {
      c.dropped++;
      c.untold++;
      this.dropped++;
      c.drainTimer ??= setInterval(() => this.tellDropped(c), DRAIN_CHECK_MS).unref();
      return;
    }
    s.send(text);
    c.sent++;
    this.sent++;
    if (s.bufferedAmount > this.maxBuffered) this.maxBuffered = s.bufferedAmount;
  }

  /** Once its buffer is below half the limit, a client that had messages dropped is told how many. */
  private tellDropped(c: Client): void {
    if (c.untold === 0 || c.socket.readyState !== OPEN || c.socket.bufferedAmount >= this.deps.maxBufferedBytes / 2) return;
    c.socket.send(JSON.stringify({ type: 'dropped', count: c.untold, total: c.dropped }));
    c.untold = 0;
    if (c.drainTimer !== undefined) clearInterval(c.drainTimer);
    c.drainTimer = undefined;
  }

  /** Acknowledgements and errors: few and small, never dropped. */
  private control(c: Client, frame: Record<string, unknown>): void {
    if (c.socket.readyState === OPEN) c.socket.send(JSON.stringify(frame));
  }

  private startSnapshots(): void {
    this.snapshotTimer ??= setInterval(() => {
      const sub = this.subs.get(SNAPSHOT_PATTERN);
      if (sub !== undefined) this.sendSnapshotTo(sub.clients);
    }, this.deps.snapshotIntervalMs).unref();
  }

  private stopSnapshots(): void {
    if (this.snapshotTimer !== undefined) clearInterval(this.snapshotTimer);
    this.snapshotTimer = undefined;
  }

  private sendSnapshotTo(clients: Iterable<Client>): void {
    if (this.closed) return;
    let text: string;
    try {
      text = toJson({ topic: SNAPSHOT_PATTERN, data: this.deps.snapshot() });
    } catch {
      return; // the system is shut down: nothing to show
    }
    for (const c of clients) this.send(c, text);
  }
}

/** Why `patterns` is not a list of usable patterns, or undefined. */
function patternsProblem(patterns: unknown): string | undefined {
  if (!Array.isArray(patterns) || patterns.length === 0) return `field 'patterns' must be a non-empty array of topic patterns (strings); got ${describeGiven(patterns)}`;
  for (let i = 0; i < patterns.length; i++) {
    const problem = patternProblem(patterns[i]);
    if (problem !== undefined) return `field 'patterns[${i}]': ${problem}`;
  }
  return undefined;
}
