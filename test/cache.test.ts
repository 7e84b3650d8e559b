import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { CacheRegistry } from '../src/cache/registry.js';
import { resolveCacheOptions } from '../src/cache/options.js';
import { fixture, systemPerTest, eventually } from './helpers.js';

// The host's cache: one table and arena in shared memory that every thread reads in place.

const registries: CacheRegistry[] = [];
afterEach(() => {
  for (const r of registries.splice(0)) r.close();
});

function cacheOf(options: { maxBytes?: number; maxEntries?: number; ttlMs?: number }) {
  const registry = new CacheRegistry(resolveCacheOptions({ test: options }));
  registries.push(registry);
  return { registry, cache: registry.cache('test') };
}

describe('a cache in one thread', () => {
  it('keeps msgpack values, typed arrays as their bytes, strings and numbers; has, delete and the stats count them', () => {
    const { cache } = cacheOf({});
    cache.set('record', { symbol: 'ES', bid: 4501.25, levels: [1, 2, 3], at: null });
    cache.set('curve', Float32Array.of(0.5, 1.5, -2));
    cache.set('name', 'vpin-engine');
    cache.set('pi', Math.PI);
    cache.set(Uint8Array.of(1, 2, 3), 'bytes key');
    expect(cache.get('record')).toEqual({ symbol: 'ES', bid: 4501.25, levels: [1, 2, 3], at: null });
    const curve = cache.get<Float32Array>('curve')!;
    expect(curve).toBeInstanceOf(Float32Array);
    expect(Array.from(curve)).toEqual([0.5, 1.5, -2]);
    expect(cache.get('name')).toBe('vpin-engine');
    expect(cache.get('pi')).toBe(Math.PI);
    expect(cache.get(Uint8Array.of(1, 2, 3))).toBe('bytes key');
    expect(cache.get('\u0001\u0002\u0003')).toBeUndefined(); // a string key never matches a bytes key
    expect(cache.has('name')).toBe(true);
    expect(cache.delete('name')).toBe(true);
    expect(cache.delete('name')).toBe(false);
    expect(cache.get('name')).toBeUndefined();
    cache.set('pi', 3);
    expect(cache.get('pi')).toBe(3);
    const stats = cache.stats();
    expect(stats).toMatchObject({ hits: 6, misses: 2, entries: 4, evictions: 0 });
    expect(stats.hitRate).toBeCloseTo(6 / 8, 12);
  });

  it('expires entries after their TTL (the cache default or their own), and counts them', async () => {
    const { cache } = cacheOf({ ttlMs: 60 });
    cache.set('default-ttl', 1);
    cache.set('own-ttl', 2, { ttlMs: 1500 }); // far from the first check: a stalled machine must not expire it early
    cache.set('forever', 3, { ttlMs: 0 });
    expect([cache.get('default-ttl'), cache.get('own-ttl'), cache.get('forever')]).toEqual([1, 2, 3]);
    await new Promise((r) => setTimeout(r, 120));
    expect([cache.get('default-ttl'), cache.get('own-ttl'), cache.get('forever')]).toEqual([undefined, 2, 3]);
    await new Promise((r) => setTimeout(r, 1500));
    expect([cache.get('default-ttl'), cache.get('own-ttl'), cache.get('forever')]).toEqual([undefined, undefined, 3]);
    cache.sweep(); // the host's sweeper (every second) may have taken some already: both count
    expect(cache.stats()).toMatchObject({ entries: 1, expirations: 2 });
  });

  it('keeps the keys it has seen often over a scan of new ones (W-TinyLFU), where an LRU keeps none', () => {
    const { cache } = cacheOf({ maxBytes: 1 << 20, maxEntries: 100 });
    const hot = Array.from({ length: 50 }, (_, i) => `hot${i}`);
    for (let round = 0; round < 20; round++) {
      for (const key of hot) if (cache.get(key) === undefined) cache.set(key, key);
    }
    for (let i = 0; i < 2000; i++) if (cache.get(`cold${i}`) === undefined) cache.set(`cold${i}`, i); // each cold key once: a scan
    const kept = hot.filter((key) => cache.get(key) === key).length;
    // An LRU of 100 entries ends the scan holding its last 100 cold keys and none of the hot ones.
    expect(kept).toBeGreaterThanOrEqual(45);
    const stats = cache.stats();
    expect(stats.entries).toBeLessThanOrEqual(100);
    expect(stats.evictions).toBeGreaterThanOrEqual(1950);
    expect(cache.audit()).toMatchObject({ entries: stats.entries, listed: stats.entries });
  });

  it('keeps its byte budget with values of every size class, and never returns a wrong value', () => {
    const { cache } = cacheOf({ maxBytes: 64 * 1024, maxEntries: 10_000 });
    let s = 7;
    for (let i = 0; i < 20_000; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const key = `k${s % 500}`;
      cache.set(key, { key, pad: 'y'.repeat(s % 3000) });
      const v = cache.get<{ key: string }>(`k${(s >>> 12) % 500}`);
      if (v !== undefined) expect(v.key).toBe(`k${(s >>> 12) % 500}`);
      expect(cache.stats().bytes).toBeLessThanOrEqual(64 * 1024);
    }
    const audit = cache.audit();
    expect([audit.entries, audit.bytes, audit.listed]).toEqual([cache.stats().entries, cache.stats().bytes, cache.stats().entries]);
  });

  it('refuses bad keys, values and options with errors that name them, and stays consistent', () => {
    const { cache, registry } = cacheOf({ maxBytes: 4096 });
    cache.set('kept', 'still here');
    expect(() => cache.set('', 1)).toThrow(/cache 'test': a key must not be empty/);
    expect(() => cache.set('k'.repeat(2000), 1)).toThrow(/characters, longer than 1024/);
    expect(() => cache.get(42 as never)).toThrow(/a key must be a string or a Uint8Array; got number/);
    expect(() => cache.set('big', new Uint8Array(10_000))).toThrow(/cache key 'big': it needs 10008 bytes .* maxBytes of 4096/);
    expect(() => cache.set('fn', { run() {} })).toThrow(/cache key 'fn': value.run is a function/);
    expect(() => cache.set('cls', { at: new (class Quote {})() })).toThrow(/value.at is a Quote instance/);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => cache.set('loop', loop)).toThrow(/refers back to itself/);
    expect(() => cache.set('ttl', 1, { ttlMs: -5 })).toThrow(/ttlMs must be a finite number >= 0/);
    expect(() => registry.cache('nope')).toThrow(/no cache named 'nope'; configured: default, test/);
    expect(() => resolveCacheOptions({ risk: { maxBytes: 10 } })).toThrow(/caches.risk.maxBytes/);
    expect(() => resolveCacheOptions({ risk: { size: 10 } as never })).toThrow(/caches.risk.size/);
    expect(cache.get('kept')).toBe('still here');
    expect(cache.stats().entries).toBe(1);
  });
});

