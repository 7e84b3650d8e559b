import { emptyHeader, Encoding, framePayload, frameTopic, readHeader, type FrameHeader } from '../codec/frame.js';
import { PayloadDecoder } from '../codec/payload.js';
import type { PayloadSource } from '../codec/payload-stage.js';
import type { RecordFields, RecordType, RecordValues } from '../codec/records.js';
import { ActorCrashed, ActorStopped, FrameError, MailboxFull, MessageTooLarge, NoReply, RemoteError } from '../errors.js';
import { BRIDGE_ID, Kind, serializeError, type PeerEntry, type SerializedError, type SubscriptionEntry } from '../protocol.js';
import { STAT_ASKS_SENT, STAT_RECEIVED, STAT_REPLIES } from '../ring/layout.js';
import type { Mailbox } from '../ring/mailbox.js';
import { AskTable, type AskWaiter } from './asks.js';
import { Directory, type Peer, type Route } from './directory.js';
import { nowMs, Outbox, type Payload } from './outbox.js';

export type { Peer } from './directory.js';
export type { Payload } from './outbox.js';
export type { AskWaiter } from './asks.js';
export type { PayloadSource } from '../codec/payload-stage.js';
export { nowMs } from './outbox.js';

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

/**
 * One endpoint of a host (an actor, the host thread, the bridge): how it sends, asks, publishes and
 * answers, and how it reads what comes. Values are encoded here once, into a payload that travels
 * as it is (to this host's rings, or through the bridge to another host's). It stands on three
 * parts: the directory (who is where), the outbox (frames into other rings), the ask table.
 */
export class Endpoint {
  readonly id: number;
  readonly name: string;
  readonly own: Mailbox;
  readonly directory: Directory;
  private readonly asks = new AskTable();
  private readonly out: Outbox;
  private readonly decoder: PayloadDecoder;
  private readonly header: FrameHeader = emptyHeader();
  private readonly onBadFrame: (err: unknown) => void;

  constructor(cfg: EndpointConfig) {
    this.id = cfg.id;
    this.name = cfg.name;
    this.own = cfg.mailbox;
    this.directory = new Directory(cfg.id, cfg.mailbox);
    this.out = new Outbox(cfg.id, cfg.mailbox, cfg.compressAbove, cfg.latencySampleEvery);
    this.decoder = new PayloadDecoder(cfg.mailbox.block);
    this.onBadFrame = cfg.onBadFrame;
  }

  // ------------------------------------------------------------------ directory

  setPeers(entries: readonly PeerEntry[]): void {
    this.directory.setPeers(entries);
  }

  /** Forgets a peer that stopped or died, and fails every ask still waiting on it. */
  peerDown(id: number, reason: string, crashed: boolean): void {
    const peer = this.directory.remove(id);
    if (peer === undefined) return;
    this.asks.failTarget(id, () => (crashed ? new ActorCrashed(peer.name, reason) : new ActorStopped(peer.name)));
  }

  peer(name: string): Peer {
    return this.directory.peer(name);
  }

  peerById(id: number): Peer | undefined {
    return this.directory.peerById(id);
  }

  /** The actors other hosts run, reachable through this host's bridge (a local name wins). */
  setRemote(names: readonly string[]): void {
    this.directory.setRemote(names, BRIDGE_ID);
  }

  setSubscriptions(entries: readonly SubscriptionEntry[]): void {
    this.directory.setSubscriptions(entries);
  }

  // ------------------------------------------------------------------ sending

  /** Encodes a value as it would travel; the result is valid until this endpoint encodes again. */
  encode(value: unknown): Payload {
    return this.out.encode(value);
  }

  /**
   * Writes `value` into the target's mailbox. False when it is full (counted there), or a
   * MailboxFull error when the target was spawned with onFull 'throw'.
   */
  send(target: Peer, value: unknown): boolean {
    return this.fullUnlessAllowed(target, this.out.message(target, Kind.Send, 0, undefined, this.out.encode(value)));
  }

  /** Writes payloads `[from, from+count)` of `source`, encoded elsewhere, as runs of frames; returns how many were written. */
  sendPayloads(target: Peer, source: PayloadSource, from: number, count: number): number {
    return this.out.payloadRun(target, Kind.Send, undefined, source, from, count);
  }

  /** Writes a binary record field by field into the target's mailbox; full as for `send`. */
  sendRecord<F extends RecordFields>(target: Peer, type: RecordType<F>, values: RecordValues<F>): boolean {
    return this.fullUnlessAllowed(target, this.out.record(target, Kind.Send, undefined, type, values));
  }

