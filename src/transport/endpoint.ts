import { FRAME_HEADER_BYTES, MAX_TOPIC_BYTES, emptyHeader, framePrefixBytes, readHeader, writeHeader, Encoding, type FrameHeader } from './codec/frame.js';
import { PayloadDecoder, PayloadEncoder } from './codec/payload.js';
import { viewsOf, type BufferViews, type RecordFields, type RecordType, type RecordValues } from './codec/records.js';
import {
  ActorCrashed,
  ActorNotFound,
  ActorStopped,
  AskTimeout,
  FrameError,
  MailboxFull,
  MessageTooLarge,
  NoReply,
  RemoteError,
} from './errors.js';
import { STAT_ASKS_SENT, STAT_RECEIVED, STAT_REPLIES, STAT_SENT } from './ring/layout.js';
import { Mailbox } from './ring/mailbox.js';
import type { Ring } from './ring/ring.js';
import { ActorState, BRIDGE_ID, Kind, serializeError, type PeerEntry, type SerializedError, type SubscriptionEntry } from './protocol.js';
import { matchTopic } from './topic.js';

/** Another endpoint as this one sees it: its name and its mailbox block, mapped here. */
export interface Peer {
  readonly id: number;
  readonly name: string;
  readonly mailbox: Mailbox;
  /** Typed-array views of its block, for writing records field by field. */
  readonly views: BufferViews;
  /** For an actor on another host: its name, carried in the frame to the bridge that forwards it. */
  readonly address?: Uint8Array;
}

export interface EndpointConfig {
  id: number;
  name: string;
  mailbox: Mailbox;
  compressAbove: number;
  /** Every Nth message sent carries a timestamp, for the receiver's latency histogram. */
  latencySampleEvery: number;
  /** Called for frames that fail to decode and replies nobody waits for. Must not throw. */
  onBadFrame: (err: unknown) => void;
}

interface PendingAsk {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  target: number;
}

const ROUTE_CACHE_LIMIT = 10_000;
const TOPIC_CACHE_LIMIT = 4_096;
const epochOrigin = performance.timeOrigin;

/** Epoch milliseconds with sub-microsecond resolution, comparable across threads. */
export function nowMs(): number {
  return epochOrigin + performance.now();
}

/**
 * How bytes move between endpoints in one host: the directory of peers, writing frames straight
 * into a peer's ring, topic routing, asks and their replies. The host and every actor worker
 * each hold one; only the ways they drive it differ.
 */
export class Endpoint {
  readonly id: number;
  readonly name: string;
  readonly own: Mailbox;
  readonly header: FrameHeader = emptyHeader();
  private readonly encoder: PayloadEncoder;
  private readonly decoder: PayloadDecoder;
  private readonly onBadFrame: (err: unknown) => void;
  private readonly sampleEvery: number;
  private stampCountdown = 1;
  private readonly byName = new Map<string, Peer>();
  private readonly byId = new Map<number, Peer>();
  /** Actors on other hosts: written into the bridge's ring, with their name as the frame's address. */
  private readonly remote = new Map<string, Peer>();
  private subscriptions: SubscriptionEntry[] = [];
  private readonly routes = new Map<string, Peer[]>();
  private readonly topicBytes = new Map<string, Uint8Array>();
  private readonly textEncoder = new TextEncoder();
  private readonly asks = new Map<number, PendingAsk>();
  private corrSeq = 0;
  /** Replies that found the asker's reply ring full; retried as space frees up. */
  private readonly deferredReplies: Array<() => boolean> = [];

  constructor(cfg: EndpointConfig) {
    this.id = cfg.id;
    this.name = cfg.name;
    this.own = cfg.mailbox;
    this.encoder = new PayloadEncoder(cfg.compressAbove);
    this.decoder = new PayloadDecoder(cfg.mailbox.block);
    this.onBadFrame = cfg.onBadFrame;
    this.sampleEvery = Math.max(1, Math.floor(cfg.latencySampleEvery));
  }

  // ------------------------------------------------------------------ directory

