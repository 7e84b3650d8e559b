import { UnknownCache } from './errors.js';
import { SharedCache, type CacheHandle } from './shared-cache.js';

/** The caches as an actor's worker maps them (`ctx.cache(name)`), each made on first use. */
export class WorkerCaches {
  private readonly made = new Map<string, SharedCache>();

  constructor(
    private readonly handles: readonly CacheHandle[],
    private readonly participant: number,
    private readonly generation: number,
  ) {}

  cache(name: string): SharedCache {
    let cache = this.made.get(name);
    if (cache === undefined) {
      const handle = this.handles.find((h) => h.name === name);
      if (handle === undefined) throw new UnknownCache(name, this.handles.map((h) => h.name));
      cache = new SharedCache(handle, this.participant, this.generation);
      this.made.set(name, cache);
    }
    return cache;
  }
}
