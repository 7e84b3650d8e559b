import { crc32 } from 'node:zlib';
import { DEFAULT_COMPRESS_ABOVE, compressIfSmaller, decompress } from '../codec/compress.js';
import { payloadProblem } from '../codec/frame.js';
import { copyBytes, sameBytes } from '../codec/copy-bytes.js';
import type { PayloadSource } from '../codec/payload-stage.js';
import { FrameError } from '../errors.js';

/**
 * The frame the Redis bus carries: many messages in one Redis value, so one command moves a whole
 * batch. It is an envelope only: each message's payload is carried as the bytes its sender's ring
 * held (msgpack, a typed array's bytes, a record, lz4-compressed or not, as its encoding and flags
 * say), and written into the receiving ring as it came; no bridge decodes a payload. Everything
 * in the envelope is checked on the way in: a frame from another program, another version, cut
 * short or corrupted is a FrameError that says what is wrong, never a crash.
 *
 * ```
 *  header  0  u32 magic 'DBUS'       8  u32 body bytes (uncompressed)
 *          4  u8  version (2)        12 u32 crc32 of the body as carried (after compression)
 *          5  u8  flags (bit 0: lz4) 16 body
 *          6  u16 count
 *
 *  body    0  u16 origin bytes | origin (utf-8: the sending host's name) | u32 instance | f64 first seq
 *          then `count` entries:
 *          0  u8 kind   1 u8 encoding   2 u8 payload flags   3 u8 zero
 *          4  u16 from (the asker's endpoint, ask and reply)  6 u16 address bytes
 *          8  u32 corr (ask and reply)                        12 u32 payload bytes
 *          16 address (utf-8: the target actor, or the topic) | payload
 * ```
 * Entry `i` carries sequence number `first seq + i`: with the origin and its instance (a number
 * each bridge process draws at random when it starts), the idempotency key of the message (a frame
 * resent after a lost reply is recognised by it; a restarted host, whose numbers start again, is a
 * new instance even where it gets the same process id, as in a container).
 * All numbers are little-endian.
 */
export const BUS_MAGIC = 0x44425553;
export const BUS_VERSION = 2;
export const BUS_HEADER_BYTES = 16;
const ENTRY_HEADER_BYTES = 16;
const ORIGIN_FIXED_BYTES = 2 + 4 + 8;
const FLAG_LZ4 = 1;
/** The largest frame the bus accepts, compressed or not: an oversized message is refused, not sent. */
export const MAX_BUS_FRAME_BYTES = 16 << 20;

export const BusKind = { Send: 1, Ask: 2, Reply: 3, ReplyError: 4, Publish: 5 } as const;
export type BusKind = (typeof BusKind)[keyof typeof BusKind];
const MAX_KIND = 5;

/** One message of a bus frame, as read. Its payload lies in the frame's body. */
export interface BusEntry {
  kind: BusKind;
  /** The target actor (send, ask) or the topic (publish); empty for a reply. */
  address: string;
  /** The asker's endpoint id (ask: on the origin host; reply: on the receiving host). */
  from: number;
  corr: number;
  encoding: number;
  flags: number;
  payloadAt: number;
  payloadBytes: number;
  seq: number;
}

/** A bus frame as read: its messages, whose payloads lie in `body`; also their source for runs into a ring. */
export class BusFrame implements PayloadSource {
  constructor(
    /** The host that sent the frame, and which run of it (a restarted host numbers from 1 again). */
    readonly origin: string,
    readonly instance: number,
    readonly entries: BusEntry[],
    readonly body: Uint8Array,
  ) {}

  /** Message `i`'s payload, in place (a view into the frame). */
  payload(i: number): Uint8Array {
    const e = this.entries[i]!;
    return this.body.subarray(e.payloadAt, e.payloadAt + e.payloadBytes);
  }

  payloadBytes(i: number): number {
    return this.entries[i]!.payloadBytes;
  }

