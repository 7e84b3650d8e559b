import fc from 'fast-check';
import { compressSync } from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { Campaign, failureCount, type FuzzFailure } from '../bench/fuzz/campaign.js';
import { hostileMsgpack } from '../bench/fuzz/hostile-msgpack.js';
import { nonDataIn } from '../bench/fuzz/inert.js';
import { TARGETS } from '../bench/fuzz/targets/index.js';
import { msgpackOf } from '../bench/fuzz/targets/msgpack.js';
import { FUZZ_RECORDS, recordPayload, recordValues, recordsTarget } from '../bench/fuzz/targets/records.js';
import { frameOf, ringFrameTarget } from '../bench/fuzz/targets/ring-frame.js';
import { messageValue, payloadValue } from '../bench/fuzz/values.js';
import { compressIfSmaller, decompress } from '../src/transport/codec/compress.js';
import { Encoding } from '../src/transport/codec/frame.js';
import { decodeMsgpack } from '../src/transport/codec/msgpack-decode.js';
import { MAX_MSGPACK_DEPTH } from '../src/transport/codec/msgpack-screen.js';
import { PayloadEncoder } from '../src/transport/codec/payload.js';
import { Endpoint } from '../src/transport/endpoint/endpoint.js';
import { FrameError } from '../src/transport/errors.js';
import { BusKind, decodeBusFrame, encodeBusFrame, type BusMessage } from '../src/transport/redis/bus-frame.js';
import { Mailbox } from '../src/transport/ring/mailbox.js';

// The short run of `npm run fuzz` (which runs a million inputs per decoder): same decoders, same
// inputs for the same seed. FUZZ_SEED=n picks other inputs; a failure names its index and bytes.
const SEED = Number(process.env.FUZZ_SEED ?? 12);
const INPUTS = 3000;

describe('fuzzed decoders', () => {
  for (const target of Object.values(TARGETS)) {
    it(`${target.name}: ${INPUTS} random and mutated inputs each decode to data or throw a FrameError, and the next good input still decodes`, () => {
      const failures: FuzzFailure[] = [];
      const counts = new Campaign(target, SEED).run(0, INPUTS, failures);
      expect(failures).toEqual([]);
      expect(failureCount(counts)).toBe(0);
      expect(counts.inputs).toBe(INPUTS);
      // Both outcomes are reached: the mutations are not all stopped at the first check.
      expect(counts.ok).toBeGreaterThan(INPUTS / 50);
      expect(counts.frameErrors).toBeGreaterThan(INPUTS / 2);
    });
  }
});