describe('threads hammering one cache', () => {
  it('4 threads x 1 M mixed operations: no torn or wrong value, the budget kept, the stats consistent', async () => {
    const { registry, cache } = cacheOf({ maxBytes: 256 * 1024, maxEntries: 2000 });
    const handle = registry.list().find((h) => h.name === 'test')!;
    const results = await Promise.all(
      [1, 2, 3, 4].map(
        (participant) =>
          new Promise<{ gets: number; hits: number; wrong: number; firstWrong?: string }>((resolve, reject) => {
            const worker = new Worker(fixture('cache-hammer'), { workerData: { handle, participant, ops: 1_000_000, keys: 3000, seed: participant * 7919 } });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
    expect(results.map((r) => r.firstWrong ?? '')).toEqual(['', '', '', '']);
    expect(results.reduce((n, r) => n + r.wrong, 0)).toBe(0);
    const stats = cache.stats();
    expect(stats.hits).toBe(results.reduce((n, r) => n + r.hits, 0));
    expect(stats.hits + stats.misses).toBe(results.reduce((n, r) => n + r.gets, 0));
    expect(stats.hits).toBeGreaterThan(0);
    expect(stats.bytes).toBeLessThanOrEqual(256 * 1024);
    expect(stats.entries).toBeLessThanOrEqual(2000);
    const audit = cache.audit(); // the counters against the table itself: every live entry on one list, bytes summed
    expect([audit.entries, audit.bytes, audit.listed]).toEqual([stats.entries, stats.bytes, stats.entries]);
    // Every entry left is readable and right.
    for (let k = 0; k < 3000; k++) {
      const v = cache.get<{ key: string } | Float64Array>(`k${k}`);
      if (v !== undefined) expect(v instanceof Float64Array ? v[0] : v.key).toBe(v instanceof Float64Array ? k : `k${k}`);
    }
  }, 120_000);
});

describe('the cache of a system', () => {
  const start = systemPerTest();

  it('is one cache for the host and every actor, in system.stats(), and outlives an actor restart', async () => {
    const { system } = await start({ caches: { risk: { maxBytes: 1 << 20 } } });
    const a = await system.spawn('a', fixture('cache-user'), { onError: 'restart' });
    const b = await system.spawn('b', fixture('cache-user'));
    system.cache().set('from-host', { v: 1 });
    expect(await a.ask({ type: 'get', key: 'from-host' })).toEqual({ v: 1 });
    await a.ask({ type: 'set', key: 'from-a', value: [1, 2, 3] });
    expect(await b.ask({ type: 'get', key: 'from-a' })).toEqual([1, 2, 3]);
    expect(system.cache().get('from-a')).toEqual([1, 2, 3]);
    a.send({ type: 'crash' });
    await eventually(() => system.stats().actors.a!.restarts, (n) => n >= 1);
    expect(await a.ask({ type: 'get', key: 'from-a' })).toEqual([1, 2, 3]); // its new worker reads what the old one wrote
    const stats = system.stats().caches;
    expect(Object.keys(stats)).toEqual(['default', 'risk']);
    expect(stats.default!.entries).toBe(2);
    expect(stats.default!.hits).toBeGreaterThanOrEqual(4);
  });

  it('memo across 4 actors asking for the same 1000 missing keys at once: each computed exactly once', async () => {
    const { system } = await start();
    const actors = await Promise.all([0, 1, 2, 3].map((i) => system.spawn(`m${i}`, fixture('cache-user'))));
    const keys = Array.from({ length: 1000 }, (_, i) => `var:${i}`);
    const answers = (await Promise.all(actors.map((ref) => ref.ask({ type: 'memo', keys, delayMs: 5 }, { timeoutMs: 30_000 })))) as Array<{ values: string[]; computed: number }>;
    for (const answer of answers) expect(answer.values).toEqual(keys.map((k) => `value of ${k}`));
    expect(answers.reduce((n, a) => n + a.computed, 0)).toBe(1000);
    expect(system.cache().stats().entries).toBe(1000);
  });

  it("a memo's error reaches every caller waiting on it, computed once", async () => {
    const { system } = await start();
    const actors = await Promise.all([0, 1, 2].map((i) => system.spawn(`f${i}`, fixture('cache-user'))));
    const answers = (await Promise.all(actors.map((ref) => ref.ask({ type: 'memo-fail', key: 'quote:XYZ', afterMs: 150 }, { timeoutMs: 10_000 })))) as Array<{ ok: boolean; name: string; message: string; computed: number }>;
    for (const a of answers) expect(a).toMatchObject({ ok: false, name: 'RangeError', message: 'no quote for quote:XYZ' });
    expect(answers.reduce((n, a) => n + a.computed, 0)).toBe(1);
    expect(system.cache().get('quote:XYZ')).toBeUndefined(); // an error is not a value
  });

  it('a worker that dies holding the lock (mid-change) leaves no hung writers: the cache is emptied, counted and logged', async () => {
    const { system, logs } = await start();
    const victim = await system.spawn('victim', fixture('cache-user'));
    system.cache().set('before', 1);
    victim.send({ type: 'die-in-lock' });
    await eventually(() => system.cache().stats().resets, (n) => n === 1);
    system.cache().set('after', 2); // takes the lock: it would wait forever if the dead worker still held it
    expect([system.cache().get('before'), system.cache().get('after')]).toEqual([undefined, 2]);
    expect(system.cache().audit()).toMatchObject({ entries: 1, listed: 1 });
    expect(logs.some((l) => l.event === 'cache-reset' && l.cache === 'default')).toBe(true);
  });

  it('hands a memo over when the actor computing it dies: a waiter computes it', async () => {
    const { system } = await start();
    const dying = await system.spawn('dying', fixture('cache-user'));
    const waiter = await system.spawn('waiter', fixture('cache-user'));
    expect(await dying.ask({ type: 'memo-and-die', key: 'slow', afterMs: 300 })).toBe('computing');
    const answer = (await waiter.ask({ type: 'memo', keys: ['slow'] }, { timeoutMs: 10_000 })) as { values: string[]; computed: number };
    expect(answer).toEqual({ values: ['value of slow'], computed: 1 });
    expect(system.cache().get('slow')).toBe('value of slow');
  });
});