  copyPayload(i: number, dst: Uint8Array, at: number): void {
    const e = this.entries[i]!;
    copyBytes(this.body, e.payloadAt, dst, at, e.payloadBytes);
  }

  encoding(i: number): number {
    return this.entries[i]!.encoding;
  }

  flags(i: number): number {
    return this.entries[i]!.flags;
  }
}

const INITIAL_BUFFER_BYTES = 1 << 14;

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(n));
}

/**
 * Builds one bus frame, message by message: each payload is copied once, from the ring that held
 * it into the frame. `finish` seals it (compressed above the threshold when that is smaller).
 */
export class BusFrameBuilder {
  private buf: Buffer;
  private used = 0;
  private entries = 0;
  private readonly originBytes: Buffer;

  constructor(
    origin: string,
    private readonly instance: number,
    private readonly compressAbove = DEFAULT_COMPRESS_ABOVE,
  ) {
    this.originBytes = Buffer.from(origin, 'utf8');
    this.buf = Buffer.allocUnsafe(INITIAL_BUFFER_BYTES);
  }

  get count(): number {
    return this.entries;
  }

  /** Whether a message of these sizes still fits this frame's size limit (with the origin block, for a frame's first). */
  fits(addressBytes: number, payloadBytes: number): boolean {
    const used = this.entries === 0 ? BUS_HEADER_BYTES + ORIGIN_FIXED_BYTES + this.originBytes.length : this.used;
    return used + ENTRY_HEADER_BYTES + addressBytes + payloadBytes <= MAX_BUS_FRAME_BYTES;
  }

  /** Starts a frame whose first message has sequence number `firstSeq`. */
  begin(firstSeq: number): void {
    this.used = BUS_HEADER_BYTES;
    this.entries = 0;
    this.reserve(ORIGIN_FIXED_BYTES + this.originBytes.length);
    const b = this.buf;
    b.writeUInt16LE(this.originBytes.length, this.used);
    this.originBytes.copy(b, this.used + 2);
    this.used += 2 + this.originBytes.length;
    b.writeUInt32LE(this.instance >>> 0, this.used);
    b.writeDoubleLE(firstSeq, this.used + 4);
    this.used += 12;
  }

  /** Appends one message; `address` and `payload` are copied now (they may be views into a ring). */
  add(kind: BusKind, address: Uint8Array, from: number, corr: number, encoding: number, flags: number, payload: Uint8Array): void {
    const at = this.entry(kind, address.length, from, corr, encoding, flags, payload.length);
    copyBytes(address, 0, this.buf, at, address.length);
    copyBytes(payload, 0, this.buf, at + address.length, payload.length);
  }

  /**
   * Appends one message whose address and payload lie in `src` (a ring's whole block): copied now,
   * with no view made per message.
   */
  addFrom(kind: BusKind, src: Uint8Array, addressAt: number, addressBytes: number, from: number, corr: number, encoding: number, flags: number, payloadAt: number, payloadBytes: number): void {
    const at = this.entry(kind, addressBytes, from, corr, encoding, flags, payloadBytes);
    copyBytes(src, addressAt, this.buf, at, addressBytes);
    copyBytes(src, payloadAt, this.buf, at + addressBytes, payloadBytes);
  }

  /** Writes an entry header and makes room for its address and payload; returns where the address goes. */
  private entry(kind: number, addressBytes: number, from: number, corr: number, encoding: number, flags: number, payloadBytes: number): number {
    if (this.entries === 0xffff) throw new FrameError('a bus frame holds at most 65535 messages');
    this.reserve(ENTRY_HEADER_BYTES + addressBytes + payloadBytes);
    const b = this.buf;
    const at = this.used;
    b[at] = kind;
    b[at + 1] = encoding;
    b[at + 2] = flags;
    b[at + 3] = 0;
    putU16(b, at + 4, from);
    putU16(b, at + 6, addressBytes);
    putU32(b, at + 8, corr);
    putU32(b, at + 12, payloadBytes);
    this.used = at + ENTRY_HEADER_BYTES + addressBytes + payloadBytes;
    this.entries++;
    return at + ENTRY_HEADER_BYTES;
  }