  /**
   * Writes values as runs of frames (one claim per run). Returns how many were written, from the
   * first: fewer than given when the mailbox filled up (the rest are not sent; onFull does not apply).
   */
  sendBatch(target: Peer, values: readonly unknown[]): number {
    this.out.stageValues(values);
    return this.out.writeStaged(target, Kind.Send, undefined);
  }

  /** Writes records of one type as runs of frames. Returns how many were written, as `sendBatch`. */
  sendRecordBatch<F extends RecordFields>(target: Peer, type: RecordType<F>, values: readonly RecordValues<F>[]): number {
    return this.out.recordRun(target, Kind.Send, undefined, type, values);
  }

  /**
   * Like `send`, but waits (up to `timeoutMs`) for room instead of returning false. With `live`, a
   * wait after which it returns false ends there: nothing is written and the promise never settles
   * (its caller's incarnation is gone).
   */
  async sendAsync(target: Peer, value: unknown, timeoutMs: number, live?: () => boolean): Promise<void> {
    const deadline = nowMs() + timeoutMs;
    for (;;) {
      if (this.out.message(target, Kind.Send, 0, undefined, this.out.encode(value))) return;
      const left = deadline - nowMs();
      if (left <= 0) throw new MailboxFull(target.name, target.mailbox.messages.usedBytes());
      await target.mailbox.messages.waitForSpace(left);
      if (live !== undefined && !live()) return new Promise<void>(() => {});
    }
  }

