import { CacheStore, type Found } from './cache-store.js';
import { hashKey } from './key-codec.js';
import { CacheKeyError, CacheValueError } from './errors.js';
import { COMPUTING, FAILED, LIVE, NONE } from './layout.js';
import type { ActorCache, CacheKey, CacheStats } from '../transport/contract.js';
import type { CacheHandle } from '../transport/protocol.js';
import { KIND_MSGPACK, decodeValue, encodeValue } from './values.js';
import { storedKeyBytes, valueOffset } from './key-codec.js';

export type { CacheHandle } from '../transport/protocol.js';
export type { CacheKey, CacheStats } from '../transport/contract.js';

export interface CacheSetOptions {
  /** This entry's time to live (default: the cache's ttlMs; 0: none). */
  ttlMs?: number;
}

/** Keys longer than this (characters of a string, bytes of a Uint8Array) are refused: a key is matched in full on every read. */
export const MAX_KEY_LENGTH = 1024;
/** How long a memo's error stays for the callers that were waiting on it. */
const FAILED_TTL_MS = 1000;
/** A memo waiter looks again this often whether the computing thread is still alive. */
const WAITER_CHECK_MS = 50;


/**
 * One cache as a thread uses it: `ctx.cache(name)` in an actor, `system.cache(name)` in the host,
 * the same memory behind both. Reads happen in the calling thread without a lock and without a
 * message to anyone; writes take the cache's lock for the time of the change.
 */
export class SharedCache implements ActorCache {
  private readonly store: CacheStore;

  constructor(
    private readonly handle: CacheHandle,
    /** This thread's participant slot and generation (memo owners; the stats row). */
    private readonly participant: number,
    private readonly generation: number,
    /** The thread's store of this cache when it has one already (the host's registry). */
    store?: CacheStore,
  ) {
    this.store = store ?? new CacheStore(handle.buffer, handle.geometry, participant);
  }

  get name(): string {
    return this.handle.name;
  }

  /** The value for `key`, or undefined (absent, expired). */
  get<T = unknown>(key: CacheKey): T | undefined {
    const hash = this.hashOf(key);
    const found = this.store.find(key, hash);
    if (found === undefined || found.state !== LIVE || expired(found.expiresAt)) {
      this.store.countMiss(hash);
      return undefined;
    }
    this.store.countHit();
    return valueOf(found) as T;
  }

  has(key: CacheKey): boolean {
    const found = this.store.find(key, this.hashOf(key));
    return found !== undefined && found.state === LIVE && !expired(found.expiresAt);
  }

  set(key: CacheKey, value: unknown, options: CacheSetOptions = {}): void {
    const hash = this.hashOf(key);
    const { kind, bytes } = encodeValue(value, describeKey(key));
    this.putEncoded(key, hash, kind, bytes, this.expiryOf(options), LIVE);
  }

  delete(key: CacheKey): boolean {
    const hash = this.hashOf(key);
    return this.store.locked(() => this.store.remove(key, hash));
  }

  /**
   * The cached value of `key`, or `compute()`'s, stored: when several callers (in any threads of
   * the host) ask for the same missing key at once, one computes and the others wait for its value
   * or its error; if the computing thread dies, a waiter takes over.
   */
  async memo<T>(key: CacheKey, compute: () => T | Promise<T>, options: CacheSetOptions = {}): Promise<T> {
    const hash = this.hashOf(key);
    const k = typeof key === 'string' ? key : key.slice(); // kept across awaits: the caller's bytes may change
    const me = this.participant | (this.generation << 8);
    for (;;) {
      const found = this.store.find(k, hash);
      if (found !== undefined && found.state === LIVE && !expired(found.expiresAt)) {
        this.store.countHit();
        return valueOf(found) as T;
      }
      if (found !== undefined && found.state === FAILED && !expired(found.expiresAt)) throw reviveMemoError(valueOf(found));
      if (found !== undefined && found.state === COMPUTING) {
        const { id, owner, wake } = found; // the store reuses its result object
        if (this.ownerAlive(owner)) {
          await this.store.waitForWake(id, wake, WAITER_CHECK_MS);
          continue;
        }
        const tookOver = this.store.locked(() => this.store.handOver(id, owner, me));
        if (tookOver) return this.computeAndStore(key, k, hash, compute, options);
        continue;
      }
      this.store.countMiss(hash);
      const started = this.store.locked(() => {
        const existing = this.store.lookup(k, hash);
        if (existing !== NONE) {
          if (this.store.stateOf(existing) === COMPUTING || !expired(this.store.expiresAt(existing))) return 'retry'; // begun, set or failed meanwhile: read it
          this.store.remove(k, hash); // expired: computed afresh
        }
        return this.store.beginComputing(k, hash, me) === NONE ? 'uncached' : 'mine';
      });
      if (started === 'retry') continue;
      if (started === 'uncached') return compute(); // no entry free for the marker: compute without single flight
      return this.computeAndStore(key, k, hash, compute, options);
    }
  }

