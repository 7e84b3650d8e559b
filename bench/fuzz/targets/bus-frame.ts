import { isDeepStrictEqual } from 'node:util';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { compressSync } from 'lz4-napi';
import { decompress } from '../../../src/transport/codec/compress.js';
import { Encoding, FLAG_LZ4 } from '../../../src/transport/codec/frame.js';
import { BUS_HEADER_BYTES, BusKind, decodeBusFrame, encodeBusFrame, type BusMessage } from '../../../src/transport/redis/bus-frame.js';
import { concat, mutateOnce, type LengthField } from '../mutate.js';
import type { FuzzTarget } from '../target.js';
import { sampleOf } from '../values.js';

const payloadOf: fc.Arbitrary<Pick<BusMessage, 'encoding' | 'flags' | 'payload'>> = fc.oneof(
  fc.record({ encoding: fc.constant(Encoding.Msgpack), flags: fc.constant(0), payload: fc.uint8Array({ maxLength: 48 }) }),
  fc.record({ encoding: fc.constant(Encoding.Msgpack), flags: fc.constant(FLAG_LZ4), payload: fc.uint8Array({ minLength: 4, maxLength: 48 }) }),
  fc.record({ encoding: fc.integer({ min: Encoding.Raw, max: Encoding.Raw + 10 }), flags: fc.constantFrom(0, FLAG_LZ4), payload: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ encoding: fc.constant(Encoding.Record), flags: fc.constant(0), payload: fc.uint8Array({ minLength: 8, maxLength: 48 }) }),
  fc.record({ encoding: fc.constant(Encoding.None), flags: fc.constant(0), payload: fc.constant(new Uint8Array(0)) }),
);

const message: fc.Arbitrary<BusMessage> = fc
  .record({
    kind: fc.constantFrom(...Object.values(BusKind)),
    address: fc.oneof(fc.constantFrom('risk', 'md.AAPL', ''), fc.string({ unit: 'binary', maxLength: 20 })),
    from: fc.nat(0xffff),
    corr: fc.nat(0xffffffff),
    body: payloadOf,
  })
  .map(({ body, ...m }) => ({ ...m, ...body }));

const frameArgs = fc.record({
  origin: fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }),
  instance: fc.nat(0xffffffff),
  firstSeq: fc.nat(2 ** 40),
  messages: fc.oneof(
    { arbitrary: fc.array(message, { minLength: 1, maxLength: 8 }), weight: 4 },
    // Many alike: a body above the compression threshold that lz4 shrinks.
    { arbitrary: fc.tuple(message, fc.integer({ min: 40, max: 200 })).map(([m, n]) => Array.from({ length: n }, () => m)), weight: 1 },
  ),
});

/** What a bridge takes from a decoded frame, as plain data. */
function decodeFrame(bytes: Uint8Array): unknown {
  const f = decodeBusFrame(bytes);
  return { origin: f.origin, instance: f.instance, entries: f.entries.map((e, i) => ({ ...e, payload: f.payload(i).length })) };
}

const GOOD = encodeBusFrame('host-a', 7, 1, [{ kind: BusKind.Publish, address: 'md.AAPL', encoding: Encoding.Msgpack, payload: Uint8Array.of(0x81, 0xa2, 0x70, 0x78, 0x01) }]);
const GOOD_DECODED = decodeFrame(GOOD);

/** The bus frame decoder: header, crc32, lz4 body, origin, entries. */
export const busFrameTarget: FuzzTarget = {
  name: 'bus-frame',
  seeds(seed) {
    return sampleOf(frameArgs, seed, 300).map((a) => Uint8Array.from(encodeBusFrame(a.origin, a.instance, a.firstSeq, a.messages)));
  },
  lengthFields: busLengthFields,
  reseal(bytes, rng, ctx) {
    // The checksum (and the body length) made to agree with the mutated bytes; for an lz4 body,
    // often a mutation of the body itself, compressed again: otherwise nearly every mutation
    // stops at the checksum or at lz4, and the entries behind them are never reached.
    if (bytes.length < BUS_HEADER_BYTES) return bytes;
    let out = bytes;
    if ((out[5]! & FLAG_LZ4) !== 0 && rng.chance(0.6)) {
      let body: Uint8Array;
      try {
        body = Uint8Array.from(decompress(out.subarray(BUS_HEADER_BYTES)));
      } catch {
        body = out.subarray(BUS_HEADER_BYTES);
      }
      body = mutateOnce(body, rng, { pool: ctx.pool, lengthFields: (b) => bodyLengthFields(b, 0) });
      out = concat(out.subarray(0, BUS_HEADER_BYTES), compressSync(Buffer.from(body)));
      writeU32(out, 8, body.length);
    } else if ((out[5]! & FLAG_LZ4) === 0) writeU32(out, 8, out.length - BUS_HEADER_BYTES);
    writeU32(out, 12, crc32(out.subarray(BUS_HEADER_BYTES)));
    return out;
  },
  decode: decodeFrame,
  goodStillDecodes: () => isDeepStrictEqual(decodeFrame(GOOD), GOOD_DECODED),
};

function writeU32(b: Uint8Array, at: number, v: number): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, v >>> 0, true);
}

/** The header's count and body length; then the lz4 size prefix, or the origin's and each entry's lengths. */
function busLengthFields(bytes: Uint8Array): LengthField[] {
  if (bytes.length < BUS_HEADER_BYTES) return [];
  const out: LengthField[] = [
    { at: 6, width: 2, littleEndian: true },
    { at: 8, width: 4, littleEndian: true },
  ];
  if ((bytes[5]! & FLAG_LZ4) !== 0) out.push({ at: BUS_HEADER_BYTES, width: 4, littleEndian: true });
  else out.push(...bodyLengthFields(bytes.subarray(BUS_HEADER_BYTES), BUS_HEADER_BYTES));
  return out;
}

function bodyLengthFields(body: Uint8Array, base: number): LengthField[] {
  if (body.length < 2) return [];
  const out: LengthField[] = [{ at: base, width: 2, littleEndian: true }];
  let at = 2 + (body[0]! | (body[1]! << 8)) + 12;
  while (at + 16 <= body.length && out.length < 64) {
    out.push({ at: base + at + 6, width: 2, littleEndian: true }, { at: base + at + 12, width: 4, littleEndian: true });
    const dv = new DataView(body.buffer, body.byteOffset + at, 16);
    at += 16 + dv.getUint16(6, true) + dv.getUint32(12, true);
  }
  return out;
}
