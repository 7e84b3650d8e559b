import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compressSync } from 'lz4-napi';
import { Packr, addExtension } from 'msgpackr';
import { Endpoint } from '../src/transport/endpoint/endpoint.js';
import { Mailbox } from '../src/transport/ring/mailbox.js';
import { Encoding, FLAG_LZ4, FRAME_HEADER_BYTES, emptyHeader, framePrefixBytes, readHeader, writeHeader } from '../src/transport/codec/frame.js';
import { decodeMsgpack } from '../src/transport/codec/msgpack-decode.js';
import { PayloadDecoder } from '../src/transport/codec/payload.js';
import { defineRecord } from '../src/transport/codec/records.js';
import { FrameError, InvalidRecord } from '../src/transport/errors.js';
import { Kind } from '../src/transport/protocol.js';

/** An endpoint that sends to itself: every value goes through the frame codec and a real ring. */
function loopback(compressAbove = 1024): { ep: Endpoint; roundTrip(send: () => boolean): { value: unknown; flags: number; encoding: number; topic: string } } {
  const mailbox = Mailbox.create(1 << 20, 1 << 12);
  const ep = new Endpoint({ id: 1, name: 'self', mailbox, compressAbove, latencySampleEvery: 1, onBadFrame: (e) => { throw e; } });
  ep.setPeers([{ id: 1, name: 'self', block: mailbox.block, messagesBytes: 1 << 20, repliesBytes: 1 << 12 }]);
  return {
    ep,
    roundTrip(send) {
      expect(send()).toBe(true);
      let out: { value: unknown; flags: number; encoding: number; topic: string } | undefined;
      mailbox.messages.drain((byte, len) => {
        const h = ep.readFrame(byte, len);
        let value = ep.decode(h);
        if (h.encoding === Encoding.Record) value = (value as { toObject(): unknown }).toObject();
        out = { value, flags: h.flags, encoding: h.encoding, topic: ep.topicOf(h) };
      }, 1);
      return out!;
    },
  };
}

const Quote = defineRecord({ bid: 'f64', ask: 'f64', size: 'f32', venue: 'u16', sym: 'u32', flags: 'u8', delta: 'i16', live: 'bool', lvl: 'i8', n: 'i32' }, { name: 'quote' });

