import { Packr } from 'msgpackr';
import { CacheValueError } from './errors.js';

/**
 * How a cached value is kept as bytes: a typed array as its own bytes (read back as a new array of
 * the same type), anything else as msgpack (records, arrays, strings, numbers, maps). A value
 * msgpack cannot carry faithfully (a function, a symbol, a class instance other than the plain ones
 * msgpack knows, a bigint past 64 bits) is refused by name rather than stored as something else.
 */
export const KIND_MSGPACK = 0;
/** A string value as its UTF-8, which a reader decodes straight from shared memory (msgpack's decoding costs several times more). */
export const KIND_STRING = 100;
/** A number as its 8 bytes, read in place. */
export const KIND_NUMBER = 101;
const TYPED: readonly (new (buffer: ArrayBufferLike, offset?: number, length?: number) => ArrayBufferView)[] = [
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  BigInt64Array,
  BigUint64Array,
];

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });
const numberBytes = new Float64Array(1);

export function encodeValue(value: unknown, key: string): { kind: number; bytes: Uint8Array } {
  if (typeof value === 'string') return { kind: KIND_STRING, bytes: Buffer.from(value, 'utf8') };
  if (typeof value === 'number') {
    numberBytes[0] = value;
    return { kind: KIND_NUMBER, bytes: new Uint8Array(numberBytes.buffer) };
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const kind = TYPED.findIndex((t) => value instanceof t) + 1;
    if (kind > 0) return { kind, bytes: new Uint8Array(value.buffer, value.byteOffset, value.byteLength) };
  }
  checkCarriable(value, key, 'value', new Set());
  try {
    return { kind: KIND_MSGPACK, bytes: packr.pack(value) };
  } catch (err) {
    throw new CacheValueError(key, `msgpack could not encode it: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function decodeValue(kind: number, bytes: Uint8Array): unknown {
  if (kind === KIND_STRING) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (kind === KIND_NUMBER) return new Float64Array(bytes.buffer, bytes.byteOffset, 1)[0];
  if (kind === KIND_MSGPACK) return packr.unpack(bytes);
  const Type = TYPED[kind - 1]!;
  const per = (Type as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  return new Type(bytes.buffer, bytes.byteOffset, bytes.byteLength / per); // bytes is a fresh copy, aligned at 0
}

/** Refuses what msgpack would silently turn into something else. */
function checkCarriable(v: unknown, key: string, path: string, seen: Set<object>): void {
  switch (typeof v) {
    case 'function':
    case 'symbol':
      throw new CacheValueError(key, `${path} is a ${typeof v}, which msgpack cannot carry`);
    case 'object': {
      if (v === null || v instanceof Date || v instanceof Uint8Array) return;
      if (seen.has(v)) throw new CacheValueError(key, `${path} refers back to itself (a cycle msgpack cannot carry)`);
      if (ArrayBuffer.isView(v)) throw new CacheValueError(key, `${path} is a ${v.constructor.name} inside a value: only a whole value is kept as a typed array; nested, use a Uint8Array or plain numbers`);
      const proto = Object.getPrototypeOf(v);
      if (!Array.isArray(v) && !(v instanceof Map) && proto !== Object.prototype && proto !== null) {
        throw new CacheValueError(key, `${path} is a ${(v as object).constructor?.name ?? 'class'} instance, which msgpack would flatten to a plain object`);
      }
      seen.add(v);
      if (v instanceof Map) for (const [k, x] of v) checkCarriable(x, key, `${path}.get(${String(k)})`, seen);
      else for (const [k, x] of Object.entries(v)) checkCarriable(x, key, Array.isArray(v) ? `${path}[${k}]` : `${path}.${k}`, seen);
      seen.delete(v);
      return;
    }
    default:
      return;
  }
}
