import { Encoding } from '../codec/frame.js';
import { PayloadEncoder } from '../codec/payload.js';
import { PayloadStage, type PayloadSource } from '../codec/payload-stage.js';
import { checkRecordValue, type RecordFields, type RecordType, type RecordValues } from '../codec/records.js';
import { emptySpec, specFrameBytes, writeFrame, writeRecordRun, writePayloadRun, type FrameSpec } from '../codec/write-frame.js';
import { ActorStopped, MessageTooLarge } from '../errors.js';
import { ActorState, Kind, serializeError } from '../protocol.js';
import { Ring } from '../ring/ring.js';
import { STAT_SENT } from '../ring/layout.js';
import type { Mailbox } from '../ring/mailbox.js';
import type { Peer } from './directory.js';

/** A payload as it travels: already encoded (msgpack, raw typed-array bytes, a record's bytes). */
export interface Payload {
  readonly encoding: number;
  readonly flags: number;
  readonly bytes: Uint8Array;
}

const epochOrigin = performance.timeOrigin;

/** Epoch milliseconds with sub-microsecond resolution, comparable across threads. */
export function nowMs(): number {
  return epochOrigin + performance.now();
}

const NONE: Payload = { encoding: Encoding.None, flags: 0, bytes: new Uint8Array(0) };

/**
 * Writes one endpoint's frames into other endpoints' rings: a message, a publish or a reply one at
 * a time (`put`), or runs of them with one claim each (`commitRun`); both check the size and a
 * stopped target first and count a full ring. It stamps every Nth frame with the send time for the
 * latency histogram, and keeps replies that found the asker's reply ring full until they fit.
 */
export class Outbox {
  private readonly spec: FrameSpec = emptySpec();
  private readonly encoder: PayloadEncoder;
  private readonly stage = new PayloadStage();
  private readonly sampleEvery: number;
  private stampCountdown = 1;
  /** Replies that found the asker's reply ring full; retried as space frees up, in order. */
  private readonly deferred: Array<() => boolean> = [];

  constructor(
    private readonly selfId: number,
    private readonly own: Mailbox,
    compressAbove: number,
    latencySampleEvery: number,
  ) {
    this.encoder = new PayloadEncoder(compressAbove);
    this.sampleEvery = Math.max(1, Math.floor(latencySampleEvery));
  }

  /** Encodes a value; the result is valid until the next call. */
  encode(value: unknown): Payload {
    return this.encoder.encode(value);
  }

  /** A send, ask or publish frame into the target's message ring. False when it is full. */
  message(target: Peer, kind: number, corr: number, topic: Uint8Array | undefined, payload: Payload): boolean {
    const spec = this.fill(kind, corr, topic ?? target.address, payload);
    return this.put(target, target.mailbox.messages, spec);
  }

  /** A record written field by field into the target's message ring. False when it is full. */
  record<F extends RecordFields>(target: Peer, kind: number, topic: Uint8Array | undefined, type: RecordType<F>, values: RecordValues<F>): boolean {
    checkRecordValue(type, values);
    const spec = this.fill(kind, 0, topic ?? target.address, NONE);
    spec.encoding = Encoding.Record;
    spec.record = type as unknown as RecordType<RecordFields>;
    spec.values = values as unknown as RecordValues<RecordFields>;
    return this.put(target, target.mailbox.messages, spec);
  }

  /** Records as a run of frames, one claim per run. Returns how many were written (a prefix). */
  recordRun<F extends RecordFields>(target: Peer, kind: number, topic: Uint8Array | undefined, type: RecordType<F>, values: readonly RecordValues<F>[]): number {
    for (let i = 0; i < values.length; i++) checkRecordValue(type, values[i], i);
    const ring = target.mailbox.messages;
    const spec = this.fill(kind, 0, topic ?? target.address, NONE);
    spec.encoding = Encoding.Record;
    spec.record = type as unknown as RecordType<RecordFields>;
    const step = Ring.runBytes(this.checkFits(target, ring, spec));
    const perRun = Math.max(1, Math.floor(ring.maxRun / step));
    let written = 0;
    while (written < values.length) {
      const count = Math.min(perRun, values.length - written);
      if (!this.commitRun(target, ring, count, () => writeRecordRun(ring, spec, type, values, written, count))) break;
      written += count;
    }
    spec.record = undefined;
    spec.values = undefined;
    return written;
  }

  /** Encodes values one by one into the stage, for `writeStaged` (to one target or several). */
  stageValues(values: readonly unknown[]): void {
    this.stage.reset();
    for (const v of values) this.stage.add(this.encoder.encode(v));
  }

  /** The staged values as runs of frames, one claim per run. Returns how many were written (a prefix). */
  writeStaged(target: Peer, kind: number, topic: Uint8Array | undefined): number {
    return this.payloadRun(target, kind, topic, this.stage, 0, this.stage.count);
  }