describe('the frame codec', () => {
  it('round-trips any msgpack value through a ring, compressed or not', () => {
    const { ep, roundTrip } = loopback(64);
    const self = ep.peer('self');
    fc.assert(
      // msgpackr renames a key '__proto__' to '__proto_' (its guard against prototype pollution).
      fc.property(fc.jsonValue({ maxDepth: 4 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')), (value) => {
        const got = roundTrip(() => ep.send(self, value));
        expect(got.value).toEqual(JSON.parse(JSON.stringify(value))); // msgpack has no -0: it arrives as 0
      }),
      { numRuns: 500 },
    );
  });

  it('compresses with lz4 above the threshold (flagged in the header) and not below it', () => {
    const { ep, roundTrip } = loopback(1024);
    const self = ep.peer('self');
    const big = { rows: Array.from({ length: 200 }, (_, i) => ({ sym: 'AAPL', px: 100 + (i % 3) })) };
    const small = { sym: 'AAPL', px: 101.5 };
    const b = roundTrip(() => ep.send(self, big));
    expect(b.flags & FLAG_LZ4).toBe(FLAG_LZ4);
    expect(b.value).toEqual(big);
    const s = roundTrip(() => ep.send(self, small));
    expect(s.flags & FLAG_LZ4).toBe(0);
    expect(s.value).toEqual(small);
  });

  it('sends typed arrays as raw bytes, without msgpack, and hands back an owned copy', () => {
    const { ep, roundTrip } = loopback(1 << 30);
    const self = ep.peer('self');
    fc.assert(
      fc.property(fc.float64Array({ maxLength: 300 }), fc.int32Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (f, i, u) => {
        for (const arr of [f, i, u]) {
          const got = roundTrip(() => ep.send(self, arr));
          expect(got.encoding).toBeGreaterThanOrEqual(Encoding.Raw);
          expect(got.value).toBeInstanceOf(arr.constructor);
          expect(Array.from(got.value as ArrayLike<number>)).toEqual(Array.from(arr));
          expect((got.value as Uint8Array).buffer).not.toBeInstanceOf(SharedArrayBuffer);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a bin value inside a plain value arrives as an owned copy: the ring space it came from is zeroed and reused', () => {
    const { ep, roundTrip } = loopback();
    const self = ep.peer('self');
    const got = roundTrip(() => ep.send(self, { bytes: Uint8Array.of(1, 2, 3, 4) })).value as { bytes: Uint8Array };
    roundTrip(() => ep.send(self, { other: 'x'.repeat(64) })); // writes over where the first one lay
    expect(got.bytes.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(got.bytes)).toEqual([1, 2, 3, 4]);
  });

  it('an extension type the receiving thread registered itself decodes through its handler; the refused ones stay refused even when registered', () => {
    class Pair {
      constructor(readonly a: number, readonly b: number) {}
    }
    // Registered in this test file's own module context (vitest isolates files): the user's choice, as in test/fixtures/money.ts.
    addExtension({ Class: Pair, type: 0x2b, write: (p: Pair) => [p.a, p.b], read: ([a, b]: [number, number]) => new Pair(a, b) });
    addExtension({ type: 0x73, unpack: () => 'a Set handler of the user' });
    expect(decodeMsgpack(new Packr({ useRecords: false }).pack({ p: new Pair(1, 2) }))).toEqual({ p: new Pair(1, 2) });
    expect(() => decodeMsgpack(Uint8Array.of(0xd4, 0x73, 0x00, 0x90))).toThrow(/0x73 .* is refused/);
  });

  it('round-trips records field by field, with the topic of a publish', () => {
    const { ep, roundTrip } = loopback();
    ep.setSubscriptions([{ id: 1, pattern: 'q.*' }]);
    const self = ep.peer('self');
    const values = fc.record({
      bid: fc.double({ noNaN: true }),
      ask: fc.double({ noNaN: true }),
      size: fc.float({ noNaN: true }).map(Math.fround),
      venue: fc.integer({ min: 0, max: 0xffff }),
      sym: fc.integer({ min: 0, max: 0xffffffff }),
      flags: fc.integer({ min: 0, max: 255 }),
      delta: fc.integer({ min: -32768, max: 32767 }),
      live: fc.boolean(),
      lvl: fc.integer({ min: -128, max: 127 }),
      n: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    });
    fc.assert(
      fc.property(values, fc.boolean(), (v, publish) => {
        const got = roundTrip(() => (publish ? ep.publishRecord('q.AAPL', Quote, v) : ep.sendRecord(self, Quote, v)));
        expect(got.encoding).toBe(Encoding.Record);
        expect(got.value).toEqual(v);
        expect(got.topic).toBe(publish ? 'q.AAPL' : '');
      }),
      { numRuns: 500 },
    );
  });

  it('reads a record in place: one view object for every message, no copy', () => {
    const mailbox = Mailbox.create(1 << 12, 1 << 12);
    const ep = new Endpoint({ id: 1, name: 'self', mailbox, compressAbove: 1024, latencySampleEvery: 1, onBadFrame: () => {} });
    ep.setPeers([{ id: 1, name: 'self', block: mailbox.block, messagesBytes: 1 << 12, repliesBytes: 1 << 12 }]);
    const views = new Set<unknown>();
    const pxs: number[] = [];
    for (let i = 0; i < 10; i++) ep.sendRecord(ep.peer('self'), Quote, { bid: i, ask: i + 1, size: 1, venue: 1, sym: 1, flags: 0, delta: 0, live: true, lvl: 0, n: i });
    mailbox.messages.drain((byte, len) => {
      const v = ep.decode(ep.readFrame(byte, len)) as { bid: number };
      views.add(v);
      pxs.push(v.bid);
    }, 100);
    expect(views.size).toBe(1);
    expect(pxs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('record values that are not objects are refused before anything is claimed: the ring stays usable and in order', () => {
    const mailbox = Mailbox.create(1 << 12, 1 << 12);
    const ep = new Endpoint({ id: 1, name: 'self', mailbox, compressAbove: 1024, latencySampleEvery: 1, onBadFrame: (e) => { throw e; } });
    ep.setPeers([{ id: 1, name: 'self', block: mailbox.block, messagesBytes: 1 << 12, repliesBytes: 1 << 12 }]);
    const self = ep.peer('self');
    const q = (n: number) => ({ bid: n, ask: n + 1, size: 1, venue: 1, sym: 1, flags: 0, delta: 0, live: true, lvl: 0, n });
    expect(ep.sendRecord(self, Quote, q(0))).toBe(true);
    expect(() => ep.sendRecord(self, Quote, null as never)).toThrow(InvalidRecord);
    expect(() => ep.sendRecordBatch(self, Quote, [q(1), 7 as never, q(2)])).toThrow(/record 'quote': values\[1\] must be an object with its fields; got 7/);
    expect(ep.sendRecordBatch(self, Quote, [q(1), q(2)])).toBe(2);
    const ns: number[] = [];
    mailbox.messages.drain((byte, len) => void ns.push((ep.decode(ep.readFrame(byte, len)) as { n: number }).n), 100);
    expect(ns).toEqual([0, 1, 2]);
    expect(mailbox.messages.blockedByClaim()).toBe(false);
  });

  it('round-trips frame headers', () => {
    const buf = new ArrayBuffer(4096);
    const dv = new DataView(buf);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }), fc.constantFrom(Encoding.Msgpack, Encoding.Record, Encoding.None, Encoding.Raw + 8),
        fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 1000 }), fc.double({ min: 0, max: 2e12, noNaN: true }),
        (kind, encoding, payload, corr, from, topic, sentAt) => {
          writeHeader(dv, 8, kind, 0, encoding, payload, corr, from, topic, sentAt);
          const h = readHeader(dv, 8, framePrefixBytes(topic) + payload, emptyHeader());
          expect([h.kind, h.encoding, h.payloadBytes, h.corr, h.from, h.topicBytes, h.sentAt]).toEqual([kind, encoding, payload, corr, from, topic, sentAt]);
          expect(h.payloadByte).toBe(8 + framePrefixBytes(topic));
        },
      ),
    );
  });
});

describe('malformed frames', () => {
  function frame(bytes: number[] | Uint8Array, total?: number): { dv: DataView; len: number } {
    const u8 = new Uint8Array(Math.max(64, bytes.length));
    u8.set(bytes);
    return { dv: new DataView(u8.buffer), len: total ?? bytes.length };
  }
  function headerOf(kind: number, flags: number, encoding: number, payloadBytes: number, topicBytes = 0): Uint8Array {
    const u8 = new Uint8Array(FRAME_HEADER_BYTES + payloadBytes + ((topicBytes + 7) & ~7));
    writeHeader(new DataView(u8.buffer), 0, kind, flags, encoding, payloadBytes, 0, 0, topicBytes, 0);
    return u8;
  }
  const reject = (bytes: Uint8Array, len: number, match: RegExp): void => {
    const { dv } = frame(bytes);
    expect(() => readHeader(dv, 0, len, emptyHeader())).toThrow(FrameError);
    expect(() => readHeader(dv, 0, len, emptyHeader())).toThrow(match);
  };

  it('rejects each broken header field with an error naming it', () => {
    const ok = headerOf(Kind.Send, 0, Encoding.Msgpack, 4);
    reject(ok.slice(0, 10), 10, /shorter than the 24-byte header/);
    reject(Uint8Array.from([9, ...ok.slice(1)]), ok.length, /version 9/);
    reject(Uint8Array.from([1, 77, ...ok.slice(2)]), ok.length, /unknown kind 77/);
    reject(Uint8Array.from([1, 1, 0x80, ...ok.slice(3)]), ok.length, /unknown flags 0x80/);
    reject(Uint8Array.from([1, 1, 0, 9, ...ok.slice(4)]), ok.length, /unknown encoding 9/);
    reject(headerOf(Kind.Send, FLAG_LZ4, Encoding.Record, 16), FRAME_HEADER_BYTES + 16, /lz4 flag on encoding 2/);
    reject(ok, ok.length - 2, /truncated: header announces 28 bytes, only 26 present/);
    reject(ok, ok.length + 8, /8 stray bytes/);
  });

  function decodeFrame(u8: Uint8Array): unknown {
    const dv = new DataView(u8.buffer, u8.byteOffset);
    const h = readHeader(dv, 0, u8.length, emptyHeader());
    return new PayloadDecoder(u8.buffer).decode(h);
  }
  function withPayload(encoding: number, flags: number, payload: Uint8Array): Uint8Array {
    const u8 = headerOf(Kind.Send, flags, encoding, payload.length);
    u8.set(payload, FRAME_HEADER_BYTES);
    return u8;
  }

  it('rejects payloads that do not decode: bad msgpack, corrupt or lying lz4, torn typed arrays, unknown records', () => {
    expect(() => decodeFrame(withPayload(Encoding.Msgpack, 0, Uint8Array.from([0xc1])))).toThrow(/never-used byte 0xc1 at byte 0/);
    expect(() => decodeFrame(withPayload(Encoding.Msgpack, 0, Uint8Array.from([0x92, 0x01])))).toThrow(FrameError);
    const packed = compressSync(Buffer.from(new Packr().pack({ a: 'x'.repeat(3000) })));
    const corrupt = Uint8Array.from(packed);
    corrupt.fill(0xff, 8, 40);
    expect(() => decodeFrame(withPayload(Encoding.Msgpack, FLAG_LZ4, corrupt))).toThrow(/lz4 payload/);
    const lying = Uint8Array.from(packed);
    lying.set([0xff, 0xff, 0xff, 0x7f], 0);
    expect(() => decodeFrame(withPayload(Encoding.Msgpack, FLAG_LZ4, lying))).toThrow(/claims 2147483647 decoded bytes/);
    expect(() => decodeFrame(withPayload(Encoding.Msgpack, FLAG_LZ4, Uint8Array.from([1, 2])))).toThrow(/no size prefix/);
    // A prefix lz4 could never expand the block to is refused before anything is allocated (it cost 2.5 s per GiB claimed).
    const boastful = Uint8Array.from(packed);
    boastful.set([0x00, 0x00, 0x00, 0x20], 0); // 512 MiB from a few dozen bytes
    const started = performance.now();
    expect(() => decodeFrame(withPayload(Encoding.Msgpack, FLAG_LZ4, boastful))).toThrow(/claims 536870912 decoded bytes, more than its \d+-byte lz4 block can hold \(255x\)/);
    expect(performance.now() - started).toBeLessThan(50);
    expect(() => decodeFrame(withPayload(Encoding.Raw + 8, 0, new Uint8Array(12)))).toThrow(/not a whole number of Float64Array elements/);
    const unknownId = new Uint8Array(16).fill(0xab);
    unknownId.fill(0, 4, 8);
    expect(() => decodeFrame(withPayload(Encoding.Record, 0, unknownId))).toThrow(/unknown record layout id 0xabababab/);
    expect(() => decodeFrame(withPayload(Encoding.Record, 0, new Uint8Array(16).fill(0xab)))).toThrow(/record payload's reserved word is 0xabababab, not 0/);
    expect(() => decodeFrame(withPayload(Encoding.None, 0, new Uint8Array(8)))).toThrow(/empty encoding with 8 payload bytes/);
  });

  it('random bytes are rejected with a FrameError or decode to a value, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), fc.boolean(), (bytes, plausible) => {
        const u8 = Uint8Array.from(bytes);
        if (plausible && u8.length >= FRAME_HEADER_BYTES) {
          u8[0] = 1; // get past the version check more often
          new DataView(u8.buffer).setUint16(14, 0, true);
          new DataView(u8.buffer).setUint32(4, u8.length - FRAME_HEADER_BYTES, true);
        }
        try {
          decodeFrame(u8);
        } catch (err) {
          expect(err).toBeInstanceOf(FrameError);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