  /** Adds (or re-maps) peers. A peer whose block is unchanged keeps its mapping. */
  setPeers(entries: readonly PeerEntry[]): void {
    for (const e of entries) {
      const known = this.byId.get(e.id);
      if (known !== undefined && known.mailbox.block === e.block && known.name === e.name) continue;
      if (known !== undefined) this.byName.delete(known.name);
      const mailbox = e.id === this.id ? this.own : new Mailbox(e.block, e.messagesBytes, e.repliesBytes);
      const peer: Peer = { id: e.id, name: e.name, mailbox, views: viewsOf(mailbox.block) };
      this.byId.set(e.id, peer);
      this.byName.set(e.name, peer);
    }
    this.routes.clear();
  }

  /** Forgets a peer that stopped or died, and fails every ask still waiting on it. */
  peerDown(id: number, reason: string, crashed: boolean): void {
    const peer = this.byId.get(id);
    if (peer === undefined) return;
    this.byId.delete(id);
    this.byName.delete(peer.name);
    this.routes.clear();
    for (const [corr, ask] of this.asks) {
      if (ask.target !== id) continue;
      this.asks.delete(corr);
      clearTimeout(ask.timer);
      ask.reject(crashed ? new ActorCrashed(peer.name, reason) : new ActorStopped(peer.name));
    }
  }

  peer(name: string): Peer {
    const p = this.byName.get(name) ?? this.remote.get(name);
    if (p === undefined) throw new ActorNotFound(name);
    return p;
  }

  /** The actors other hosts run, reachable through this host's bridge (a local name wins). */
  setRemote(names: readonly string[]): void {
    this.remote.clear();
    const bridge = this.byId.get(BRIDGE_ID);
    if (bridge === undefined) return;
    for (const name of names) {
      if (!this.byName.has(name)) this.remote.set(name, { ...bridge, name, address: this.encodeTopic(name) });
    }
  }

  peerById(id: number): Peer | undefined {
    return this.byId.get(id);
  }

  setSubscriptions(entries: readonly SubscriptionEntry[]): void {
    this.subscriptions = entries.slice();
    this.routes.clear();
  }

  /** The peers subscribed to `topic`, each once. */
  route(topic: string): Peer[] {
    let targets = this.routes.get(topic);
    if (targets !== undefined) return targets;
    targets = [];
    for (const s of this.subscriptions) {
      if (!matchTopic(s.pattern, topic)) continue;
      const p = this.byId.get(s.id);
      if (p !== undefined && !targets.includes(p)) targets.push(p);
    }
    if (this.routes.size >= ROUTE_CACHE_LIMIT) this.routes.clear();
    this.routes.set(topic, targets);
    return targets;
  }

  // ------------------------------------------------------------------ sending

  /**
   * Writes `value` into the target's mailbox. False when it is full (counted there), or a
   * MailboxFull error when the target was spawned with onFull 'throw'.
   */
  send(target: Peer, value: unknown): boolean {
    return this.fullUnlessAllowed(target, this.trySend(target, value));
  }

  /** Writes a binary record field by field into the target's mailbox; full as for `send`. */
  sendRecord<F extends RecordFields>(target: Peer, type: RecordType<F>, values: RecordValues<F>): boolean {
    const ok = this.write(target, target.mailbox.messages, Kind.Send, 0, undefined, Encoding.Record, 0, undefined, type, values);
    return this.fullUnlessAllowed(target, ok);
  }

  /** Like `send`, but waits (up to `timeoutMs`) for room instead of returning false. */
  async sendAsync(target: Peer, value: unknown, timeoutMs: number): Promise<void> {
    const deadline = nowMs() + timeoutMs;
    for (;;) {
      if (this.trySend(target, value)) return;
      const left = deadline - nowMs();
      if (left <= 0) throw new MailboxFull(target.name, target.mailbox.messages.usedBytes());
      await target.mailbox.messages.waitForSpace(left);
    }
  }

