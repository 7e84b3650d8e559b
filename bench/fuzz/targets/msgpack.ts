import { isDeepStrictEqual } from 'node:util';
import { Encoding } from '../../../src/transport/codec/frame.js';
import { PayloadEncoder } from '../../../src/transport/codec/payload.js';
import { decodeMsgpack } from '../../../src/transport/codec/msgpack-decode.js';
import { hostileMsgpack } from '../hostile-msgpack.js';
import type { LengthField } from '../mutate.js';
import type { FuzzTarget } from '../target.js';
import { messageValue, sampleOf } from '../values.js';

/** The msgpack payload decoder, on payloads as `PayloadEncoder` writes them and on hostile ones. */
export const msgpackTarget: FuzzTarget = {
  name: 'msgpack',
  seeds(seed) {
    return [...msgpackSeeds(seed, 400), ...hostileMsgpack().map((h) => h.bytes)];
  },
  lengthFields: (bytes) => msgpackLengthFields(bytes, 0),
  decode: decodeMsgpack,
  goodStillDecodes: () => isDeepStrictEqual(decodeMsgpack(GOOD), GOOD_VALUE),
};

const GOOD_VALUE = { sym: 'AAPL', px: 101.5, qty: 300, tags: ['a', 'b'], at: new Date(1_700_000_000_123) };
const GOOD = msgpackOf(GOOD_VALUE);

/** `n` messages encoded as `PayloadEncoder` does (never compressed, never raw). */
export function msgpackSeeds(seed: number, n: number): Uint8Array[] {
  return sampleOf(messageValue, seed, n).map(msgpackOf);
}

/** `value` as `PayloadEncoder` writes it in msgpack (a value it would send raw or empty goes inside an object). */
export function msgpackOf(value: unknown): Uint8Array {
  const encoder = new PayloadEncoder(Infinity).encode(value);
  if (encoder.encoding !== Encoding.Msgpack) return msgpackOf({ value });
  return Uint8Array.from(encoder.bytes); // a copy: the encoder reuses its buffer
}

/**
 * The length and count fields of a msgpack byte string, found by walking its tokens (stops where
 * the bytes stop making sense): fix-type headers (whose low bits are a length), and the 1-, 2- or
 * 4-byte big-endian lengths of str, bin, ext, array and map. `base` is added to every offset.
 */
export function msgpackLengthFields(bytes: Uint8Array, base: number): LengthField[] {
  const out: LengthField[] = [];
  const field = (at: number, width: 1 | 2 | 4): void => void out.push({ at: base + at, width, littleEndian: false });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length && out.length < 64) {
    const b = bytes[at]!;
    if (b < 0x80 || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3)) at += 1;
    else if (b < 0xa0) field(at++, 1);
    else if (b < 0xc0) {
      field(at, 1);
      at += 1 + (b & 0x1f);
    } else if (b >= 0xca && b <= 0xd8) at += FIXED_SIZES[b - 0xca]!;
    else {
      const width = LENGTH_WIDTH[b];
      if (width === undefined || at + 1 + width > bytes.length) break;
      field(at + 1, width);
      const n = width === 1 ? bytes[at + 1]! : width === 2 ? dv.getUint16(at + 1) : dv.getUint32(at + 1);
      // str/bin: the bytes follow; ext: a type byte and the bytes; array/map: only the header.
      at += 1 + width + (b >= 0xdc ? 0 : b >= 0xc7 && b <= 0xc9 ? 1 + n : n);
    }
  }
  return out;
}

// Sizes of the tokens 0xca..0xd8 (floats, ints, fixext 1..16 with their type byte).
const FIXED_SIZES = [5, 9, 2, 3, 5, 9, 2, 3, 5, 9, 3, 4, 6, 10, 18];
const LENGTH_WIDTH: Record<number, 1 | 2 | 4> = { 0xc4: 1, 0xc5: 2, 0xc6: 4, 0xc7: 1, 0xc8: 2, 0xc9: 4, 0xd9: 1, 0xda: 2, 0xdb: 4, 0xdc: 2, 0xdd: 4, 0xde: 2, 0xdf: 4 };
