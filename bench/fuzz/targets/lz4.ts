import { isDeepStrictEqual } from 'node:util';
import { compressSync } from 'lz4-napi';
import { decompress } from '../../../src/transport/codec/compress.js';
import type { LengthField } from '../mutate.js';
import { Rng } from '../rng.js';
import type { FuzzTarget } from '../target.js';
import { msgpackSeeds } from './msgpack.js';

/** The lz4 body decoder (payloads and bus frame bodies), on bodies compressed by lz4-napi as dualbus sends them. */
export const lz4Target: FuzzTarget = {
  name: 'lz4',
  seeds(seed) {
    const rng = new Rng(seed);
    const plain: Uint8Array[] = [new Uint8Array(0), new Uint8Array(1), new Uint8Array(5000)];
    for (const m of msgpackSeeds(seed, 150)) plain.push(m);
    for (let i = 0; i < 100; i++) {
      // Runs of a short unit: long matches, length-extension bytes, overlapping copies.
      const unit = rng.bytes(rng.between(1, 24));
      const out = new Uint8Array(rng.between(16, 4096));
      for (let k = 0; k < out.length; k++) out[k] = unit[k % unit.length]!;
      if (rng.chance(0.3)) {
        const noise = rng.bytes(rng.between(1, 16));
        out.set(noise, rng.below(out.length - noise.length + 1));
      }
      plain.push(out);
    }
    for (let i = 0; i < 20; i++) plain.push(rng.bytes(rng.between(1, 600))); // incompressible
    return plain.map((p) => Uint8Array.from(compressSync(Buffer.from(p))));
  },
  lengthFields: lz4LengthFields,
  decode: decompress,
  goodStillDecodes: () => isDeepStrictEqual(Uint8Array.from(decompress(GOOD)), GOOD_PLAIN),
};

const GOOD_PLAIN = Uint8Array.from(Buffer.from('dualbus '.repeat(40)));
const GOOD = Uint8Array.from(compressSync(Buffer.from(GOOD_PLAIN)));

/**
 * The size prefix (u32 little-endian at 0), then, walking the lz4 block's sequences, each token
 * byte (literal and match lengths in its two halves) and each match offset (u16 little-endian).
 */
function lz4LengthFields(bytes: Uint8Array): LengthField[] {
  const out: LengthField[] = [{ at: 0, width: 4, littleEndian: true }];
  let at = 4;
  while (at < bytes.length && out.length < 64) {
    const token = bytes[at]!;
    out.push({ at, width: 1, littleEndian: true });
    at++;
    let literals = token >> 4;
    if (literals === 15) {
      let more: number;
      do {
        more = bytes[at++] ?? 0;
        literals += more;
      } while (more === 255 && at < bytes.length);
    }
    at += literals;
    if (at + 2 > bytes.length) break; // the last sequence has no match
    out.push({ at, width: 2, littleEndian: true });
    at += 2;
    if ((token & 15) === 15) while (at < bytes.length && bytes[at++] === 255);
  }
  return out;
}