  /**
   * Payloads `[from, from+count)` of `source` as runs of frames with one claim each. Returns how
   * many were written, from the first: fewer when the ring filled up, or when the next one can
   * never fit it (it throws MessageTooLarge when it comes first).
   */
  payloadRun(target: Peer, kind: number, topic: Uint8Array | undefined, source: PayloadSource, from: number, count: number): number {
    const ring = target.mailbox.messages;
    const spec = this.fill(kind, 0, topic ?? target.address, NONE);
    if (target.mailbox.state() === ActorState.Stopped) throw new ActorStopped(target.name);
    let written = 0;
    while (written < count) {
      let n = 0;
      let bytes = 0;
      spec.source = source;
      while (written + n < count) {
        spec.sourceIndex = from + written + n;
        const frameBytes = specFrameBytes(spec);
        if (frameBytes > ring.maxPayload) {
          if (written + n === 0) throw new MessageTooLarge(target.name, frameBytes, ring.maxPayload);
          break;
        }
        const b = Ring.runBytes(frameBytes);
        if (n > 0 && bytes + b > ring.maxRun) break;
        bytes += b;
        n++;
      }
      if (n === 0) break; // the next one can never fit: the caller hears of it when it comes first
      if (!this.commitRun(target, ring, n, () => writePayloadRun(ring, spec, source, from + written, n, bytes))) break;
      written += n;
    }
    spec.source = undefined;
    return written;
  }

  /**
   * Answers the ask `corr` of `target`. A full reply ring defers the reply, never drops it; an
   * answer too large for the ring is turned into a MessageTooLarge error for the asker.
   */
  reply(target: Peer, kind: number, corr: number, payload: Payload): void {
    const ring = target.mailbox.replies;
    const frameBytes = specFrameBytes(this.fill(kind, corr, undefined, payload));
    if (frameBytes > ring.maxPayload) {
      // The answer cannot fit: tell the asker why instead of leaving it to time out.
      kind = Kind.ReplyError;
      payload = this.encoder.encode(serializeError(new MessageTooLarge(target.name, frameBytes, ring.maxPayload, 'replies')));
    }
    const attempt = (p: Payload) => (): boolean => {
      try {
        return this.put(target, ring, this.fill(kind, corr, undefined, p));
      } catch (err) {
        if (err instanceof ActorStopped) return true; // the asker stopped: nobody to answer
        throw err;
      }
    };
    if (this.deferred.length === 0 && attempt(payload)()) return;
    // The encoder reuses its buffer: keep a copy of what waits.
    this.deferred.push(attempt({ encoding: payload.encoding, flags: payload.flags, bytes: payload.bytes.slice() }));
  }

  /** True while replies wait for room in an asker's reply ring: the owner must not sleep. */
  hasDeferredReplies(): boolean {
    return this.deferred.length > 0;
  }

  /** Retries replies deferred for lack of room; returns how many are still waiting. */
  flushDeferredReplies(): number {
    while (this.deferred.length > 0 && this.deferred[0]!()) this.deferred.shift();
    return this.deferred.length;
  }

  // ------------------------------------------------------------------ internals

  private fill(kind: number, corr: number, topic: Uint8Array | undefined, payload: Payload): FrameSpec {
    const spec = this.spec;
    spec.kind = kind;
    spec.corr = corr;
    spec.from = this.selfId;
    spec.topic = topic;
    spec.encoding = payload.encoding;
    spec.flags = payload.flags;
    spec.payload = payload.bytes;
    spec.source = undefined;
    spec.record = undefined;
    spec.values = undefined;
    return spec;
  }

  /** Throws MessageTooLarge or ActorStopped; returns the frame's bytes. */
  private checkFits(target: Peer, ring: Ring, spec: FrameSpec): number {
    const frameBytes = specFrameBytes(spec);
    if (frameBytes > ring.maxPayload) throw new MessageTooLarge(target.name, frameBytes, ring.maxPayload);
    if (target.mailbox.state() === ActorState.Stopped) throw new ActorStopped(target.name);
    return frameBytes;
  }

  private put(target: Peer, ring: Ring, spec: FrameSpec): boolean {
    const frameBytes = this.checkFits(target, ring, spec);
    spec.sentAt = this.stamp();
    // Counted before publishing: whoever reads the message (or its reply) then sees the count too.
    this.own.addStat(STAT_SENT, 1);
    if (!writeFrame(ring, spec, frameBytes)) {
      this.own.addStat(STAT_SENT, -1);
      this.refused(target, ring);
      return false;
    }
    target.mailbox.doorbell.ring();
    return true;
  }

  /**
   * Stamps, counts and writes a run of `n` frames with one claim (`write` returns 0 when the ring
   * is full); false when it was refused. Counted before publishing, as in `put`.
   */
  private commitRun(target: Peer, ring: Ring, n: number, write: () => number): boolean {
    this.spec.sentAt = this.stamp();
    this.own.addStat(STAT_SENT, n);
    if (write() === 0) {
      this.own.addStat(STAT_SENT, -n);
      this.refused(target, ring);
      return false;
    }
    target.mailbox.doorbell.ring();
    return true;
  }

  /** A full ring refused a write: counted there, and noted here (this endpoint waits on that one). */
  private refused(target: Peer, ring: Ring): void {
    ring.countOverflow();
    this.own.noteRefused(target.id);
  }

  private stamp(): number {
    if (--this.stampCountdown !== 0) return 0;
    this.stampCountdown = this.sampleEvery;
    return nowMs();
  }
}
