// JSON text for what actors send and publish. Messages arrive as msgpack data, which JSON cannot
// all say as it is: a record view (its fields are getters on a view of the ring, valid only while
// its handler runs), typed arrays (JSON.stringify would write them as objects keyed "0", "1"...),
// and BigInts (JSON.stringify throws on them).

/** `value` as JSON text, read at once (a record view is copied now, while it is still valid). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, replacer) ?? 'null';
}

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value)) {
    if (value instanceof BigInt64Array || value instanceof BigUint64Array) return Array.from(value, (b) => replacer.call(undefined, '', b));
    if (value instanceof DataView) return Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    return Array.from(value as unknown as ArrayLike<number>);
  }
  if (isRecordView(value)) return value.toObject();
  return value;
}

/** A record read in place (records.ts): it carries its type as `$record`, and `toObject()` copies its fields. */
function isRecordView(value: object): value is { toObject(): Record<string, number | boolean> } {
  return '$record' in value && typeof (value as { toObject?: unknown }).toObject === 'function';
}