  /** The sealed frame (the builder starts a new buffer for the next one). FrameError when over the size limit. */
  finish(): Buffer {
    const body = this.buf.subarray(BUS_HEADER_BYTES, this.used);
    const packed = compressIfSmaller(body, this.compressAbove);
    const carried = packed ?? body;
    const total = BUS_HEADER_BYTES + carried.length;
    if (total > MAX_BUS_FRAME_BYTES) throw new FrameError(`bus frame of ${total} bytes is over the limit of ${MAX_BUS_FRAME_BYTES}`);
    let frame: Buffer;
    if (packed === undefined) {
      frame = this.buf.subarray(0, this.used);
      // The frame keeps this buffer (it waits for Redis): the next frame gets a new one sized for
      // a frame like this one, so that one burst does not make every later buffer as large.
      this.buf = Buffer.allocUnsafe(Math.max(INITIAL_BUFFER_BYTES, nextPowerOfTwo(this.used)));
    } else {
      frame = Buffer.allocUnsafe(total);
      frame.set(packed, BUS_HEADER_BYTES);
    }
    frame.writeUInt32LE(BUS_MAGIC, 0);
    frame.writeUInt8(BUS_VERSION, 4);
    frame.writeUInt8(packed === undefined ? 0 : FLAG_LZ4, 5);
    frame.writeUInt16LE(this.entries, 6);
    frame.writeUInt32LE(body.length, 8);
    frame.writeUInt32LE(crc32(carried), 12);
    this.entries = 0;
    this.used = BUS_HEADER_BYTES;
    return frame;
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buf.length) return;
    if (this.used + bytes > MAX_BUS_FRAME_BYTES) throw new FrameError(`bus frame would grow to ${this.used + bytes} bytes, over the limit of ${MAX_BUS_FRAME_BYTES}`);
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + bytes));
    this.buf.copy(grown, 0, 0, this.used);
    this.buf = grown;
  }
}

/** A message to pack with `encodeBusFrame`. */
export interface BusMessage {
  kind: BusKind;
  address: string;
  encoding: number;
  flags?: number;
  payload: Uint8Array;
  from?: number;
  corr?: number;
}

/** Packs messages into one bus frame from `origin` (its run `instance`), numbered from `firstSeq`. */
export function encodeBusFrame(origin: string, instance: number, firstSeq: number, messages: readonly BusMessage[]): Buffer {
  if (messages.length === 0) throw new FrameError('a bus frame holds at least one message');
  const b = new BusFrameBuilder(origin, instance);
  b.begin(firstSeq);
  for (const m of messages) b.add(m.kind, Buffer.from(m.address, 'utf8'), m.from ?? 0, m.corr ?? 0, m.encoding, m.flags ?? 0, m.payload);
  return b.finish();
}

