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
 *  5  u8  flags (bit 0: lz4) 16  body
 *  6  u16 count
 *
 *  body: one msgpack array of `count` entries, each [kind, address, id, payload] or, for an ask
 *        and its reply, [kind, address, id, payload, host, from, corr]: kind 1-5, address (an actor
 *        name or a topic), id (the idempotency key), payload (any value), and where the answer goes
 *        (the asking host, the asker's endpoint id there, its correlation id)
 * ```
 *
 * One msgpack call per frame, not per message: packing and unpacking are what bound a batch.
 */
export const BUS_MAGIC = 0x44425553;
export const BUS_VERSION = 1;
export const BUS_HEADER_BYTES = 16;
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
  /** For an ask and its reply: the host, endpoint and correlation id of the asker. */
  origin?: { host: string; from: number; corr: number };
  /**
   * Set when the body is a payload as the sender's ring held it (a binary record's bytes, layout id
   * first): its frame encoding. The receiving host writes the bytes as they are; its actor, which
   * defined the same layout, reads the record in place. Bridges never need the layout.
   */
  encoding?: number;
}

// Data only: no records, no extension types that construct classes.
const packr = new Packr({ useRecords: false, moreTypes: false });

/** Packs messages into one bus frame. Throws FrameError for a frame over MAX_BUS_FRAME_BYTES. */
export function encodeBusFrame(messages: readonly BusMessage[]): Buffer {
  if (messages.length === 0 || messages.length > 0xffff) throw new FrameError(`a bus frame holds 1 to 65535 messages; got ${messages.length}`);
  const entries = new Array<unknown>(messages.length);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (!KINDS.has(m.kind)) throw new FrameError(`bus message kind ${m.kind} is not one of ${[...KINDS].join(', ')}`);
    const o = m.origin;
    entries[i] =
      m.encoding !== undefined ? [m.kind, m.address, m.id, m.body, o?.host ?? null, o?.from ?? null, o?.corr ?? null, m.encoding]
      : o === undefined ? [m.kind, m.address, m.id, m.body]
      : [m.kind, m.address, m.id, m.body, o.host, o.from, o.corr];
  }
  const plain = packr.pack(entries);
  let body: Buffer = plain;
  let flags = 0;
  if (plain.length > COMPRESS_ABOVE) {
    const packed = compressSync(plain);
    if (packed.length < plain.length) {
      body = packed;
      flags = FLAG_LZ4;
    }
  }
  const total = BUS_HEADER_BYTES + body.length;
  if (total > MAX_BUS_FRAME_BYTES) throw new FrameError(`bus frame of ${total} bytes is over the limit of ${MAX_BUS_FRAME_BYTES}`);
  const frame = Buffer.allocUnsafe(total);
  frame.writeUInt32LE(BUS_MAGIC, 0);
  frame.writeUInt8(BUS_VERSION, 4);
  frame.writeUInt8(flags, 5);
  frame.writeUInt16LE(messages.length, 6);
  frame.writeUInt32LE(plain.length, 8);
  frame.writeUInt32LE(crc32(body), 12);
  body.copy(frame, BUS_HEADER_BYTES);
  return frame;
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
  let entries: unknown;
  try {
    entries = packr.unpack(body);
  } catch (err) {
    throw new FrameError(`bus frame body is not valid msgpack: ${(err as Error).message}`);
  }
  if (!Array.isArray(entries) || entries.length !== count) {
    throw new FrameError(`bus frame body holds ${Array.isArray(entries) ? `${entries.length} entries` : 'no entry list'}; its header says ${count}`);
  }
  const out = new Array<BusMessage>(count);
  for (let i = 0; i < count; i++) {
    const e = entries[i] as unknown;
    if (!Array.isArray(e) || (e.length !== 4 && e.length !== 7 && e.length !== 8) || !KINDS.has(e[0] as number) || typeof e[1] !== 'string' || typeof e[2] !== 'string') {
      throw new FrameError(`bus frame entry ${i} is not [kind, address, id, payload(, host, from, corr(, encoding))]`);
    }
    const m: BusMessage = { kind: e[0] as BusKind, address: e[1], id: e[2], body: e[3] };
    if (e.length >= 7 && e[4] !== null) {
      if (typeof e[4] !== 'string' || !Number.isInteger(e[5]) || !Number.isInteger(e[6])) throw new FrameError(`bus frame entry ${i} has a malformed origin`);
      m.origin = { host: e[4], from: e[5] as number, corr: e[6] as number };
    }
    if (e.length === 8) {
      if (!Number.isInteger(e[7]) || !(e[3] instanceof Uint8Array)) throw new FrameError(`bus frame entry ${i} has a malformed encoded payload`);
      m.encoding = e[7] as number;
    }
    out[i] = m;
  }
  return out;
}
