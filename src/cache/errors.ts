import { DualbusError } from '../transport/errors.js';

/** A key the cache cannot take (not a string or bytes, empty, or too long). */
export class CacheKeyError extends DualbusError {
  constructor(cache: string, reason: string) {
    super('CacheKeyError', `cache '${cache}': ${reason}`);
  }
}

/** A value the cache cannot keep (msgpack cannot carry it, or it is larger than the cache). */
export class CacheValueError extends DualbusError {
  constructor(key: string, reason: string) {
    super('CacheValueError', `cache key '${key}': ${reason}`);
  }
}

/** No cache of that name was configured. */
export class UnknownCache extends DualbusError {
  constructor(name: string, known: readonly string[]) {
    super('UnknownCache', `no cache named '${name}'; configured: ${known.join(', ')} (createSystem({ caches: { ${name}: { maxBytes } } }) adds one)`);
  }
}
