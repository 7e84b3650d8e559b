import { Packr } from 'msgpackr';

/**
 * msgpack payloads no dualbus encoder writes, made by msgpackr with its other options or by hand:
 * extension types that construct objects (Error by a name the payload chooses, RegExp, Set, typed
 * arrays, BigInt), structured-clone references, record definitions, bundled strings, unknown
 * extension types; and, for contrast, what the decoder accepts as data (timestamps, undefined,
 * 64-bit integers, an object that was a class instance). Each says what the payload decoder must
 * do with it: reject it with a FrameError, or give back exactly `value`.
 */
export interface HostilePayload {
  name: string;
  bytes: Uint8Array;
  expect: 'reject' | { value: unknown };
}

const moreTypes = new Packr({ moreTypes: true, useRecords: false });
const structuredClone = new Packr({ structuredClone: true, useRecords: false });
const records = new Packr({ useRecords: true });
const bundled = new Packr({ bundleStrings: true, useRecords: false });
const plain = new Packr({ useRecords: false, moreTypes: false });

const str = (s: string): number[] => [0xa0 | s.length, ...Buffer.from(s, 'latin1')];
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

class Point {
  x = 1;
  y = 2;
}

function cyclicArray(): unknown[] {
  const a: unknown[] = [1];
  a.push(a);
  return a;
}

export function hostileMsgpack(): HostilePayload[] {
  const shared = { n: 1 };
  return [
    { name: 'Error ext 0x65 (TypeError)', bytes: moreTypes.pack(new TypeError('boom')), expect: 'reject' },
    { name: "Error ext 0x65 whose class name is 'constructor' (calls Object)", bytes: bytes(0xd4, 0x65, 0, 0x92, ...str('constructor'), ...str('a')), expect: 'reject' },
    { name: "Error ext 0x65 whose class name is 'toString'", bytes: bytes(0xd4, 0x65, 0, 0x92, ...str('toString'), ...str('a')), expect: 'reject' },
    { name: 'Error ext 0x65 with a made-up class name and a cause', bytes: bytes(0xd4, 0x65, 0, 0x93, ...str('MyError'), ...str('m'), 0x80), expect: 'reject' },
    { name: 'RegExp ext 0x78 (catastrophic backtracking pattern)', bytes: moreTypes.pack(/^(a+)+$/), expect: 'reject' },
    { name: 'RegExp ext 0x78 with an invalid pattern', bytes: bytes(0xd4, 0x78, 0, 0x92, ...str('(('), ...str('')), expect: 'reject' },
    { name: 'Set ext 0x73', bytes: moreTypes.pack(new Set([1, 2])), expect: 'reject' },
    { name: 'typed array ext 0x74 (Float64Array)', bytes: moreTypes.pack(Float64Array.of(1.5, 2.5)), expect: 'reject' },
    { name: 'typed array ext 0x74 (ArrayBuffer, code 16)', bytes: moreTypes.pack(new ArrayBuffer(4)), expect: 'reject' },
    { name: 'typed array ext 0x74 (DataView, code 17)', bytes: moreTypes.pack(new DataView(new ArrayBuffer(4))), expect: 'reject' },
    { name: 'typed array ext 0x74 with an unknown code', bytes: bytes(0xc7, 3, 0x74, 99, 0, 0), expect: 'reject' },
    { name: 'BigInt ext 0x42 (2^100)', bytes: moreTypes.pack(2n ** 100n), expect: 'reject' },
    { name: 'structured clone 0x69/0x70: a cyclic array', bytes: structuredClone.pack(cyclicArray()), expect: 'reject' },
    { name: 'structured clone 0x69/0x70: one object referenced twice', bytes: structuredClone.pack([shared, shared]), expect: 'reject' },
    { name: 'structured clone pointer 0x70 with no target', bytes: bytes(0xd6, 0x70, 0, 0, 0, 1), expect: 'reject' },
    { name: 'record definitions 0xd4 0x72 (useRecords)', bytes: records.pack([{ a: 1, b: 2 }, { a: 3, b: 4 }, { a: 5, b: 6 }, { a: 7, b: 8 }]), expect: 'reject' },
    { name: 'record definition 0xd5 0x72 (two-byte id)', bytes: bytes(0xd5, 0x72, 0x00, 0x01, 0x91, ...str('a'), 0x07), expect: 'reject' },
    { name: 'bundled strings 0x62', bytes: bundled.pack({ a: 'a string long enough to be bundled', b: 'x'.repeat(30) }), expect: 'reject' },
    { name: 'unknown ext type 0x10 (fixext 1)', bytes: bytes(0xd4, 0x10, 0), expect: 'reject' },
    { name: 'unknown ext type 0x2a (ext 8, 3 bytes)', bytes: bytes(0xc7, 3, 0x2a, 1, 2, 3), expect: 'reject' },
    { name: 'unknown ext type -2', bytes: bytes(0xd4, 0xfe, 0), expect: 'reject' },
    { name: 'timestamp ext -1 of 2 bytes (not a timestamp length)', bytes: bytes(0xd5, 0xff, 1, 2), expect: 'reject' },
    { name: 'the never-used byte 0xc1 inside an array', bytes: bytes(0x92, 0x01, 0xc1), expect: 'reject' },
    { name: 'timestamp ext -1, 32-bit', bytes: plain.pack(new Date(1_700_000_000_000)), expect: { value: new Date(1_700_000_000_000) } },
    { name: 'timestamp ext -1, 64-bit', bytes: plain.pack(new Date(1_700_000_000_123)), expect: { value: new Date(1_700_000_000_123) } },
    { name: 'timestamp ext -1, 96-bit (before 1970)', bytes: plain.pack(new Date(-1_500)), expect: { value: new Date(-1_500) } },
    { name: 'undefined ext 0 in an array', bytes: plain.pack([1, undefined]), expect: { value: [1, undefined] } },
    { name: '64-bit integers (BigInt primitives, no extension)', bytes: plain.pack([5n, -(2n ** 63n), 2n ** 64n - 1n]), expect: { value: [5n, -(2n ** 63n), 2n ** 64n - 1n] } },
    { name: "a key '__proto__' (renamed by msgpackr)", bytes: bytes(0x81, ...str('__proto__'), 0x01), expect: { value: { __proto_: 1 } } },
    { name: 'a class instance, as dualbus encodes it (a plain map)', bytes: plain.pack(new Point()), expect: { value: { x: 1, y: 2 } } },
  ];
}
