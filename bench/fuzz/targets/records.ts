import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { Encoding, FRAME_HEADER_BYTES, emptyHeader, readHeader, writeHeader } from '../../../src/transport/codec/frame.js';
import { PayloadDecoder } from '../../../src/transport/codec/payload.js';
import { defineRecord, type RecordType, type RecordValues } from '../../../src/transport/codec/records.js';
import { viewsOf } from '../../../src/transport/buffer-views.js';
import { Kind } from '../../../src/transport/protocol.js';
import { FrameBuffer } from '../frame-buffer.js';
import type { FuzzTarget } from '../target.js';
import { sampleOf } from '../values.js';

/** Record layouts the fuzzed receiver knows (registered in this thread, as a receiver registers its own). */
export const FUZZ_RECORDS: readonly RecordType[] = [
  defineRecord({ px: 'f64', qty: 'f64', ts: 'f64', sym: 'u32' }, { name: 'fuzz-tick' }),
  defineRecord({ bid: 'f64', ask: 'f64', size: 'f32', venue: 'u16', sym: 'u32', flags: 'u8', delta: 'i16', live: 'bool', lvl: 'i8', n: 'i32' }, { name: 'fuzz-quote' }),
  defineRecord({ on: 'bool' }, { name: 'fuzz-flag' }),
  defineRecord({ a: 'i8', b: 'u8', c: 'i16', d: 'u16', e: 'i32', f: 'u32', g: 'f32' }, { name: 'fuzz-small' }),
] as RecordType[];

const FIELD_VALUES: Record<string, fc.Arbitrary<number | boolean>> = {
  f64: fc.double(),
  f32: fc.float().map(Math.fround),
  i32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  u32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  i16: fc.integer({ min: -32768, max: 32767 }),
  u16: fc.integer({ min: 0, max: 65535 }),
  i8: fc.integer({ min: -128, max: 127 }),
  u8: fc.integer({ min: 0, max: 255 }),
  bool: fc.boolean(),
};

/** Values of every field of `type`. */
export function recordValues(type: RecordType): fc.Arbitrary<RecordValues<Record<string, never>>> {
  return fc.record(Object.fromEntries(type.fields.map((f) => [f.name, FIELD_VALUES[f.type]!]))) as never;
}

/** The payload `type.write` makes of `values`. */
export function recordPayload(type: RecordType, values: unknown): Uint8Array {
  const scratch = new ArrayBuffer(type.payloadBytes);
  type.write(viewsOf(scratch), 0, values as never);
  return new Uint8Array(scratch);
}

const frame = new FrameBuffer();
const decoder = new PayloadDecoder(frame.buffer);
const header = emptyHeader();

/** A record payload decoded from a frame of encoding Record in a shared buffer, read out with toObject. */
function decodeRecordPayload(payload: Uint8Array): unknown {
  writeHeader(frame.dv, 0, Kind.Send, 0, Encoding.Record, payload.length, 0, 1, 0, 0);
  frame.place(payload, FRAME_HEADER_BYTES);
  const view = decoder.decode(readHeader(frame.dv, 0, FRAME_HEADER_BYTES + payload.length, header)) as { toObject(): unknown };
  return view.toObject();
}

const GOOD_VALUES = { px: 101.5, qty: 300, ts: 1_700_000_000_123, sym: 7 };
const GOOD = recordPayload(FUZZ_RECORDS[0]!, GOOD_VALUES);

/** The record decoder: a record payload (layout id, reserved word, fields) behind a valid frame header. */
export const recordsTarget: FuzzTarget = {
  name: 'records',
  seeds(seed) {
    return FUZZ_RECORDS.flatMap((type, i) => sampleOf(recordValues(type), seed + i, 60).map((v) => recordPayload(type, v)));
  },
  lengthFields: () => [
    { at: 0, width: 4, littleEndian: true }, // layout id
    { at: 4, width: 4, littleEndian: true }, // reserved word
  ],
  decode: decodeRecordPayload,
  goodStillDecodes: () => isDeepStrictEqual(decodeRecordPayload(GOOD), GOOD_VALUES),
};
