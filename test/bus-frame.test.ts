import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Encoding, FLAG_LZ4 } from '../src/transport/codec/frame.js';
import { FrameError } from '../src/transport/errors.js';
import { BUS_HEADER_BYTES, BusFrameBuilder, BusKind, MAX_BUS_FRAME_BYTES, decodeBusFrame, encodeBusFrame, type BusMessage } from '../src/transport/redis/bus-frame.js';

const message: fc.Arbitrary<BusMessage> = fc.record({
  kind: fc.constantFrom(...Object.values(BusKind)),
  address: fc.string({ maxLength: 40 }),
  encoding: fc.constantFrom(Encoding.None, Encoding.Msgpack, Encoding.Record, Encoding.Raw + 8),
  flags: fc.constant(0),
  payload: fc.uint8Array({ maxLength: 200 }),
  from: fc.nat(0xffff),
  corr: fc.nat(0xffffffff),
});

const asRead = (m: BusMessage, seq: number) => ({ kind: m.kind, address: m.address, encoding: m.encoding, flags: m.flags ?? 0, payload: Buffer.from(m.payload), from: m.from ?? 0, corr: m.corr ?? 0, seq });

describe('the bus frame', () => {
  it('round-trips any batch of messages, payloads as opaque bytes, compressed or not', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 50 }), fc.string({ minLength: 1, maxLength: 20 }), fc.nat(), fc.nat(2 ** 40), (messages, origin, instance, first) => {
        const frame = decodeBusFrame(encodeBusFrame(origin, instance, first, messages));
        expect(frame.origin).toBe(origin);
        expect(frame.instance).toBe(instance >>> 0);
        expect(frame.entries.map(({ payloadAt, payloadBytes, ...e }, i) => ({ ...e, payload: Buffer.from(frame.payload(i)) }))).toEqual(messages.map((m, i) => asRead(m, first + i)));
      }),
    );
    const big = Array.from({ length: 500 }, (_, i): BusMessage => ({ kind: BusKind.Send, address: 'risk', encoding: Encoding.Msgpack, payload: Buffer.from(`{"px":101.5,"i":${i}}`) }));
    const frame = encodeBusFrame('h1', 7, 1, big);
    expect(frame.readUInt8(5) & 1).toBe(1); // lz4
    const read = decodeBusFrame(frame);
    expect(read.entries.map((_, i) => Buffer.from(read.payload(i)).toString())).toEqual(big.map((m) => Buffer.from(m.payload).toString()));
  });

  it('carries a payload as its sender encoded it: encoding and flags as given, bytes untouched', () => {
    const lz4Msgpack = Uint8Array.from([9, 0, 0, 0, 1, 2, 3]); // not valid lz4: the bus does not look
    const frame = decodeBusFrame(encodeBusFrame('a', 1, 1, [{ kind: BusKind.Send, address: 'x', encoding: Encoding.Msgpack, flags: FLAG_LZ4, payload: lz4Msgpack }]));
    expect(frame.entries[0]).toMatchObject({ encoding: Encoding.Msgpack, flags: FLAG_LZ4 });
    expect(Array.from(frame.payload(0))).toEqual(Array.from(lz4Msgpack));
  });

  it('the builder says whether a message fits, counting the origin block for a frame\'s first message', () => {
    const origin = 'h'.repeat(1000);
    const b = new BusFrameBuilder(origin, 1);
    const address = Buffer.from('x');
    // 16-byte header, origin block (2 + 1000 + 4 + 8), 16-byte entry header, 1-byte address.
    const room = MAX_BUS_FRAME_BYTES - (BUS_HEADER_BYTES + 2 + origin.length + 12 + 16 + 1);
    expect(b.fits(1, room)).toBe(true);
    expect(b.fits(1, room + 1)).toBe(false);
    b.begin(1);
    const payload = randomBytes(room); // incompressible: sent as it is, exactly at the limit
    b.add(BusKind.Send, address, 3, 0, Encoding.Raw + 8, 0, payload);
    expect(b.fits(1, 0)).toBe(false);
    const frame = b.finish();
    expect(frame.length).toBe(MAX_BUS_FRAME_BYTES);
    const read = decodeBusFrame(frame);
    expect([read.origin, read.entries.length, Buffer.from(read.payload(0)).equals(payload)]).toEqual([origin, 1, true]);
    // The next frame starts small again and grows as it needs to.
    b.begin(2);
    b.add(BusKind.Send, address, 3, 0, Encoding.Msgpack, 0, Uint8Array.of(0xc0));
    expect(decodeBusFrame(b.finish()).entries.map((e) => e.seq)).toEqual([2]);
  });

  it('rejects every fault with a FrameError that names it', () => {
    const good = encodeBusFrame('host-a', 42, 1, [{ kind: BusKind.Publish, address: 'md.AAPL', encoding: Encoding.Msgpack, payload: Uint8Array.from([0x81, 0xa2, 0x70, 0x78, 0x01]) }]);
    const bad = (mutate: (b: Buffer) => Buffer, why: RegExp): void => {
      const b = mutate(Buffer.from(good));
      expect(() => decodeBusFrame(b)).toThrow(FrameError);
      expect(() => decodeBusFrame(b)).toThrow(why);
    };
    bad(() => Buffer.from('hello, I am not a frame at all'), /magic .* is not 'DBUS'/);
    bad((b) => (b.writeUInt8(9, 4), b), /version 9; this build reads version 2/);
    bad((b) => (b.writeUInt8(0x80, 5), b), /flags 0x80 has unknown bits/);
    bad((b) => (b.writeUInt16LE(0, 6), b), /holds no message/);
    bad((b) => (b[b.length - 1]! ^= 0xff, b), /checksum mismatch/);
    bad((b) => b.subarray(0, 7), /shorter than its 16-byte header/);
    for (let cut = BUS_HEADER_BYTES; cut < good.length; cut++) expect(() => decodeBusFrame(good.subarray(0, cut))).toThrow(FrameError);
    expect(() => encodeBusFrame('a', 1, 1, [])).toThrow(/at least one message/);
    expect(() => encodeBusFrame('a', 1, 1, [{ kind: BusKind.Send, address: 'x', encoding: Encoding.Msgpack, payload: randomBytes(MAX_BUS_FRAME_BYTES) }])).toThrow(/over the limit/);
  });

  it('rejects a well-checksummed body whose entries lie: unknown kind, bad encoding or flags, lengths past the end, stray bytes', async () => {
    const { crc32 } = await import('node:zlib');
    const entryAt = BUS_HEADER_BYTES + 2 + 'host-a'.length + 12;
    const forge = (edit: (b: Buffer) => void, grow = 0): Buffer => {
      const b = Buffer.concat([encodeBusFrame('host-a', 1, 1, [{ kind: BusKind.Send, address: 'risk', encoding: Encoding.Msgpack, payload: Uint8Array.from([1]) }]), Buffer.alloc(grow)]);
      edit(b);
      b.writeUInt32LE(b.length - BUS_HEADER_BYTES, 8);
      b.writeUInt32LE(crc32(b.subarray(BUS_HEADER_BYTES)), 12);
      return b;
    };
    expect(() => decodeBusFrame(forge((b) => (b[entryAt] = 9)))).toThrow(/entry 0 has unknown kind 9/);
    expect(() => decodeBusFrame(forge((b) => (b[entryAt + 1] = 7)))).toThrow(/entry 0: unknown encoding 7/);
    expect(() => decodeBusFrame(forge((b) => (b[entryAt + 2] = 0x40)))).toThrow(/entry 0: unknown flags 0x40/);
    expect(() => decodeBusFrame(forge((b) => (b[entryAt + 2] = FLAG_LZ4, b[entryAt + 1] = Encoding.Record)))).toThrow(/lz4 flag on encoding 2/);
    expect(() => decodeBusFrame(forge((b) => b.writeUInt32LE(1000, entryAt + 12)))).toThrow(/ends inside entry 0/);
    expect(() => decodeBusFrame(forge(() => {}, 3))).toThrow(/3 stray bytes/);
    expect(() => decodeBusFrame(forge((b) => b.writeDoubleLE(-1, entryAt - 8)))).toThrow(/first sequence number -1/);
  });

  it('rejects a corrupt lz4 body even when its checksum was made to match', async () => {
    const { crc32 } = await import('node:zlib');
    const frame = encodeBusFrame('a', 1, 1, Array.from({ length: 200 }, (): BusMessage => ({ kind: BusKind.Send, address: 'a', encoding: Encoding.Msgpack, payload: Buffer.from('x'.repeat(20)) })));
    expect(frame.readUInt8(5) & 1).toBe(1);
    const body = frame.subarray(BUS_HEADER_BYTES);
    for (let i = 4; i < body.length; i += 7) body[i] = 0xff;
    frame.writeUInt32LE(crc32(body), 12);
    expect(() => decodeBusFrame(frame)).toThrow(/is corrupt|claims \d+ decoded bytes|body is \d+ bytes|entry \d+|origin|stray/);
  });

  it("an lz4 body whose size prefix disagrees with the header is refused before it is decompressed (a lying prefix cost up to 16 s per frame)", async () => {
    const { crc32 } = await import('node:zlib');
    const frame = encodeBusFrame('a', 1, 1, Array.from({ length: 200 }, (): BusMessage => ({ kind: BusKind.Send, address: 'a', encoding: Encoding.Msgpack, payload: Buffer.from('x'.repeat(20)) })));
    expect(frame.readUInt8(5) & 1).toBe(1);
    for (const claim of [frame.readUInt32LE(8) + 1, 1 << 30, 0xffffffff]) {
      const lying = Buffer.from(frame);
      lying.writeUInt32LE(claim, BUS_HEADER_BYTES);
      lying.writeUInt32LE(crc32(lying.subarray(BUS_HEADER_BYTES)), 12);
      const started = performance.now();
      expect(() => decodeBusFrame(lying)).toThrow(new RegExp(`bus frame body \\(lz4\\) claims ${claim} decoded bytes`));
      expect(performance.now() - started).toBeLessThan(50);
    }
  });

  it('random bytes after a valid header are a FrameError, never anything else', async () => {
    const { crc32 } = await import('node:zlib');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.integer({ min: 1, max: 5 }), (body, count) => {
        const b = Buffer.alloc(BUS_HEADER_BYTES + body.length);
        b.writeUInt32LE(0x44425553, 0);
        b.writeUInt8(2, 4);
        b.writeUInt16LE(count, 6);
        b.writeUInt32LE(body.length, 8);
        b.set(body, BUS_HEADER_BYTES);
        b.writeUInt32LE(crc32(body), 12);
        try {
          decodeBusFrame(b);
        } catch (err) {
          expect(err).toBeInstanceOf(FrameError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
