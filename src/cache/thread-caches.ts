import type { CacheStore } from './cache-store.js';
import { UnknownCache } from './errors.js';
import { SharedCache, type CacheHandle } from './shared-cache.js';

/**
 * The caches as one thread maps them (`ctx.cache(name)` in an actor's worker, `system.cache(name)`
 * in the host), each made on first use for this thread's participant slot.
 */
export class ThreadCaches {
  private readonly made = new Map<string, SharedCache>();

  constructor(
    private readonly handles: readonly CacheHandle[],
    private readonly participant: number,
    private readonly generation: number,
    /** A store this thread already has for a cache (the host's registry keeps one per cache). */
    private readonly storeOf: (name: string) => CacheStore | undefined = () => undefined,
  ) {}

  cache(name: string): SharedCache {
    let cache = this.made.get(name);
    if (cache === undefined) {
      const handle = this.handles.find((h) => h.name === name);
      if (handle === undefined) throw new UnknownCache(name, this.handles.map((h) => h.name));
      cache = new SharedCache(handle, this.participant, this.generation, this.storeOf(name));
      this.made.set(name, cache);
    }
    return cache;
  }
}
