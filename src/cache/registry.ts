import { CacheStore } from './cache-store.js';
import { MAX_PARTICIPANTS, geometryFor } from './layout.js';
import type { ResolvedCacheOptions } from './options.js';
import type { CacheHandle, CacheStats, SharedCache } from './shared-cache.js';
import { ThreadCaches } from './thread-caches.js';

/** Participant 0 is the host's own thread. */
const HOST = 0;
const SWEEP_EVERY_MS = 1000;

/**
 * The caches of a host (the system owns them, like the mailboxes: they outlive any actor), and the
 * participant slots of the threads that use them. Each actor worker gets a slot at its start and
 * gives it back when it exits: its generation changes, so a memo it was computing counts as
 * abandoned, and its waiters are woken to take it over.
 */
export class CacheRegistry {
  private readonly handles = new Map<string, CacheHandle>();
  private readonly stores = new Map<string, CacheStore>();
  /** The host thread's view of the caches, on the stores above. */
  private readonly host: ThreadCaches;
  private readonly generations = new Int32Array(MAX_PARTICIPANTS);
  private readonly freeSlots: number[] = [];
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    options: Record<string, ResolvedCacheOptions>,
    /** A cache was emptied because the worker in `slot` died holding its lock (the system logs it). */
    private readonly onReset: (cache: string) => void = () => {},
  ) {
    for (const [name, o] of Object.entries(options)) {
      const geometry = geometryFor(o.maxEntries, o.maxBytes);
      const handle: CacheHandle = { name, buffer: CacheStore.create(geometry), geometry, ttlMs: o.ttlMs };
      this.handles.set(name, handle);
      this.stores.set(name, new CacheStore(handle.buffer, geometry, HOST));
    }
    for (let slot = MAX_PARTICIPANTS - 1; slot > HOST; slot--) this.freeSlots.push(slot);
    this.generations[HOST] = 1;
    this.publishGeneration(HOST);
    this.host = new ThreadCaches(this.list(), HOST, this.generations[HOST]!, (name) => this.stores.get(name));
    // Expired entries leave at writes and are skipped by reads; this frees their bytes in a cache nobody writes to.
    this.sweeper = setInterval(() => {
      for (const store of this.stores.values()) store.locked(() => store.sweepExpired());
    }, SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  /** What a worker needs to map the caches. */
  list(): CacheHandle[] {
    return [...this.handles.values()];
  }

  /** The host's view of a cache. */
  cache(name: string): SharedCache {
    return this.host.cache(name);
  }

  /** A slot for a starting worker: [participant, generation]. Slots run out only past 255 live workers (then they share the host's, without memo hand-over). */
  enter(): [number, number] {
    const slot = this.freeSlots.pop();
    if (slot === undefined) return [HOST, this.generations[HOST]!];
    this.generations[slot] = (this.generations[slot]! + 1) & 0xffffff || 1;
    this.publishGeneration(slot);
    return [slot, this.generations[slot]!];
  }

  /** A worker exited: its memos are abandoned (their waiters take over) and its slot is free again. */
  leave(slot: number): void {
    if (slot === HOST) return;
    const dead = slot | (this.generations[slot]! << 8);
    this.generations[slot] = (this.generations[slot]! + 1) & 0xffffff || 1;
    this.publishGeneration(slot);
    for (const [name, store] of this.stores) {
      if (store.recoverFromDeadWriter(slot)) this.onReset(name);
      store.locked(() => store.dropComputingOf((owner) => owner === dead));
    }
    this.freeSlots.push(slot);
  }

  stats(): Record<string, CacheStats> {
    return Object.fromEntries([...this.handles.keys()].map((name) => [name, this.cache(name).stats()]));
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private publishGeneration(slot: number): void {
    for (const store of this.stores.values()) Atomics.store(store.alive, slot, this.generations[slot]!);
  }
}