  stats(): CacheStats {
    const { hits, misses } = this.store.hitsAndMisses();
    const c = this.store.counters();
    return { hits, misses, hitRate: hits + misses === 0 ? 0 : hits / (hits + misses), evictions: c.evictions, expirations: c.expirations, entries: c.entries, bytes: c.bytes, maxBytes: this.handle.geometry.maxBytes, maxEntries: this.handle.geometry.maxEntries, resets: c.resets };
  }

  /** The store's own counters recomputed from its entries and lists (for tests and `dualbus` checks). */
  audit(): ReturnType<CacheStore['audit']> {
    return this.store.audit();
  }

  /** Removes expired entries now (the host does it on a timer; reads skip them anyway). */
  sweep(): number {
    return this.store.locked(() => this.store.sweepExpired());
  }

  clear(): void {
    this.store.locked(() => this.store.clear());
  }

  private async computeAndStore<T>(key: CacheKey, k: CacheKey, hash: number, compute: () => T | Promise<T>, options: CacheSetOptions): Promise<T> {
    let value: T;
    try {
      value = await compute();
    } catch (err) {
      const { bytes } = encodeValue(memoErrorOf(err), describeKey(key));
      this.putEncoded(k, hash, KIND_MSGPACK, bytes, Date.now() + FAILED_TTL_MS, FAILED);
      throw err;
    }
    try {
      const { kind, bytes } = encodeValue(value, describeKey(key));
      this.putEncoded(k, hash, kind, bytes, this.expiryOf(options), LIVE);
    } catch (err) {
      // The waiters must not wait for a value that will never be stored: they get this error.
      const { bytes } = encodeValue(memoErrorOf(err), describeKey(key));
      this.putEncoded(k, hash, KIND_MSGPACK, bytes, Date.now() + FAILED_TTL_MS, FAILED);
      throw err;
    }
    return value;
  }

  private putEncoded(key: CacheKey, hash: number, kind: number, bytes: Uint8Array, expiresAt: number, state: typeof LIVE | typeof FAILED): void {
    const stored = this.store.locked(() => {
      if (this.store.put(key, hash, kind, bytes, expiresAt, state)) return true;
      this.store.remove(key, hash); // a computing marker must not outlive a value that cannot be stored
      return false;
    });
    if (!stored) {
      const max = this.handle.geometry.maxBytes;
      const needs = valueOffset(0, storedKeyBytes(key)) + bytes.length;
      throw new CacheValueError(describeKey(key), `it needs ${needs} bytes with its key (a block of the next power of two, at least 64), more than the cache's maxBytes of ${max} can give it`);
    }
  }

  private expiryOf(options: CacheSetOptions): number {
    const ttlMs = options.ttlMs ?? this.handle.ttlMs;
    if (typeof ttlMs !== 'number' || !(ttlMs >= 0) || ttlMs === Infinity) throw new CacheValueError('(options)', `ttlMs must be a finite number >= 0 (0: no expiry); got ${String(ttlMs)}`);
    return ttlMs === 0 ? 0 : Date.now() + ttlMs;
  }

  private ownerAlive(owner: number): boolean {
    return Atomics.load(this.store.alive, owner & 0xff) === owner >>> 8;
  }


  /** The key's hash, once it is checked: a string or bytes, not empty, at most MAX_KEY_LENGTH long. */
  private hashOf(key: CacheKey): number {
    if (typeof key === 'string') {
      if (key.length === 0) throw new CacheKeyError(this.name, 'a key must not be empty');
      if (key.length > MAX_KEY_LENGTH) throw new CacheKeyError(this.name, `key '${key.slice(0, 40)}...' is ${key.length} characters, longer than ${MAX_KEY_LENGTH}`);
      return hashKey(key);
    }
    if (key instanceof Uint8Array) {
      if (key.length === 0) throw new CacheKeyError(this.name, 'a key must not be empty');
      if (key.length > MAX_KEY_LENGTH) throw new CacheKeyError(this.name, `a key of ${key.length} bytes is longer than ${MAX_KEY_LENGTH}`);
      return hashKey(key);
    }
    throw new CacheKeyError(this.name, `a key must be a string or a Uint8Array; got ${key === null ? 'null' : typeof key}`);
  }
}

/** A found value: read in place by the store (strings, numbers), or decoded from its copied bytes. */
function valueOf(found: Found): unknown {
  return found.bytes === undefined ? found.value : decodeValue(found.kind, found.bytes);
}

function expired(expiresAt: number): boolean {
  return expiresAt !== 0 && expiresAt <= Date.now();
}

function describeKey(key: CacheKey): string {
  return typeof key === 'string' ? key : `<${key.length} bytes>`;
}

/** A memo's error as plain data for its waiters (in other threads). */
function memoErrorOf(err: unknown): { name: string; message: string; code?: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.message, ...((e as { code?: unknown }).code !== undefined ? { code: String((e as { code?: unknown }).code) } : {}) };
}

function reviveMemoError(data: unknown): Error {
  const d = data as { name?: string; message?: string; code?: string };
  const err = new Error(d.message ?? 'the memo computation failed');
  err.name = d.name ?? 'Error';
  if (d.code !== undefined) (err as Error & { code?: string }).code = d.code;
  return err;
}
