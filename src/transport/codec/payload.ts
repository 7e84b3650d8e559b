import { Packr } from 'msgpackr';
import { FrameError } from '../errors.js';
import { Encoding, FLAG_LZ4, RAW_TYPES, framePayload, type FrameHeader, type RawTypedArray } from './frame.js';
import { viewsOf, type BufferViews } from '../buffer-views.js';
import { DEFAULT_COMPRESS_ABOVE, compressIfSmaller, decompress } from './compress.js';
import { decodeMsgpack } from './msgpack-decode.js';
import { recordIdAt, recordTypeById, type RecordReader, type RecordFields } from './records.js';

/**
 * Plain values travel as msgpack (data only: no classes are constructed, no code runs), typed
 * arrays as their raw bytes; either is lz4-compressed above `compressAbove` bytes when that
 * actually makes it smaller. One encoder per thread: `encode` overwrites the previous result.
 */
export class PayloadEncoder {
  private readonly packr = new Packr({ useRecords: false, moreTypes: false });
  encoding = 0;
  flags = 0;
  bytes: Uint8Array = new Uint8Array(0);

  constructor(readonly compressAbove: number = DEFAULT_COMPRESS_ABOVE) {}

  encode(value: unknown): this {
    let bytes: Uint8Array;
    if (value === undefined) {
      this.encoding = Encoding.None;
      this.flags = 0;
      this.bytes = EMPTY;
      return this;
    }
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const type = RAW_TYPES.findIndex((T) => value instanceof T);
      this.encoding = Encoding.Raw + type;
      bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    } else {
      this.encoding = Encoding.Msgpack;
      bytes = this.packr.pack(value);
    }
    const packed = compressIfSmaller(bytes, this.compressAbove);
    this.flags = packed === undefined ? 0 : FLAG_LZ4;
    this.bytes = packed ?? bytes;
    return this;
  }
}

const EMPTY = new Uint8Array(0);

/** Decodes the payloads of frames read from one buffer (an endpoint's mailbox block). */
export class PayloadDecoder {
  private readonly views: BufferViews;
  private readonly readers = new Map<number, RecordReader<RecordFields>>();

  constructor(readonly buffer: ArrayBufferLike) {
    this.views = viewsOf(buffer);
  }

  /** The message carried by a frame whose header was read with `readHeader`. Throws FrameError. */
  decode(h: FrameHeader): unknown {
    const enc = h.encoding;
    if (enc === Encoding.Record) return this.record(h);
    if (enc === Encoding.None) {
      if (h.payloadBytes !== 0) throw new FrameError(`empty encoding with ${h.payloadBytes} payload bytes`);
      return undefined;
    }
    const compressed = (h.flags & FLAG_LZ4) !== 0;
    // A view of the payload alone: msgpackr's fast paths for small messages key on its length
    // (unpacking in place from the whole block with start/end measured 30x slower).
    const bytes = this.payloadView(h);
    if (enc === Encoding.Msgpack) return decodeMsgpack(compressed ? decompress(bytes) : bytes);
    return rawArray(enc - Encoding.Raw, compressed ? decompress(bytes) : bytes);
  }

  private payloadView(h: FrameHeader): Uint8Array {
    return framePayload(this.views.u8, h);
  }

  private record(h: FrameHeader): unknown {
    if (h.payloadBytes < 8) throw new FrameError(`record payload of ${h.payloadBytes} bytes has no layout id`);
    const id = recordIdAt(this.views, h.payloadByte);
    let reader = this.readers.get(id);
    if (reader === undefined) {
      reader = recordTypeById(id).reader(this.buffer);
      this.readers.set(id, reader);
    }
    const expected = reader.view.$record.payloadBytes;
    if (h.payloadBytes !== expected) {
      throw new FrameError(`record '${reader.view.$record.name}' needs ${expected} payload bytes, frame has ${h.payloadBytes}`);
    }
    return reader.at(h.payloadByte);
  }
}

/** A typed array that owns a copy of the bytes (the ring space is reused once the handler returns). */
function rawArray(type: number, bytes: Uint8Array): RawTypedArray {
  const T = RAW_TYPES[type]!;
  if (bytes.length % T.BYTES_PER_ELEMENT !== 0) {
    throw new FrameError(`${bytes.length} bytes is not a whole number of ${T.name} elements`);
  }
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return new T(copy);
}