/** Reads a bus frame; every fault is a FrameError naming it. Payloads are views into `frame`. */
export function decodeBusFrame(frame: Uint8Array): BusFrame {
  const buf = Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (buf.length < BUS_HEADER_BYTES) throw new FrameError(`bus frame of ${buf.length} bytes is shorter than its ${BUS_HEADER_BYTES}-byte header`);
  if (buf.length > MAX_BUS_FRAME_BYTES) throw new FrameError(`bus frame of ${buf.length} bytes is over the limit of ${MAX_BUS_FRAME_BYTES}`);
  const magic = buf.readUInt32LE(0);
  if (magic !== BUS_MAGIC) throw new FrameError(`bus frame magic 0x${magic.toString(16)} is not 'DBUS' (not a dualbus frame)`);
  const version = buf.readUInt8(4);
  if (version !== BUS_VERSION) throw new FrameError(`bus frame version ${version}; this build reads version ${BUS_VERSION}`);
  const flags = buf.readUInt8(5);
  if ((flags & ~FLAG_LZ4) !== 0) throw new FrameError(`bus frame flags 0x${flags.toString(16)} has unknown bits`);
  const count = buf.readUInt16LE(6);
  if (count === 0) throw new FrameError('bus frame holds no message');
  const bodyBytes = buf.readUInt32LE(8);
  if (bodyBytes > MAX_BUS_FRAME_BYTES) throw new FrameError(`bus frame claims a body of ${bodyBytes} bytes, over the limit of ${MAX_BUS_FRAME_BYTES}`);
  const carried = buf.subarray(BUS_HEADER_BYTES);
  const crc = crc32(carried);
  if (crc !== buf.readUInt32LE(12)) throw new FrameError(`bus frame checksum mismatch (carried 0x${buf.readUInt32LE(12).toString(16)}, computed 0x${crc.toString(16)}): corrupt or truncated`);
  // An lz4 body's own size prefix must agree with the header before anything is allocated for it.
  const body = (flags & FLAG_LZ4) !== 0 ? decompress(carried, 'bus frame body (lz4)', bodyBytes) : carried;
  if (body.length !== bodyBytes) throw new FrameError(`bus frame body is ${body.length} bytes; its header says ${bodyBytes}`);
  return readBody(body, count);
}

function readBody(body: Buffer, count: number): BusFrame {
  const need = (at: number, bytes: number, what: string): void => {
    if (at + bytes > body.length) throw new FrameError(`bus frame body ends inside ${what} (needs ${at + bytes} bytes, has ${body.length})`);
  };
  need(0, 2, 'its origin');
  const originBytes = u16(body, 0);
  need(2, originBytes + 12, 'its origin');
  const origin = body.toString('utf8', 2, 2 + originBytes);
  if (origin === '') throw new FrameError('bus frame has an empty origin');
  const instance = u32(body, 2 + originBytes);
  const firstSeq = body.readDoubleLE(6 + originBytes);
  if (!Number.isSafeInteger(firstSeq) || firstSeq < 0) throw new FrameError(`bus frame first sequence number ${firstSeq} is not a safe integer >= 0`);
  let at = 14 + originBytes;
  const entries = new Array<BusEntry>(count);
  // Consecutive messages mostly share their address (one actor, one topic): decoded once.
  let address = '';
  let addressAt = -1;
  let addressBytesBefore = -1;
  for (let i = 0; i < count; i++) {
    need(at, ENTRY_HEADER_BYTES, `the header of entry ${i}`);
    const kind = body[at]!;
    if (kind < 1 || kind > MAX_KIND) throw new FrameError(`bus frame entry ${i} has unknown kind ${kind}`);
    const encoding = body[at + 1]!;
    const flags = body[at + 2]!;
    const problem = payloadProblem(encoding, flags);
    if (problem !== undefined) throw new FrameError(`bus frame entry ${i}: ${problem}`);
    const addressBytes = u16(body, at + 6);
    const payloadBytes = u32(body, at + 12);
    need(at + ENTRY_HEADER_BYTES, addressBytes + payloadBytes, `entry ${i}`);
    const start = at + ENTRY_HEADER_BYTES;
    const payloadAt = start + addressBytes;
    if (addressBytes !== addressBytesBefore || !sameBytes(body, addressAt, body, start, addressBytes)) address = body.toString('utf8', start, payloadAt);
    addressAt = start;
    addressBytesBefore = addressBytes;
    entries[i] = { kind: kind as BusKind, encoding, flags, from: u16(body, at + 4), corr: u32(body, at + 8), address, payloadAt, payloadBytes, seq: firstSeq + i };
    at = payloadAt + payloadBytes;
  }
  if (at !== body.length) throw new FrameError(`bus frame body has ${body.length - at} stray bytes after its ${count} entries`);
  return new BusFrame(origin, instance, entries, body);
}

function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}


function putU16(b: Buffer, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}

function putU32(b: Buffer, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}