describe('msgpack payloads are data: extension types and class-constructing payloads', () => {
  for (const h of hostileMsgpack()) {
    if (h.expect === 'reject') {
      it(`${h.name}: refused with a FrameError, nothing constructed`, () => {
        let thrown: unknown;
        let value: unknown;
        try {
          value = decodeMsgpack(h.bytes);
        } catch (err) {
          thrown = err;
        }
        expect(value).toBeUndefined();
        expect(thrown).toBeInstanceOf(FrameError);
        expect((thrown as FrameError).code).toBe('FrameError');
      });
    } else {
      const expected = h.expect.value;
      it(`${h.name}: decoded as data`, () => {
        const value = decodeMsgpack(h.bytes);
        expect(value).toEqual(expected);
        expect(nonDataIn(value)).toBeUndefined();
        for (const T of [Error, RegExp, Set, Map, ArrayBuffer, DataView, Float64Array]) expect(value).not.toBeInstanceOf(T);
      });
    }
  }

  it('names the refused extension type and what msgpackr would have made of it', () => {
    const byName = new Map(hostileMsgpack().map((h) => [h.name, h.bytes]));
    expect(() => decodeMsgpack(byName.get('RegExp ext 0x78 (catastrophic backtracking pattern)')!)).toThrow(/extension type 0x78 at byte 0 is refused: msgpackr would make a RegExp/);
    expect(() => decodeMsgpack(byName.get('Error ext 0x65 (TypeError)')!)).toThrow(/0x65 .* an Error of a class the payload names/);
    expect(() => decodeMsgpack(byName.get('record definitions 0xd4 0x72 (useRecords)')!)).toThrow(/0x72 .* a record definition/);
    expect(() => decodeMsgpack(byName.get('unknown ext type 0x10 (fixext 1)')!)).toThrow(/Unknown extension/);
    expect(() => decodeMsgpack(byName.get('timestamp ext -1 of 2 bytes (not a timestamp length)')!)).toThrow(/timestamp at byte 0 has 2 bytes/);
    // Refused anywhere, not only at the top: inside an object, after an accepted extension.
    expect(() => decodeMsgpack(Uint8Array.of(0x82, 0xa1, 0x61, 0xd4, 0x00, 0x00, 0xa1, 0x62, 0xd4, 0x73, 0x00, 0x90))).toThrow(/0x73 at byte 8 .* a Set/);
  });

  it('an invalid Date travels as msgpackr writes it (a 1-byte timestamp) and arrives as an invalid Date', () => {
    const value = decodeMsgpack(msgpackOf({ at: new Date(Number.NaN) })) as { at: Date };
    expect(value.at).toBeInstanceOf(Date);
    expect(Number.isNaN(value.at.getTime())).toBe(true);
  });

  it(`nesting up to ${MAX_MSGPACK_DEPTH} levels decodes; deeper is a FrameError, checked before msgpackr recurses`, () => {
    const nested = (depth: number) => Uint8Array.from([...new Array<number>(depth).fill(0x91), 0xc0]);
    let v = decodeMsgpack(nested(MAX_MSGPACK_DEPTH));
    for (let d = 0; d < MAX_MSGPACK_DEPTH; d++) v = (v as unknown[])[0];
    expect(v).toBeNull();
    expect(() => decodeMsgpack(nested(MAX_MSGPACK_DEPTH + 1))).toThrow(/nests deeper than 2048 levels/);
    expect(() => decodeMsgpack(nested(100_000))).toThrow(FrameError);
  });

  it('structural faults are named before msgpackr reads: lengths past the end, counts larger than the bytes, stray bytes', () => {
    expect(() => decodeMsgpack(Uint8Array.of(0xd9, 0x20, 0x61))).toThrow(/value at byte 0 announces 34 bytes, 3 are left/);
    expect(() => decodeMsgpack(Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff, 0x01))).toThrow(/array at byte 0 announces 4294967295 entries in 1 bytes/);
    expect(() => decodeMsgpack(Uint8Array.of(0x92, 0x91, 0x01))).toThrow(/ends inside its value \(a container at depth 1 still expects 1 values\)/);
    expect(() => decodeMsgpack(Uint8Array.of(0x01, 0x02))).toThrow(/1 stray bytes after the msgpack value/);
    expect(() => decodeMsgpack(Uint8Array.of(0xcb, 0x40))).toThrow(/cut short: 7 more bytes needed/);
    expect(() => decodeMsgpack(new Uint8Array(0))).toThrow(/holds no value/);
  });
});

