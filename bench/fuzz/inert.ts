/**
 * Where a decoded value holds something other than inert data, or undefined when it holds none.
 * Data is: primitives (bigint included), plain objects and arrays, Dates, and Uint8Arrays
 * (msgpack `bin`). Anything else (an Error, a RegExp, a Set or Map, an ArrayBuffer, another typed
 * array, a function, an object of any other class or prototype) was constructed by the decoder
 * from what the payload said, which the decoders must never do.
 *
 * Iterative: a decoded value can nest as deep as the decoder's stack allowed.
 */
export function nonDataIn(value: unknown): string | undefined {
  const stack: { v: unknown; path: string }[] = [{ v: value, path: '$' }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (v === null || v === undefined) continue;
    const t = typeof v;
    if (t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') continue;
    if (t !== 'object') return `${path} is a ${t}`;
    if (v instanceof Date || v instanceof Uint8Array) {
      if (!isPlainBuiltin(v)) return `${path} is a subclass of ${v.constructor.name}`;
      continue;
    }
    const proto = Object.getPrototypeOf(v) as object | null;
    if (Array.isArray(v)) {
      if (proto !== Array.prototype) return `${path} is an array with another prototype`;
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], path: `${path}[${i}]` });
      continue;
    }
    if (proto !== Object.prototype) return `${path} is a ${describe(v)}`;
    for (const k of Object.keys(v)) stack.push({ v: (v as Record<string, unknown>)[k], path: `${path}.${k}` });
  }
  return undefined;
}

function isPlainBuiltin(v: Date | Uint8Array): boolean {
  const proto = Object.getPrototypeOf(v) as object;
  return proto === Date.prototype || proto === Uint8Array.prototype || proto === Buffer.prototype;
}

function describe(v: object): string {
  const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' ? `${name} instance (${Object.prototype.toString.call(v)})` : Object.prototype.toString.call(v);
}
