import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { Encoding, FRAME_HEADER_BYTES, RAW_TYPES, emptyHeader, framePrefixBytes, frameTopic, readHeader, writeHeader } from '../../../src/transport/codec/frame.js';
import { PayloadDecoder, PayloadEncoder } from '../../../src/transport/codec/payload.js';
import { FrameBuffer } from '../frame-buffer.js';
import type { LengthField } from '../mutate.js';
import { Rng } from '../rng.js';
import type { FuzzTarget } from '../target.js';
import { messageValue, sampleOf } from '../values.js';
import { msgpackLengthFields } from './msgpack.js';
import { FUZZ_RECORDS, recordPayload, recordValues } from './records.js';

/** A frame's fields besides its payload. */
interface FrameFields {
  kind: number;
  corr: number;
  from: number;
  sentAt: number;
  topic: string;
}

/** A whole frame (header, padded topic, payload) as writeFrame lays it in a ring. */
export function frameOf(f: FrameFields, encoding: number, flags: number, payload: Uint8Array): Uint8Array {
  const topic = Buffer.from(f.topic, 'utf8');
  const prefix = framePrefixBytes(topic.length);
  const out = new Uint8Array(prefix + payload.length);
  writeHeader(new DataView(out.buffer), 0, f.kind, flags, encoding, payload.length, f.corr, f.from, topic.length, f.sentAt);
  out.set(topic, FRAME_HEADER_BYTES);
  out.set(payload, prefix);
  return out;
}

const frameFields: fc.Arbitrary<FrameFields> = fc.record({
  kind: fc.integer({ min: 1, max: 5 }),
  corr: fc.nat(0xffffffff),
  from: fc.nat(0xffff),
  sentAt: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 2e12, noNaN: true })),
  topic: fc.oneof(fc.constant(''), fc.string({ unit: 'binary', maxLength: 24 })),
});

function rawSeed(rng: Rng): unknown {
  const T = rng.pick(RAW_TYPES);
  const n = rng.between(0, 64);
  const bytes = rng.chance(0.5) ? rng.bytes(n * T.BYTES_PER_ELEMENT) : new Uint8Array(n * T.BYTES_PER_ELEMENT).fill(rng.below(256));
  return new T(bytes.buffer);
}

const frame = new FrameBuffer();
const decoder = new PayloadDecoder(frame.buffer);
const header = emptyHeader();

/** A frame decoded as a receiver does: header, topic, payload; a record read out, a typed array checked and measured. */
function decodeFrame(bytes: Uint8Array): unknown {
  frame.place(bytes, 0);
  const h = readHeader(frame.dv, 0, bytes.length, header);
  const topic = frameTopic(frame.buffer, h);
  let value = decoder.decode(h);
  if (h.encoding === Encoding.Record) value = (value as { toObject(): unknown }).toObject();
  else if (h.encoding >= Encoding.Raw) {
    const T = RAW_TYPES[h.encoding - Encoding.Raw]!;
    if (!(value instanceof T)) throw new Error(`a raw payload of encoding ${h.encoding} decoded to something else than a ${T.name}`);
    value = { [T.name]: value.length };
  }
  return { kind: h.kind, corr: h.corr, from: h.from, sentAt: h.sentAt, topic, value };
}

const GOOD_FIELDS: FrameFields = { kind: 5, corr: 0, from: 3, sentAt: 0, topic: 'md.AAPL' };
const GOOD_VALUE = { px: 101.5, qty: 300 };
const GOOD = frameOf(GOOD_FIELDS, Encoding.Msgpack, 0, new PayloadEncoder(Infinity).encode(GOOD_VALUE).bytes);
const GOOD_DECODED = { ...GOOD_FIELDS, value: GOOD_VALUE };

/** The ring frame decoder: readHeader, the topic, and the payload decoder (msgpack, lz4, raw typed arrays, records, empty). */
export const ringFrameTarget: FuzzTarget = {
  name: 'ring-frame',
  seeds(seed) {
    const rng = new Rng(seed);
    const fields = sampleOf(frameFields, seed, 600);
    const values = sampleOf(messageValue, seed + 1, 400);
    const seeds: Uint8Array[] = [];
    fields.forEach((f, i) => {
      const pick = i % 6;
      if (pick === 4) {
        const type = rng.pick(FUZZ_RECORDS);
        seeds.push(frameOf(f, Encoding.Record, 0, recordPayload(type, sampleOf(recordValues(type), seed + i, 1)[0])));
        return;
      }
      const value = pick === 5 ? (rng.chance(0.2) ? undefined : rawSeed(rng)) : values[i % values.length];
      // Some compressed: a low threshold makes lz4 payloads of msgpack and of typed arrays alike.
      const encoder = new PayloadEncoder(rng.chance(0.3) ? 64 : Infinity).encode(value);
      seeds.push(frameOf(f, encoder.encoding, encoder.flags, encoder.bytes));
    });
    return seeds;
  },
  lengthFields: ringFrameLengthFields,
  reseal(bytes) {
    // The header's payload length made to agree with the bytes, so that a mutated payload reaches its decoder.
    if (bytes.length < FRAME_HEADER_BYTES) return bytes;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const prefix = framePrefixBytes(dv.getUint16(14, true));
    if (prefix <= bytes.length) dv.setUint32(4, bytes.length - prefix, true);
    return bytes;
  },
  decode: decodeFrame,
  goodStillDecodes: () => isDeepStrictEqual(decodeFrame(GOOD), GOOD_DECODED),
};

/** The header's payload and topic lengths; inside the payload, the lz4 size prefix or msgpack's lengths. */
function ringFrameLengthFields(bytes: Uint8Array): LengthField[] {
  if (bytes.length < FRAME_HEADER_BYTES) return [];
  const out: LengthField[] = [
    { at: 4, width: 4, littleEndian: true },
    { at: 14, width: 2, littleEndian: true },
  ];
  const prefix = framePrefixBytes(bytes[14]! | (bytes[15]! << 8));
  if (prefix >= bytes.length) return out;
  if ((bytes[2]! & 1) !== 0) out.push({ at: prefix, width: 4, littleEndian: true });
  else if (bytes[3] === Encoding.Msgpack) out.push(...msgpackLengthFields(bytes.subarray(prefix), prefix));
  return out;
}
