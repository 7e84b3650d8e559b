/** The typed arrays kernels take and give. */
export type NumericArray = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

export type NumericArrayConstructor =
  | Float64ArrayConstructor
  | Float32ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int8ArrayConstructor
  | Uint8ArrayConstructor;

/**
 * A typed array backed by a SharedArrayBuffer: passed to the kernel pool (and between threads) by
 * reference, never copied. Zero-filled.
 */
export function sharedArray<C extends NumericArrayConstructor>(type: C, length: number): InstanceType<C> {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`sharedArray: length must be a non-negative integer; got ${String(length)}`);
  // (the lib typings of TypedArray constructors predate SharedArrayBuffer; the runtime takes one)
  return new type(new SharedArrayBuffer(length * type.BYTES_PER_ELEMENT) as unknown as ArrayBuffer) as InstanceType<C>;
}

/** A shared copy of `values` (one copy now, so that no call copies it again). */
export function toShared<T extends NumericArray>(values: T): T {
  const ctor = values.constructor as NumericArrayConstructor;
  const copy = sharedArray(ctor, values.length) as unknown as T;
  copy.set(values as never);
  return copy;
}

export function isShared(a: ArrayBufferView): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

/**
 * The bytes a structured clone of `value` copies: the typed arrays in it that are not shared
 * (nested in plain objects and arrays, as kernel inputs and results are). Shared ones cost nothing.
 */
export function bytesCopied(value: unknown, depth = 0): number {
  if (value === null || typeof value !== 'object' || depth > 4) return 0;
  if (ArrayBuffer.isView(value)) return isShared(value) ? 0 : value.byteLength;
  if (value instanceof ArrayBuffer) return value.byteLength;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) n += bytesCopied(v, depth + 1);
    return n;
  }
  for (const k in value) n += bytesCopied((value as Record<string, unknown>)[k], depth + 1);
  return n;
}
