import { InvalidOption } from '../transport/errors.js';

/** `createSystem({ caches: { name: { maxBytes, maxEntries, ttlMs } } })`. */
export interface CacheOptions {
  /** The byte budget of keys and values (rounded to their power-of-two blocks). Default 16 MiB. */
  maxBytes?: number;
  /** At most this many entries. Default: maxBytes / 256. */
  maxEntries?: number;
  /** Time to live of an entry set without its own (0: none, the default). */
  ttlMs?: number;
}

export interface ResolvedCacheOptions {
  maxBytes: number;
  maxEntries: number;
  ttlMs: number;
}

export const DEFAULT_CACHE = 'default';
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const MAX_BYTES_LIMIT = 2 ** 31 - 1; // offsets are Int32 words
const KEYS = ['maxBytes', 'maxEntries', 'ttlMs'];

/** The caches of a system: those configured, and `default` (configured or not). */
export function resolveCacheOptions(given: Record<string, CacheOptions> | undefined): Record<string, ResolvedCacheOptions> {
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) throw new InvalidOption('caches', 'an object { [name]: { maxBytes?, maxEntries?, ttlMs? } }', given);
  const out: Record<string, ResolvedCacheOptions> = {};
  for (const [name, o] of Object.entries<CacheOptions>({ [DEFAULT_CACHE]: {}, ...given })) {
    const at = `caches.${name}`;
    if (!/^[\w.-]+$/.test(name)) throw new InvalidOption(at, 'a name of letters, digits, _, . or -', name);
    if (typeof o !== 'object' || o === null) throw new InvalidOption(at, 'an object { maxBytes?, maxEntries?, ttlMs? }', o);
    for (const key of Object.keys(o)) if (!KEYS.includes(key)) throw new InvalidOption(`${at}.${key}`, `one of ${KEYS.join(', ')} (unknown option)`, key);
    const maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1024 || maxBytes > MAX_BYTES_LIMIT) throw new InvalidOption(`${at}.maxBytes`, `an integer from 1024 to ${MAX_BYTES_LIMIT}`, maxBytes);
    const maxEntries = o.maxEntries ?? Math.max(16, Math.floor(maxBytes / 256));
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1 || maxEntries > 2 ** 24) throw new InvalidOption(`${at}.maxEntries`, 'an integer from 1 to 16777216', maxEntries);
    const ttlMs = o.ttlMs ?? 0;
    if (typeof ttlMs !== 'number' || !(ttlMs >= 0) || ttlMs === Infinity) throw new InvalidOption(`${at}.ttlMs`, 'a finite number >= 0 (0: no expiry)', ttlMs);
    out[name] = { maxBytes, maxEntries, ttlMs };
  }
  return out;
}
