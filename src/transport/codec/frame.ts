import { FrameError } from '../errors.js';

/**
 * The frame: what one message looks like in a ring record. This file owns its layout: no other
 * file computes an offset inside a frame.
 *
 * ```
 *  0   u8   version (FRAME_VERSION)
 *  1   u8   kind            Send | Ask | Reply | ReplyError | Publish (protocol.ts)
 *  2   u8   flags           bit 0: payload is lz4-compressed
 *  3   u8   encoding        None | Msgpack | Record | Raw + typed-array type
 *  4   u32  payload bytes   as stored (after compression)
 *  8   u32  correlation id  pairs an Ask with its Reply; 0 otherwise
 *  12  u16  sender          endpoint id of the sender
 *  14  u16  topic bytes     Publish only; 0 otherwise
 *  16  f64  sent at         epoch milliseconds, 0 when this message is not latency-sampled
 *  24  topic (utf-8), zero-padded to a multiple of 8
 *  ..  payload
 * ```
 * All numbers are little-endian.
 */
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 24;

const O_VERSION = 0;
const O_KIND = 1;
const O_FLAGS = 2;
const O_ENCODING = 3;
const O_PAYLOAD_BYTES = 4;
const O_CORR = 8;
const O_FROM = 12;
const O_TOPIC_BYTES = 14;
const O_SENT_AT = 16;

export const FLAG_LZ4 = 1;
const KNOWN_FLAGS = FLAG_LZ4;

export const Encoding = {
  None: 0,
  Msgpack: 1,
  Record: 2,
  /** Raw + index into RAW_TYPES */
  Raw: 16,
} as const;

export const RAW_TYPES = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;
export type RawTypedArray = InstanceType<(typeof RAW_TYPES)[number]>;

const MAX_KIND = 5;
export const MAX_TOPIC_BYTES = 0xffff;

/** Bytes a frame takes before its payload, for a topic of `topicBytes`. */
export function framePrefixBytes(topicBytes: number): number {
  return FRAME_HEADER_BYTES + ((topicBytes + 7) & ~7);
}

/** Bytes of a whole frame: header, padded topic, payload. */
export function frameBytesOf(topicBytes: number, payloadBytes: number): number {
  return framePrefixBytes(topicBytes) + payloadBytes;
}

/** Byte offset of the topic of the frame starting at `frameByte`. */
export function frameTopicByte(frameByte: number): number {
  return frameByte + FRAME_HEADER_BYTES;
}

/** Byte offset of the payload of the frame starting at `frameByte`, whose topic is `topicBytes` long. */
export function framePayloadByte(frameByte: number, topicBytes: number): number {
  return frameByte + framePrefixBytes(topicBytes);
}

/** What is wrong with a payload's encoding and flags, or undefined when they are valid. */
export function payloadProblem(encoding: number, flags: number): string | undefined {
  if ((flags & ~KNOWN_FLAGS) !== 0) return `unknown flags 0x${flags.toString(16)}`;
  if (encoding > Encoding.Record && (encoding < Encoding.Raw || encoding >= Encoding.Raw + RAW_TYPES.length)) return `unknown encoding ${encoding}`;
  if ((flags & FLAG_LZ4) !== 0 && encoding !== Encoding.Msgpack && encoding < Encoding.Raw) return `lz4 flag on encoding ${encoding}, which is never compressed`;
  return undefined;
}

/** A decoded header. Reused between messages: read it, do not keep it. */
export interface FrameHeader {
  kind: number;
  flags: number;
  encoding: number;
  payloadBytes: number;
  corr: number;
  from: number;
  topicBytes: number;
  sentAt: number;
  /** Byte offset of the topic, and of the payload, in the buffer read from. */
  topicByte: number;
  payloadByte: number;
}

export function emptyHeader(): FrameHeader {
  return { kind: 0, flags: 0, encoding: 0, payloadBytes: 0, corr: 0, from: 0, topicBytes: 0, sentAt: 0, topicByte: 0, payloadByte: 0 };
}

