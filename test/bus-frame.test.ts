import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameError } from '../src/transport/errors.js';
import { BUS_HEADER_BYTES, BusKind, MAX_BUS_FRAME_BYTES, decodeBusFrame, encodeBusFrame, type BusMessage } from '../src/transport/redis/bus-frame.js';

const message = fc.record({
  kind: fc.constantFrom(...Object.values(BusKind)),
  address: fc.string({ maxLength: 40 }),
  id: fc.string({ maxLength: 40 }),
  origin: fc.option(fc.record({ host: fc.string({ maxLength: 10 }), from: fc.nat(0xffff), corr: fc.nat(0xffffffff) }), { nil: undefined }),
  body: fc.oneof(fc.integer(), fc.string(), fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0))), fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__'), fc.integer())),
}) as fc.Arbitrary<BusMessage>;

describe('the bus frame', () => {
  it('round-trips any batch of messages, compressed or not', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 50 }), (messages) => {
        const plain = messages.map(({ origin, ...m }) => (origin === undefined ? m : { ...m, origin }));
        expect(decodeBusFrame(encodeBusFrame(messages))).toEqual(plain);
      }),
    );
    const big = Array.from({ length: 500 }, (_, i) => ({ kind: BusKind.Send, address: 'risk', id: `h1:${i}`, body: { px: 101.5, i } }));
    const frame = encodeBusFrame(big);
    expect(frame.readUInt8(5) & 1).toBe(1); // lz4
    expect(decodeBusFrame(frame)).toEqual(big);
  });

  it('rejects every fault with a FrameError that names it', () => {
    const good = encodeBusFrame([{ kind: BusKind.Publish, address: 'md.AAPL', id: 'h:1', body: { px: 1 } }]);
    const bad = (mutate: (b: Buffer) => Buffer, why: RegExp): void => {
      const b = mutate(Buffer.from(good));
      expect(() => decodeBusFrame(b)).toThrow(FrameError);
      expect(() => decodeBusFrame(b)).toThrow(why);
    };
    bad(() => Buffer.from('hello, I am not a frame at all'), /magic .* is not 'DBUS'/);
    bad((b) => (b.writeUInt8(9, 4), b), /version 9; this build reads version 1/);
    bad((b) => (b.writeUInt8(0x80, 5), b), /flags 0x80 has unknown bits/);
    bad((b) => (b.writeUInt16LE(0, 6), b), /holds no message/);
    bad((b) => (b[b.length - 1]! ^= 0xff, b), /checksum mismatch/);
    bad((b) => b.subarray(0, 7), /shorter than its 16-byte header/);
    for (let cut = BUS_HEADER_BYTES; cut < good.length; cut++) expect(() => decodeBusFrame(good.subarray(0, cut))).toThrow(FrameError);
    const incompressible = randomBytes(MAX_BUS_FRAME_BYTES).toString('base64');
    expect(() => encodeBusFrame([{ kind: BusKind.Send, address: 'x', id: 'y', body: incompressible }])).toThrow(/over the limit/);
    expect(() => encodeBusFrame([])).toThrow(/1 to 65535 messages/);
  });

  it('rejects a corrupt lz4 body even when its checksum was made to match', async () => {
    const { crc32 } = await import('node:zlib');
    const frame = encodeBusFrame(Array.from({ length: 200 }, (_, i) => ({ kind: BusKind.Send, address: 'a', id: String(i), body: 'x'.repeat(20) })));
    expect(frame.readUInt8(5) & 1).toBe(1);
    const body = frame.subarray(BUS_HEADER_BYTES);
    for (let i = 4; i < body.length; i += 7) body[i] = 0xff;
    frame.writeUInt32LE(crc32(body), 12);
    expect(() => decodeBusFrame(frame)).toThrow(/does not decompress|body is \d+ bytes|entry \d+/);
  });

  it('decodes data only: msgpack extensions that would build objects are not honoured', () => {
    const frame = encodeBusFrame([{ kind: BusKind.Send, address: 'a', id: '1', body: { __proto__x: 1, constructor: 'no' } }]);
    expect(decodeBusFrame(frame)[0]!.body).toEqual({ __proto__x: 1, constructor: 'no' });
  });
});