  /** Sends an ask; resolves with the reply, rejects with AskTimeout, ActorCrashed, RemoteError... */
  ask(target: Peer, value: unknown, timeoutMs: number): Promise<unknown> {
    return this.askWith(target, timeoutMs, () => this.encoder.encode(value));
  }

  /** An ask whose payload was encoded elsewhere (a record's bytes from another host). */
  askEncoded(target: Peer, encoding: number, bytes: Uint8Array, timeoutMs: number): Promise<unknown> {
    return this.askWith(target, timeoutMs, () => ({ encoding, flags: 0, bytes }));
  }

  private askWith(target: Peer, timeoutMs: number, encode: () => { encoding: number; flags: number; bytes: Uint8Array }): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const corr = this.nextCorr();
      const timer = setTimeout(() => {
        if (this.asks.delete(corr)) reject(new AskTimeout(target.name, timeoutMs));
      }, timeoutMs);
      this.asks.set(corr, { resolve, reject, timer, target: target.id });
      try {
        const enc = encode();
        if (this.write(target, target.mailbox.messages, Kind.Ask, corr, undefined, enc.encoding, enc.flags, enc.bytes)) {
          this.own.addStat(STAT_ASKS_SENT, 1);
          return;
        }
        throw new MailboxFull(target.name, target.mailbox.messages.usedBytes());
      } catch (err) {
        this.asks.delete(corr);
        clearTimeout(timer);
        reject(err);
      }
    });
  }

  pendingAsks(): number {
    return this.asks.size;
  }

  /**
   * Delivers `value` to every subscriber of `topic`. Returns false when at least one subscriber's
   * mailbox was full (that refusal is counted in its mailbox); the others still got it.
   * `exceptSelf`: not to this endpoint (a bridge delivering what came from another host).
   */
  publish(topic: string, value: unknown, options?: { exceptSelf: boolean }): boolean {
    const targets = this.route(topic);
    if (targets.length === 0) return true;
    const enc = this.encoder.encode(value);
    return this.publishBytes(targets, topic, enc.encoding, enc.flags, enc.bytes, options?.exceptSelf === true);
  }

  /** Writes a payload already encoded elsewhere (a record's bytes from another host); false when full. */
  sendEncoded(target: Peer, encoding: number, bytes: Uint8Array): boolean {
    return this.write(target, target.mailbox.messages, Kind.Send, 0, undefined, encoding, 0, bytes);
  }

  /** Publishes a payload already encoded elsewhere, like `publish`. */
  publishEncoded(topic: string, encoding: number, bytes: Uint8Array, options?: { exceptSelf: boolean }): boolean {
    const targets = this.route(topic);
    return targets.length === 0 || this.publishBytes(targets, topic, encoding, 0, bytes, options?.exceptSelf === true);
  }

  private publishBytes(targets: readonly Peer[], topic: string, encoding: number, flags: number, bytes: Uint8Array, exceptSelf: boolean): boolean {
    const t = this.encodeTopic(topic);
    let all = true;
    for (const target of targets) {
      if (exceptSelf && target.id === this.id) continue;
      if (!this.writeIfRunning(target, t, encoding, flags, bytes)) all = false;
    }
    return all;
  }

  /** Names of the endpoints of this host (not the remote ones). */
  localNames(): string[] {
    return [...this.byName.keys()];
  }

  /** The topic patterns subscribed on this host by endpoints other than `id`. */
  patternsExcept(id: number): string[] {
    return [...new Set(this.subscriptions.filter((s) => s.id !== id).map((s) => s.pattern))];
  }

  publishRecord<F extends RecordFields>(topic: string, type: RecordType<F>, values: RecordValues<F>): boolean {
    const targets = this.route(topic);
    const t = targets.length === 0 ? undefined : this.encodeTopic(topic);
    let all = true;
    for (const target of targets) {
      if (!this.writeIfRunning(target, t, Encoding.Record, 0, undefined, type, values)) all = false;
    }
    return all;
  }

  /** Answers the ask `corr` of endpoint `to`. A full reply ring defers the reply, never drops it. */
  reply(to: number, corr: number, value: unknown): void {
    const enc = this.encoder.encode(value);
    this.replyFrame(to, corr, Kind.Reply, enc.encoding, enc.flags, enc.bytes);
  }

  replyError(to: number, corr: number, err: unknown): void {
    const enc = this.encoder.encode(serializeError(err));
    this.replyFrame(to, corr, Kind.ReplyError, enc.encoding, enc.flags, enc.bytes);
  }

  /** True while replies wait for room in an asker's reply ring: the owner must not sleep. */
  hasDeferredReplies(): boolean {
    return this.deferredReplies.length > 0;
  }

  /** Retries replies deferred for lack of room; returns how many are still waiting. */
  flushDeferredReplies(): number {
    while (this.deferredReplies.length > 0 && this.deferredReplies[0]!()) this.deferredReplies.shift();
    return this.deferredReplies.length;
  }

  // ------------------------------------------------------------------ receiving

  /** Reads and checks the header of the frame at `byte` of this endpoint's block. */
  readFrame(byte: number, frameBytes: number): FrameHeader {
    const h = readHeader(this.own.dv, byte, frameBytes, this.header);
    this.own.addStat(STAT_RECEIVED, 1);
    if (h.sentAt !== 0) this.own.recordLatencyNs((nowMs() - h.sentAt) * 1e6);
    return h;
  }

  decode(h: FrameHeader): unknown {
    return this.decoder.decode(h);
  }

  topicOf(h: FrameHeader): string {
    return h.topicBytes === 0 ? '' : Buffer.from(this.own.block, h.topicByte, h.topicBytes).toString('utf8');
  }

  /** Reads every reply waiting in this endpoint's reply ring and settles the asks they answer. */
  drainReplies(max = Infinity): number {
    return this.own.replies.drain(this.onReply, max);
  }

  private readonly onReply = (byte: number, frameBytes: number): void => {
    try {
      const h = readHeader(this.own.dv, byte, frameBytes, this.header);
      if (h.kind !== Kind.Reply && h.kind !== Kind.ReplyError) throw new FrameError(`kind ${h.kind} in the reply ring`);
      this.own.addStat(STAT_REPLIES, 1);
      const ask = this.asks.get(h.corr);
      if (ask === undefined) return; // its ask timed out (and was rejected): nobody waits
      this.asks.delete(h.corr);
      clearTimeout(ask.timer);
      let value = this.decoder.decode(h);
      if (h.encoding === Encoding.Record) value = (value as { toObject(): unknown }).toObject();
      if (h.kind === Kind.Reply) ask.resolve(value);
      else ask.reject(remoteFailure(this.byId.get(ask.target)?.name ?? `#${ask.target}`, value as SerializedError));
    } catch (err) {
      this.onBadFrame(err);
    }
  };

  // ------------------------------------------------------------------ internals

  private trySend(target: Peer, value: unknown): boolean {
    const enc = this.encoder.encode(value);
    return this.write(target, target.mailbox.messages, Kind.Send, 0, undefined, enc.encoding, enc.flags, enc.bytes);
  }

  /** The onFull option of the target applies to plain sends only: asks, replies and publishes have their own answer to "full". */
  private fullUnlessAllowed(target: Peer, written: boolean): boolean {
    if (!written && target.mailbox.onFullThrows()) throw new MailboxFull(target.name, target.mailbox.messages.usedBytes());
    return written;
  }

  private writeIfRunning(
    target: Peer,
    topic: Uint8Array | undefined,
    encoding: number,
    flags: number,
    payload: Uint8Array | undefined,
    type?: RecordType<RecordFields>,
    values?: RecordValues<RecordFields>,
  ): boolean {
    try {
      return this.write(target, target.mailbox.messages, Kind.Publish, 0, topic, encoding, flags, payload, type, values);
    } catch (err) {
      if (err instanceof ActorStopped) return true; // it is leaving: a publish is not addressed to it
      throw err;
    }
  }

  private replyFrame(to: number, corr: number, kind: number, encoding: number, flags: number, bytes: Uint8Array): void {
    const target = this.byId.get(to);
    if (target === undefined) return; // the asker is gone; its asks were failed when it left
    const ring = target.mailbox.replies;
    const attempt = (payload: Uint8Array) => (): boolean => {
      try {
        return this.write(target, ring, kind, corr, undefined, encoding, flags, payload);
      } catch (err) {
        if (err instanceof MessageTooLarge) {
          // The answer cannot fit: tell the asker why instead of leaving it to time out.
          const e = this.encoder.encode(serializeError(err));
          return this.write(target, ring, Kind.ReplyError, corr, undefined, e.encoding, e.flags, e.bytes);
        }
        if (err instanceof ActorStopped) return true; // the asker stopped: nobody to answer
        throw err;
      }
    };
    if (this.deferredReplies.length === 0 && attempt(bytes)()) return;
    this.deferredReplies.push(attempt(bytes.slice())); // the encoder reuses its buffer: keep a copy
  }

  private write(
    target: Peer,
    ring: Ring,
    kind: number,
    corr: number,
    topic: Uint8Array | undefined,
    encoding: number,
    flags: number,
    payload: Uint8Array | undefined,
    type?: RecordType<RecordFields>,
    values?: RecordValues<RecordFields>,
  ): boolean {
    if (topic === undefined && ring === target.mailbox.messages) topic = target.address;
    const topicLen = topic === undefined ? 0 : topic.length;
    const prefix = framePrefixBytes(topicLen);
    const payloadBytes = type !== undefined ? type.payloadBytes : payload!.length;
    const frameBytes = prefix + payloadBytes;
    if (frameBytes > ring.maxPayload) throw new MessageTooLarge(target.name, frameBytes, ring.maxPayload);
    const mb = target.mailbox;
    if (mb.state() === ActorState.Stopped) throw new ActorStopped(target.name);
    const byte = ring.claim(frameBytes);
    if (byte < 0) {
      ring.countOverflow();
      return false;
    }
    writeHeader(mb.dv, byte, kind, flags, encoding, payloadBytes, corr, this.id, topicLen, this.stamp());
    if (topic !== undefined) ring.u8.set(topic, byte + FRAME_HEADER_BYTES);
    if (type !== undefined) type.write(target.views, byte + prefix, values!);
    else if (payloadBytes > 0) ring.u8.set(payload!, byte + prefix);
    // Counted before publishing: whoever reads the message (or its reply) then sees the count too.
    this.own.addStat(STAT_SENT, 1);
    ring.publish(byte, frameBytes);
    mb.doorbell.ring();
    return true;
  }

  private stamp(): number {
    if (--this.stampCountdown !== 0) return 0;
    this.stampCountdown = this.sampleEvery;
    return nowMs();
  }

  private nextCorr(): number {
    this.corrSeq = (this.corrSeq + 1) >>> 0 || 1;
    return this.corrSeq;
  }

  private encodeTopic(topic: string): Uint8Array {
    let bytes = this.topicBytes.get(topic);
    if (bytes === undefined) {
      bytes = this.textEncoder.encode(topic);
      if (bytes.length > MAX_TOPIC_BYTES) throw new FrameError(`topic of ${bytes.length} bytes (limit ${MAX_TOPIC_BYTES})`);
      if (this.topicBytes.size >= TOPIC_CACHE_LIMIT) this.topicBytes.clear();
      this.topicBytes.set(topic, bytes);
    }
    return bytes;
  }
}

/**
 * The error an asker sees for a ReplyError: NoReply and ActorCrashed (the runtime answers for an
 * actor whose message was dead-lettered; the message is the reason) as themselves, anything else
 * as a RemoteError.
 */
function remoteFailure(actor: string, remote: SerializedError): Error {
  if (remote.code === 'NoReply') return new NoReply(actor);
  if (remote.code === 'ActorCrashed') return new ActorCrashed(actor, remote.message);
  return new RemoteError(actor, remote);
}