export function writeHeader(
  dv: DataView,
  byte: number,
  kind: number,
  flags: number,
  encoding: number,
  payloadBytes: number,
  corr: number,
  from: number,
  topicBytes: number,
  sentAt: number,
): void {
  dv.setUint8(byte + O_VERSION, FRAME_VERSION);
  dv.setUint8(byte + O_KIND, kind);
  dv.setUint8(byte + O_FLAGS, flags);
  dv.setUint8(byte + O_ENCODING, encoding);
  dv.setUint32(byte + O_PAYLOAD_BYTES, payloadBytes, true);
  dv.setUint32(byte + O_CORR, corr, true);
  dv.setUint16(byte + O_FROM, from, true);
  dv.setUint16(byte + O_TOPIC_BYTES, topicBytes, true);
  dv.setFloat64(byte + O_SENT_AT, sentAt, true);
}

/**
 * Reads and checks the header of a frame of `frameBytes` starting at `byte`. Throws FrameError,
 * naming what is wrong, for anything that is not a well-formed frame; never returns garbage.
 */
export function readHeader(dv: DataView, byte: number, frameBytes: number, out: FrameHeader): FrameHeader {
  if (frameBytes < FRAME_HEADER_BYTES) throw new FrameError(`${frameBytes} bytes is shorter than the ${FRAME_HEADER_BYTES}-byte header`);
  const version = dv.getUint8(byte + O_VERSION);
  if (version !== FRAME_VERSION) throw new FrameError(`version ${version}, expected ${FRAME_VERSION}`);
  const kind = dv.getUint8(byte + O_KIND);
  if (kind < 1 || kind > MAX_KIND) throw new FrameError(`unknown kind ${kind}`);
  const flags = dv.getUint8(byte + O_FLAGS);
  const encoding = dv.getUint8(byte + O_ENCODING);
  const problem = payloadProblem(encoding, flags);
  if (problem !== undefined) throw new FrameError(problem);
  const payloadBytes = dv.getUint32(byte + O_PAYLOAD_BYTES, true);
  const topicBytes = dv.getUint16(byte + O_TOPIC_BYTES, true);
  const prefix = framePrefixBytes(topicBytes);
  if (prefix + payloadBytes !== frameBytes) {
    throw new FrameError(
      prefix + payloadBytes > frameBytes
        ? `truncated: header announces ${prefix + payloadBytes} bytes, only ${frameBytes} present`
        : `${frameBytes - prefix - payloadBytes} stray bytes after the payload`,
    );
  }
  out.kind = kind;
  out.flags = flags;
  out.encoding = encoding;
  out.payloadBytes = payloadBytes;
  out.corr = dv.getUint32(byte + O_CORR, true);
  out.from = dv.getUint16(byte + O_FROM, true);
  out.topicBytes = topicBytes;
  out.sentAt = dv.getFloat64(byte + O_SENT_AT, true);
  out.topicByte = frameTopicByte(byte);
  out.payloadByte = framePayloadByte(byte, topicBytes);
  return out;
}

/** The topic of a frame read with `readHeader` from `buffer` (empty when it has none). */
export function frameTopic(buffer: ArrayBufferLike, h: Pick<FrameHeader, 'topicByte' | 'topicBytes'>): string {
  return h.topicBytes === 0 ? '' : Buffer.from(buffer, h.topicByte, h.topicBytes).toString('utf8');
}

/** The payload bytes of a frame read with `readHeader`, in place (valid while the frame is). */
export function framePayload(u8: Uint8Array, h: FrameHeader): Uint8Array {
  return u8.subarray(h.payloadByte, h.payloadByte + h.payloadBytes);
}

/** The topic (or address) bytes of a frame read with `readHeader`, in place. */
export function frameTopicBytes(u8: Uint8Array, h: FrameHeader): Uint8Array {
  return u8.subarray(h.topicByte, h.topicByte + h.topicBytes);
}