  /** Sends an ask; resolves with the reply, rejects with AskTimeout, ActorCrashed, RemoteError... */
  ask(target: Peer, value: unknown, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.askPayload(target, () => this.out.encode(value), timeoutMs, {
        answered: (h) => {
          try {
            let answer = this.decoder.decode(h);
            if (h.encoding === Encoding.Record) answer = (answer as { toObject(): unknown }).toObject();
            if (h.kind === Kind.Reply) resolve(answer);
            else reject(remoteFailure(target.name, answer as SerializedError));
          } catch (err) {
            reject(err);
            this.onBadFrame(err);
          }
        },
        failed: reject,
      });
    });
  }

  /**
   * Sends an ask whose payload `encode` gives (encoded here, or as another host sent it); `waiter`
   * gets the reply frame as it comes (a bridge forwards it unopened) or the reason none will.
   */
  askPayload(target: Peer, encode: () => Payload, timeoutMs: number, waiter: AskWaiter): void {
    const corr = this.asks.open(target.id, target.name, timeoutMs, waiter);
    try {
      if (this.out.message(target, Kind.Ask, corr, undefined, encode())) {
        this.own.addStat(STAT_ASKS_SENT, 1);
        return;
      }
      this.asks.fail(corr, new MailboxFull(target.name, target.mailbox.messages.usedBytes()));
    } catch (err) {
      this.asks.fail(corr, err instanceof Error ? err : new Error(String(err)));
    }
  }

  pendingAsks(): number {
    return this.asks.size;
  }

  /** Forgets the asks in flight without settling them (see AskTable.abandonAll). */
  abandonAsks(): void {
    this.asks.abandonAll();
  }

  /**
   * Delivers `value` to every subscriber of `topic`. Returns false when at least one subscriber's
   * mailbox was full (that refusal is counted in its mailbox); the others still got it.
   * `exceptSelf`: not to this endpoint (a bridge delivering what came from another host).
   */
  publish(topic: string, value: unknown, exceptSelf = false): boolean {
    const route = this.directory.route(topic);
    return route.targets.length === 0 || this.publishTo(route, this.out.encode(value), exceptSelf);
  }

  /** Publishes a payload encoded elsewhere (another host's) as it is, like `publish`. */
  publishPayload(topic: string, payload: Payload, exceptSelf = false): boolean {
    return this.publishTo(this.directory.route(topic), payload, exceptSelf);
  }

  private publishTo(route: Route, payload: Payload, exceptSelf: boolean): boolean {
    let all = true;
    for (const target of route.targets) {
      if (exceptSelf && target.id === this.id) continue;
      try {
        if (!this.out.message(target, Kind.Publish, 0, route.topic, payload)) all = false;
      } catch (err) {
        if (!(err instanceof ActorStopped)) throw err; // it is leaving: a publish is not addressed to it
      }
    }
    return all;
  }

  /**
   * Publishes payloads `[from, from+count)` of `source`, encoded elsewhere (another host's), as
   * runs of frames: one claim per subscriber and run. Returns how many of them some subscriber
   * could not take (its mailbox was full: counted there); 0 when every one got all.
   */
  publishPayloads(topic: string, source: PayloadSource, from: number, count: number, exceptSelf = false): number {
    let lost = 0;
    this.eachSubscriber(topic, exceptSelf, (target, t) => {
      let written = 0;
      try {
        written = this.out.payloadRun(target, Kind.Publish, t, source, from, count);
      } catch (err) {
        if (!(err instanceof MessageTooLarge)) throw err; // too large for this subscriber's ring: lost, and counted
      }
      lost = Math.max(lost, count - written);
      return true;
    });
    return lost;
  }

  publishRecord<F extends RecordFields>(topic: string, type: RecordType<F>, values: RecordValues<F>): boolean {
    const route = this.directory.route(topic);
    let all = true;
    for (const target of route.targets) {
      try {
        if (!this.out.record(target, Kind.Publish, route.topic, type, values)) all = false;
      } catch (err) {
        if (!(err instanceof ActorStopped)) throw err; // it is leaving: a publish is not addressed to it
      }
    }
    return all;
  }

  /** Publishes values as runs of frames to each subscriber; false when one of them could not take them all. */
  publishBatch(topic: string, values: readonly unknown[]): boolean {
    if (this.directory.route(topic).targets.length === 0) return true;
    this.out.stageValues(values);
    return this.eachSubscriber(topic, false, (target, t) => this.out.writeStaged(target, Kind.Publish, t) === values.length);
  }

  publishRecordBatch<F extends RecordFields>(topic: string, type: RecordType<F>, values: readonly RecordValues<F>[]): boolean {
    return this.eachSubscriber(topic, false, (target, t) => this.out.recordRun(target, Kind.Publish, t, type, values) === values.length);
  }

  /** Answers the ask `corr` of endpoint `to`. A full reply ring defers the reply, never drops it. */
  reply(to: number, corr: number, value: unknown): void {
    this.replyPayload(to, corr, Kind.Reply, this.out.encode(value));
  }

  replyError(to: number, corr: number, err: unknown): void {
    this.replyPayload(to, corr, Kind.ReplyError, this.out.encode(serializeError(err)));
  }

  /** Answers with a payload encoded elsewhere (the answer from another host), `kind` Reply or ReplyError. */
  replyPayload(to: number, corr: number, kind: number, payload: Payload): void {
    const target = this.directory.peerById(to);
    if (target === undefined) return; // the asker is gone; its asks were failed when it left
    this.out.reply(target, kind, corr, payload);
  }

  /** True while replies wait for room in an asker's reply ring: the owner must not sleep. */
  hasDeferredReplies(): boolean {
    return this.out.hasDeferredReplies();
  }

  /** Retries replies deferred for lack of room; returns how many are still waiting. */
  flushDeferredReplies(): number {
    return this.out.flushDeferredReplies();
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
    return frameTopic(this.own.block, h);
  }

  /** The frame's payload as it travels, in place: valid until the record is released. */
  payloadOf(h: FrameHeader): Payload {
    return { encoding: h.encoding, flags: h.flags, bytes: framePayload(this.own.views.u8, h) };
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
      this.asks.take(h.corr)?.waiter.answered(h);
    } catch (err) {
      this.onBadFrame(err);
    }
  };

  // ------------------------------------------------------------------ internals

  private eachSubscriber(topic: string, exceptSelf: boolean, write: (target: Peer, topic: Uint8Array) => boolean): boolean {
    const route = this.directory.route(topic);
    let all = true;
    for (const target of route.targets) {
      if (exceptSelf && target.id === this.id) continue;
      if (!this.unlessStopped(() => write(target, route.topic))) all = false;
    }
    return all;
  }

  /** A write to a subscriber that is stopping counts as done: a publish is not addressed to it any more. */
  private unlessStopped(write: () => boolean): boolean {
    try {
      return write();
    } catch (err) {
      if (err instanceof ActorStopped) return true;
      throw err;
    }
  }

  /** The onFull option of the target applies to plain sends only: asks, replies and publishes have their own answer to "full". */
  private fullUnlessAllowed(target: Peer, written: boolean): boolean {
    if (!written && target.mailbox.onFullThrows()) throw new MailboxFull(target.name, target.mailbox.messages.usedBytes());
    return written;
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
