import type { InferenceSession } from './ort-module.js';

interface Entry {
  session: Promise<InferenceSession>;
  /** Runs using the session now: an evicted session is released when the last one ends. */
  users: number;
  evicted: boolean;
}

/**
 * The few most recently used inference sessions, by key. A session holds its model's weights and
 * ORT's prepared kernels, so it is made once per model and reused; the least recently used one is
 * released when a new one would exceed `capacity`. Sessions still being created are shared (two
 * calls with the same new model make one session), and a session in use is released only when its
 * runs end.
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  /** Sessions this cache has created (a test of reuse counts them). */
  created = 0;

  constructor(private readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`SessionCache: capacity must be a positive integer; got ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Runs `use` with the session of `key`, made by `create` when there is none. */
  async use<T>(key: string, create: () => Promise<InferenceSession>, use: (session: InferenceSession) => Promise<T>): Promise<T> {
    const entry = this.acquire(key, create);
    try {
      return await use(await entry.session);
    } finally {
      entry.users--;
      if (entry.evicted && entry.users === 0) await releaseQuietly(entry.session);
    }
  }

  /** Releases every session (those in use when their runs end). */
  async clear(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    for (const entry of entries) {
      entry.evicted = true;
      if (entry.users === 0) await releaseQuietly(entry.session);
    }
  }

  private acquire(key: string, create: () => Promise<InferenceSession>): Entry {
    let entry = this.entries.get(key);
    if (entry !== undefined) {
      this.entries.delete(key); // re-inserted below: a Map iterates in insertion order, oldest first
    } else {
      const session = create();
      this.created++;
      entry = { session, users: 0, evicted: false };
      // A model that failed to load is not kept: the next call tries again (and reports again).
      const failed = entry;
      session.catch(() => {
        if (this.entries.get(key) === failed) this.entries.delete(key);
      });
    }
    this.entries.set(key, entry);
    entry.users++;
    this.evictBeyondCapacity();
    return entry;
  }

  private evictBeyondCapacity(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(key);
      entry.evicted = true;
      if (entry.users === 0) void releaseQuietly(entry.session);
    }
  }
}

async function releaseQuietly(session: Promise<InferenceSession>): Promise<void> {
  try {
    await (await session).release();
  } catch {
    // a session that failed to be created has nothing to release
  }
}
