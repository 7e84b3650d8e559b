import { crc32 } from 'node:zlib';
import { compressSync, uncompressSync } from 'lz4-napi';
import { Packr } from 'msgpackr';
import { FrameError } from '../errors.js';

/**
 * The frame the Redis bus carries: many messages in one Redis value, so one command moves a whole
 * batch. Everything in it is checked on the way in: a frame from another program, another
 * version, cut short or corrupted is a FrameError that says what is wrong, never a crash.
 *
 * ```
 *  0  u32 magic 'DBUS'        8  u32 body bytes (uncompressed)
 *  4  u8  version (1)        12  u32 crc32 of the body as carried (after compression)
 *  5  u8  flags (bit 0: lz4) 16  body: count entries
 *  6  u16 count
 *
 *  entry: u8 kind | u8 0 | u16 address bytes | u16 id bytes | u16 0 | u32 payload bytes |
 *         address (utf-8: an actor name or a topic) | id (utf-8: the idempotency key) | payload (msgpack)
 * ```
 */
export const BUS_MAGIC = 0x44425553;
export const BUS_VERSION = 1;
export const BUS_HEADER_BYTES = 16;
const ENTRY_HEADER_BYTES = 12;
const FLAG_LZ4 = 1;
/** Bodies above this are lz4-compressed (when that makes them smaller). */
const COMPRESS_ABOVE = 1024;
/** The largest frame the bus accepts, compressed or not: an oversized message is refused, not sent. */
export const MAX_BUS_FRAME_BYTES = 16 << 20;

export const BusKind = { Send: 1, Ask: 2, Reply: 3, ReplyError: 4, Publish: 5 } as const;
export type BusKind = (typeof BusKind)[keyof typeof BusKind];
const KINDS = new Set<number>(Object.values(BusKind));

export interface BusMessage {
  kind: BusKind;
  /** The target actor (send, ask, reply) or the topic (publish). */
  address: string;
  /** Unique per message and stable across resends: a redelivered message is recognised by it. */
  id: string;
  /** Any msgpack value (data only). */
  body: unknown;
}

// Data only: no records, no extension types that construct classes.
const packr = new Packr({ useRecords: false, moreTypes: false });
const utf8 = new TextEncoder();

/** Packs messages into one bus frame. Throws FrameError for a frame over MAX_BUS_FRAME_BYTES. */
export function encodeBusFrame(messages: readonly BusMessage[]): Buffer {
  if (messages.length === 0 || messages.length > 0xffff) throw new FrameError(`a bus frame holds 1 to 65535 messages; got ${messages.length}`);
  const parts: Buffer[] = [];
  let bodyBytes = 0;
  for (const m of messages) {
    if (!KINDS.has(m.kind)) throw new FrameError(`bus message kind ${m.kind} is not one of ${[...KINDS].join(', ')}`);
    const address = Buffer.from(utf8.encode(m.address));
    const id = Buffer.from(utf8.encode(m.id));
    if (address.length > 0xffff || id.length > 0xffff) throw new FrameError(`bus message address or id over 65535 bytes`);
    const payload = packr.pack(m.body);
    const head = Buffer.alloc(ENTRY_HEADER_BYTES);
    head.writeUInt8(m.kind, 0);
    head.writeUInt16LE(address.length, 2);
    head.writeUInt16LE(id.length, 4);
    head.writeUInt32LE(payload.length, 8);
    parts.push(head, address, id, payload);
    bodyBytes += ENTRY_HEADER_BYTES + address.length + id.length + payload.length;
  }
  let body: Buffer = Buffer.concat(parts, bodyBytes);
  let flags = 0;
  if (body.length > COMPRESS_ABOVE) {
    const packed = compressSync(body);
    if (packed.length < body.length) {
      body = packed;
      flags = FLAG_LZ4;
    }
  }
  const total = BUS_HEADER_BYTES + body.length;
  if (total > MAX_BUS_FRAME_BYTES) throw new FrameError(`bus frame of ${total} bytes is over the limit of ${MAX_BUS_FRAME_BYTES}`);
  const head = Buffer.alloc(BUS_HEADER_BYTES);
  head.writeUInt32LE(BUS_MAGIC, 0);
  head.writeUInt8(BUS_VERSION, 4);
  head.writeUInt8(flags, 5);
  head.writeUInt16LE(messages.length, 6);
  head.writeUInt32LE(bodyBytes, 8);
  head.writeUInt32LE(crc32(body), 12);
  return Buffer.concat([head, body], total);
}

/** Unpacks a bus frame; every fault is a FrameError naming it. */
export function decodeBusFrame(frame: Uint8Array): BusMessage[] {
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
  let body: Buffer;
  if ((flags & FLAG_LZ4) !== 0) {
    try {
      body = uncompressSync(carried);
    } catch (err) {
      throw new FrameError(`bus frame body does not decompress (lz4): ${(err as Error).message}`);
    }
  } else body = carried;
  if (body.length !== bodyBytes) throw new FrameError(`bus frame body is ${body.length} bytes; its header says ${bodyBytes}`);
  const out: BusMessage[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + ENTRY_HEADER_BYTES > body.length) throw new FrameError(`bus frame entry ${i} of ${count} is cut short`);
    const kind = body.readUInt8(at);
    if (!KINDS.has(kind)) throw new FrameError(`bus frame entry ${i} has unknown kind ${kind}`);
    const addressBytes = body.readUInt16LE(at + 2);
    const idBytes = body.readUInt16LE(at + 4);
    const payloadBytes = body.readUInt32LE(at + 8);
    const start = at + ENTRY_HEADER_BYTES;
    const end = start + addressBytes + idBytes + payloadBytes;
    if (end > body.length) throw new FrameError(`bus frame entry ${i} claims ${end - at} bytes; only ${body.length - at} remain`);
    const address = body.toString('utf8', start, start + addressBytes);
    const id = body.toString('utf8', start + addressBytes, start + addressBytes + idBytes);
    let value: unknown;
    try {
      value = packr.unpack(body.subarray(start + addressBytes + idBytes, end));
    } catch (err) {
      throw new FrameError(`bus frame entry ${i} payload is not valid msgpack: ${(err as Error).message}`);
    }
    out.push({ kind: kind as BusKind, address, id, body: value });
    at = end;
  }
  if (at !== body.length) throw new FrameError(`bus frame has ${body.length - at} bytes after its ${count} entries`);
  return out;
}
