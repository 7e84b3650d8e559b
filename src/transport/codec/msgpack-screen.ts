import { FrameError } from '../errors.js';

/**
 * The check a msgpack payload passes before msgpackr reads it: its structure, and the extension
 * types it may use.
 *
 * Why a walk of our own: msgpackr decodes every extension type in its table, that table is one per
 * process (`addExtension` is global, an Unpackr cannot have its own), and several of its built-in
 * types construct what the payload names: an Error of any class the payload names (and, for a name
 * like 'constructor', calls a function of Object.prototype), a RegExp of the payload's pattern (a
 * ReDoS waiting for its first match), a Set, a typed array, an ArrayBuffer or a DataView, a BigInt
 * of any size; others change how the rest is read (structured-clone references make shared and
 * cyclic values, record definitions a new key layout compiled to a function, bundled strings a
 * jump elsewhere in the payload). PayloadEncoder writes none of them (moreTypes and useRecords off),
 * so the payload decoder refuses them all, wherever they sit, before anything is built.
 *
 * Accepted extension types: 0 (undefined, as msgpackr writes it in arrays and objects) and -1 (the
 * msgpack timestamp: a Date, a plain value; 4, 8 or 12 bytes, or 1 byte for an invalid Date as
 * msgpackr writes it). Any other type is left to msgpackr: an error when this thread registered
 * none, the thread's own handler when it did (`addExtension` in the user's modules, their choice).
 * Past such an extension the walk can no longer count values (a handler may read the value after
 * it), so it only goes on refusing the types above.
 *
 * The walk also checks what msgpackr would otherwise find by reading past the end or running out
 * of stack: every length within the bytes, containers no larger than the bytes left, nesting no
 * deeper than MAX_MSGPACK_DEPTH, and nothing after the value.
 */

/**
 * Containers nested deeper than this are refused. msgpackr's recursive decoder overflows the stack
 * at about 4,400 levels; its encoder at about 1,360 levels of objects (2,700 of arrays).
 */
export const MAX_MSGPACK_DEPTH = 2048;

/** The extension types refused, with what msgpackr would make of them. */
const REFUSED: ReadonlyMap<number, string> = new Map([
  [0x42, 'a BigInt of any size'],
  [0x62, 'bundled strings'],
  [0x65, 'an Error of a class the payload names'],
  [0x69, 'a structured-clone reference (shared or cyclic values)'],
  [0x70, 'a structured-clone pointer (shared or cyclic values)'],
  [0x72, 'a record definition'],
  [0x73, 'a Set'],
  [0x74, 'a typed array, ArrayBuffer or DataView'],
  [0x78, 'a RegExp'],
]);
const TIMESTAMP = 0xff; // extension type -1
const UNDEFINED = 0x00;

/**
 * Bytes of each token whose size its first byte tells (its header, for arrays and maps); 0 for
 * those with a length field (str, bin, ext), and for 0xc1, which msgpack never uses.
 */
const TOKEN_BYTES = new Uint8Array(256);
for (let t = 0; t < 0xa0; t++) TOKEN_BYTES[t] = 1; // positive fixint, fixmap, fixarray
for (let t = 0xa0; t < 0xc0; t++) TOKEN_BYTES[t] = 1 + (t & 0x1f); // fixstr
for (let t = 0xe0; t < 0x100; t++) TOKEN_BYTES[t] = 1; // negative fixint
for (const [t, n] of [[0xc0, 1], [0xc2, 1], [0xc3, 1], [0xca, 5], [0xcb, 9], [0xcc, 2], [0xcd, 3], [0xce, 5], [0xcf, 9], [0xd0, 2], [0xd1, 3], [0xd2, 5], [0xd3, 9], [0xdc, 3], [0xdd, 5], [0xde, 3], [0xdf, 5]]) TOKEN_BYTES[t!] = n!;

/** Which tokens open a container, and where its count is: in the token, or in the 2 or 4 bytes after it. */
const FIX_MAP = 1;
const FIX_ARRAY = 2;
const MAP_16 = 3;
const ARRAY_16 = 4;
const MAP_32 = 5;
const ARRAY_32 = 6;
const OPENS = new Uint8Array(256); // 0: opens nothing
for (let t = 0x80; t < 0x90; t++) OPENS[t] = FIX_MAP;
for (let t = 0x90; t < 0xa0; t++) OPENS[t] = FIX_ARRAY;
OPENS[0xde] = MAP_16;
OPENS[0xdc] = ARRAY_16;
OPENS[0xdf] = MAP_32;
OPENS[0xdd] = ARRAY_32;

// Values still to read in each open container, the top level first. One walk at a time per thread.
// Int32 is enough: a count larger than the bytes left is refused before it is stored.
const pending = new Int32Array(MAX_MSGPACK_DEPTH + 1);