describe('round trips: what our encoders write, the decoders give back', () => {
  it('msgpack: any plain value', () => {
    fc.assert(
      fc.property(payloadValue, (value) => {
        expect(decodeMsgpack(msgpackOf({ value }))).toEqual({ value });
      }),
      { numRuns: 300 },
    );
  });

  it('lz4: any bytes compressed above the threshold', () => {
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.nat(400)).map(([unit, n]) => Uint8Array.from({ length: unit.length * n }, (_, i) => unit[i % unit.length]!)));
    fc.assert(
      fc.property(bytes, (plain) => {
        const packed = compressIfSmaller(plain, 0) ?? compressSync(Buffer.from(plain));
        expect(Uint8Array.from(decompress(packed))).toEqual(plain);
      }),
      { numRuns: 200 },
    );
  });

  it('records: every field of every layout', () => {
    for (const type of FUZZ_RECORDS) {
      fc.assert(
        fc.property(recordValues(type), (values) => {
          expect(recordsTarget.decode(recordPayload(type, values))).toEqual(values);
        }),
        { numRuns: 100 },
      );
    }
  });

  it('ring frames: header fields, topic and payload, compressed or not', () => {
    const fields = fc.record({ kind: fc.integer({ min: 1, max: 5 }), corr: fc.nat(0xffffffff), from: fc.nat(0xffff), sentAt: fc.double({ min: 0, max: 2e12, noNaN: true }), topic: fc.string({ unit: 'binary', maxLength: 30 }) });
    fc.assert(
      fc.property(fields, messageValue, fc.boolean(), (f, value, compress) => {
        const encoder = new PayloadEncoder(compress ? 32 : Infinity).encode({ value });
        expect(ringFrameTarget.decode(frameOf(f, encoder.encoding, encoder.flags, encoder.bytes))).toEqual({ ...f, value: { value } });
      }),
      { numRuns: 200 },
    );
  });

  it('bus frames: every entry, payloads as opaque bytes', () => {
    const message: fc.Arbitrary<BusMessage> = fc.record({ kind: fc.constantFrom(...Object.values(BusKind)), address: fc.string({ maxLength: 20 }), encoding: fc.constantFrom(Encoding.Msgpack, Encoding.Raw + 8), payload: fc.uint8Array({ maxLength: 64 }), from: fc.nat(0xffff), corr: fc.nat(0xffffffff) });
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 300 }), fc.string({ minLength: 1, maxLength: 10 }), (messages, origin) => {
        const frame = decodeBusFrame(encodeBusFrame(origin, 1, 5, messages));
        expect(frame.entries.map((e, i) => [e.kind, e.address, e.encoding, e.from, e.corr, e.seq, Array.from(frame.payload(i))])).toEqual(messages.map((m, i) => [m.kind, m.address, m.encoding, m.from, m.corr, 5 + i, Array.from(m.payload)]));
      }),
      { numRuns: 100 },
    );
  });
});

describe('after a bad frame the mailbox goes on', () => {
  it('a malformed frame between two good ones is reported and skipped; the good ones arrive whole and in order', () => {
    const mailbox = Mailbox.create(1 << 14, 1 << 12);
    const bad: unknown[] = [];
    const ep = new Endpoint({ id: 1, name: 'self', mailbox, compressAbove: 1 << 30, latencySampleEvery: 1, onBadFrame: (e) => bad.push(e) });
    ep.setPeers([{ id: 1, name: 'self', block: mailbox.block, messagesBytes: 1 << 14, repliesBytes: 1 << 12 }]);
    const self = ep.peer('self');
    const hostile = hostileMsgpack();
    expect(ep.send(self, { n: 1 })).toBe(true);
    for (const h of hostile.filter((x) => x.expect === 'reject')) {
      // A frame a foreign sender could write: a valid header around a refused payload.
      const frame = frameOf({ kind: 1, corr: 0, from: 1, sentAt: 0, topic: '' }, Encoding.Msgpack, 0, h.bytes);
      const at = mailbox.messages.claim(frame.length);
      mailbox.messages.u8.set(frame, at);
      mailbox.messages.publish(at, frame.length);
    }
    expect(ep.send(self, { n: 2 })).toBe(true);
    const got: unknown[] = [];
    mailbox.messages.drain((byte, len) => {
      try {
        got.push(ep.decode(ep.readFrame(byte, len)));
      } catch (err) {
        bad.push(err);
      }
    }, 1000);
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
    expect(bad).toHaveLength(hostile.filter((x) => x.expect === 'reject').length);
    for (const err of bad) expect(err).toBeInstanceOf(FrameError);
    expect(mailbox.messages.depth()).toBe(0);
  });
});
