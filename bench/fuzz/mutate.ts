import type { Rng } from './rng.js';

/** A length or count field inside an input: where, how wide, which byte order. */
export interface LengthField {
  at: number;
  width: 1 | 2 | 4;
  littleEndian: boolean;
}

/** What a mutation may draw on besides the input: the other valid inputs, and where the input's length fields are. */
export interface MutationContext {
  pool: readonly Uint8Array[];
  lengthFields(bytes: Uint8Array): LengthField[];
}

/** No mutated input grows past this (the decoders' own limits are far above; fuzzing big inputs is slow, not deeper). */
export const MAX_INPUT_BYTES = 64 * 1024;

type Mutation = (bytes: Uint8Array, rng: Rng, ctx: MutationContext) => Uint8Array;

/** Byte values that sit on the edges of msgpack tokens, flag bits and small lengths. */
const INTERESTING_BYTES = [0x00, 0x01, 0x07, 0x08, 0x10, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc7, 0xd4, 0xd8, 0xdc, 0xdf, 0xe0, 0xfe, 0xff];

const flipBit: Mutation = (bytes, rng) => {
  if (bytes.length === 0) return bytes;
  bytes[rng.below(bytes.length)]! ^= 1 << rng.below(8);
  return bytes;
};

const setByte: Mutation = (bytes, rng) => {
  if (bytes.length === 0) return bytes;
  bytes[rng.below(bytes.length)] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.below(256);
  return bytes;
};

const insertBytes: Mutation = (bytes, rng) => {
  const at = rng.below(bytes.length + 1);
  const n = rng.chance(0.8) ? rng.between(1, 4) : rng.between(5, 64);
  const added = rng.chance(0.5) ? rng.bytes(n) : Uint8Array.from({ length: n }, () => rng.pick(INTERESTING_BYTES));
  return concat(bytes.subarray(0, at), added, bytes.subarray(at));
};

const deleteRange: Mutation = (bytes, rng) => {
  if (bytes.length === 0) return bytes;
  const at = rng.below(bytes.length);
  const n = Math.min(bytes.length - at, rng.chance(0.8) ? rng.between(1, 4) : rng.between(5, 256));
  return concat(bytes.subarray(0, at), bytes.subarray(at + n));
};

const truncate: Mutation = (bytes, rng) => bytes.slice(0, rng.below(bytes.length + 1));

/** Writes an edge value (0, 1, the maximum, off by one from what it held, the input's length...) into a length field. */
const corruptLength: Mutation = (bytes, rng, ctx) => {
  const fields = ctx.lengthFields(bytes).filter((f) => f.at + f.width <= bytes.length);
  if (fields.length === 0) return setByte(bytes, rng, ctx);
  const f = rng.pick(fields);
  const max = f.width === 4 ? 0xffffffff : f.width === 2 ? 0xffff : 0xff;
  const was = readField(bytes, f);
  const value = rng.pick([0, 1, max, max >>> 1, (max >>> 1) + 1, was + 1, was - 1, was * 2, was >>> 1, bytes.length, bytes.length - f.at, rng.u32()]);
  writeField(bytes, f, value & max);
  return bytes;
};

/** The start of this input and the end of another one (or of itself). */
const splice: Mutation = (bytes, rng, ctx) => {
  const other = rng.chance(0.8) ? rng.pick(ctx.pool) : bytes;
  return concat(bytes.subarray(0, rng.below(bytes.length + 1)), other.subarray(rng.below(other.length + 1)));
};

/** A run of this input copied to another place in it (repeats a length field, a token, an entry). */
const duplicateRange: Mutation = (bytes, rng) => {
  if (bytes.length === 0) return bytes;
  const from = rng.below(bytes.length);
  const n = Math.min(bytes.length - from, rng.between(1, 32));
  const at = rng.below(bytes.length + 1);
  return concat(bytes.subarray(0, at), bytes.slice(from, from + n), bytes.subarray(at));
};

/** A run of another valid input written over part of this one, same length. */
const overwriteFromOther: Mutation = (bytes, rng, ctx) => {
  const other = rng.pick(ctx.pool);
  if (bytes.length === 0 || other.length === 0) return bytes;
  const n = Math.min(rng.between(1, 32), other.length, bytes.length);
  bytes.set(other.subarray(rng.below(other.length - n + 1)).subarray(0, n), rng.below(bytes.length - n + 1));
  return bytes;
};

const MUTATIONS: readonly Mutation[] = [flipBit, flipBit, setByte, setByte, insertBytes, deleteRange, truncate, corruptLength, corruptLength, splice, duplicateRange, overwriteFromOther];

/** `bytes` (which it may change in place) with one random mutation applied. */
export function mutateOnce(bytes: Uint8Array, rng: Rng, ctx: MutationContext): Uint8Array {
  const out = rng.pick(MUTATIONS)(bytes, rng, ctx);
  return out.length > MAX_INPUT_BYTES ? out.slice(0, MAX_INPUT_BYTES) : out;
}

export function readField(bytes: Uint8Array, f: LengthField): number {
  let v = 0;
  for (let k = 0; k < f.width; k++) v = v * 256 + bytes[f.at + (f.littleEndian ? f.width - 1 - k : k)]!;
  return v;
}

export function writeField(bytes: Uint8Array, f: LengthField, value: number): void {
  for (let k = 0; k < f.width; k++) {
    bytes[f.at + (f.littleEndian ? k : f.width - 1 - k)] = value & 0xff;
    value = Math.floor(value / 256);
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