/** Throws a FrameError naming the first thing in `bytes` the payload decoder refuses (see above). */
export function screenMsgpack(bytes: Uint8Array): void {
  const end = bytes.length;
  if (end === 0) throw new FrameError('msgpack payload of 0 bytes holds no value');
  let at = 0;
  let depth = 0;
  pending[0] = 1;
  while (at < end) {
    const token = bytes[at]!;
    const size = TOKEN_BYTES[token]!;
    if (size === 0) {
      const next = afterLengthToken(bytes, at, token);
      if (next < 0) return screenTokens(bytes, -next);
      at = next;
    } else {
      const opens = OPENS[token]!;
      at += size;
      if (opens !== 0) {
        const values = valuesIn(bytes, at - size, token, opens);
        if (values > 0) {
          // Every value takes a byte at least: a larger count is a lie, whatever follows.
          if (values > end - at) throw tooMany(at - size, opens, values, end - at);
          if (depth === MAX_MSGPACK_DEPTH) throw new FrameError(`msgpack payload nests deeper than ${MAX_MSGPACK_DEPTH} levels`);
          pending[++depth] = values;
          continue;
        }
      }
    }
    // A value ended here; so did every container it was the last value of.
    while (--pending[depth]! === 0) {
      if (depth === 0) {
        if (at > end) throw cutShort(at - end);
        if (at < end) throw new FrameError(`${end - at} stray bytes after the msgpack value`);
        return;
      }
      depth--;
    }
  }
  if (at > end) throw cutShort(at - end);
  throw new FrameError(`msgpack payload ends inside its value (a container at depth ${depth} still expects ${pending[depth]} values)`);
}

/** The values in the container whose header is at `at`: its entries twice for a map (keys and values). */
function valuesIn(bytes: Uint8Array, at: number, token: number, opens: number): number {
  switch (opens) {
    case FIX_MAP: return (token & 0x0f) * 2;
    case FIX_ARRAY: return token & 0x0f;
    case MAP_16: return lengthAt(bytes, at, 2) * 2;
    case ARRAY_16: return lengthAt(bytes, at, 2);
    case MAP_32: return lengthAt(bytes, at, 4) * 2;
    default: return lengthAt(bytes, at, 4);
  }
}

function tooMany(at: number, opens: number, values: number, left: number): FrameError {
  const map = opens === FIX_MAP || opens === MAP_16 || opens === MAP_32;
  return new FrameError(`msgpack ${map ? 'map' : 'array'} at byte ${at} announces ${map ? values / 2 : values} entries in ${left} bytes`);
}

/**
 * Past an extension that is not ours to judge: refuses the types above and checks lengths, token
 * by token, without counting values.
 */
function screenTokens(bytes: Uint8Array, at: number): void {
  const end = bytes.length;
  while (at < end) {
    const token = bytes[at]!;
    const size = TOKEN_BYTES[token]!;
    if (size !== 0) at += size;
    else at = Math.abs(afterLengthToken(bytes, at, token));
  }
  if (at > end) throw cutShort(at - end);
}

/**
 * Where the token at `at` (one TOKEN_BYTES has no size for) ends; negated when it is an extension
 * of a type neither accepted nor refused here. Throws a FrameError for 0xc1, a length past the end,
 * a refused extension type or a timestamp of another length.
 */
function afterLengthToken(bytes: Uint8Array, at: number, token: number): number {
  switch (token) {
    case 0xc1: throw new FrameError(`msgpack payload has the never-used byte 0xc1 at byte ${at}`);
    case 0xc4: case 0xd9: return within(bytes, at, 2 + lengthAt(bytes, at, 1));
    case 0xc5: case 0xda: return within(bytes, at, 3 + lengthAt(bytes, at, 2));
    case 0xc6: case 0xdb: return within(bytes, at, 5 + lengthAt(bytes, at, 4));
    case 0xc7: return extension(bytes, at, 3, lengthAt(bytes, at, 1));
    case 0xc8: return extension(bytes, at, 4, lengthAt(bytes, at, 2));
    case 0xc9: return extension(bytes, at, 6, lengthAt(bytes, at, 4));
    default: return extension(bytes, at, 2, 1 << (token - 0xd4)); // fixext 1, 2, 4, 8, 16: 0xd4..0xd8
  }
}

function extension(bytes: Uint8Array, at: number, headerBytes: number, dataBytes: number): number {
  if (at + headerBytes > bytes.length) throw cutShort(at + headerBytes - bytes.length);
  const type = bytes[at + headerBytes - 1]!;
  const next = within(bytes, at, headerBytes + dataBytes);
  if (type === UNDEFINED) return next;
  if (type === TIMESTAMP) {
    if (dataBytes === 4 || dataBytes === 8 || dataBytes === 12 || dataBytes === 1) return next;
    throw new FrameError(`msgpack timestamp at byte ${at} has ${dataBytes} bytes (a timestamp has 4, 8 or 12)`);
  }
  const refused = REFUSED.get(type);
  if (refused !== undefined) {
    throw new FrameError(`msgpack extension type 0x${type.toString(16)} at byte ${at} is refused: msgpackr would make ${refused} of it, and payloads carry plain data only`);
  }
  return -next;
}

/** The big-endian length of `width` bytes after the token at `at`. */
function lengthAt(bytes: Uint8Array, at: number, width: 1 | 2 | 4): number {
  if (at + 1 + width > bytes.length) throw cutShort(at + 1 + width - bytes.length);
  const b = at + 1;
  if (width === 1) return bytes[b]!;
  if (width === 2) return (bytes[b]! << 8) | bytes[b + 1]!;
  return ((bytes[b]! << 24) | (bytes[b + 1]! << 16) | (bytes[b + 2]! << 8) | bytes[b + 3]!) >>> 0;
}

/** Where a token of `bytes` bytes at `at` ends, when it ends within the payload. */
function within(bytes: Uint8Array, at: number, tokenBytes: number): number {
  const end = at + tokenBytes;
  if (end > bytes.length) throw new FrameError(`msgpack value at byte ${at} announces ${tokenBytes} bytes, ${bytes.length - at} are left`);
  return end;
}

function cutShort(missing: number): FrameError {
  return new FrameError(`msgpack payload is cut short: ${missing} more bytes needed`);
}
