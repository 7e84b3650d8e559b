import { Worker, type ResourceLimits } from 'node:worker_threads';
import { serializeError, type ControlFromWorker, type SerializedError, type WorkerBoot } from '../transport/protocol.js';

/** A worker the pool hands out: `loaded` when it had said 'loaded' (its thread and the package are ready). */
export interface WarmWorker {
  worker: Worker;
  loaded: boolean;
  /** The actor module it loaded ahead (see WarmPool), if any. */
  moduleUrl: string | undefined;
}

export interface WarmPoolCounts {
  /** How many warm workers it keeps. */
  size: number;
  /** Waiting and loaded, or still loading. */
  ready: number;
  loading: number;
  /** Handed out so far, and started so far (taken + waiting + died while waiting). */
  taken: number;
  started: number;
}

interface Entry extends WarmWorker {
  /** Its listeners while it waits in the pool, taken off when it is handed out. */
  detach(): void;
}

/** How long after a warm worker died on its own the pool tries again (a worker that cannot start must not loop). */
const REFILL_AFTER_DEATH_MS = 1000;
/** A crash loop outran the pool: it keeps this many times its size at most while it lasts... */
const SURGE_FACTOR = 3;
/** ... and back to its size once this long went by without a worker taken before it had loaded. */
const SURGE_QUIET_MS = 5000;

/**
 * Generic actor workers kept warm for any actor of the system to take over when its own worker
 * dies: the thread is started and the worker entry and the package root are loaded; the actor that
 * takes one over has its module imported on `attach` (milliseconds). One taken is replaced at once,
 * and the replacement also loads the module of the actor that took it: an actor whose worker died
 * is the likeliest to lose the next one (a crash loop), and then finds its module loaded. Any actor
 * may still take that worker. When takes outrun the loading (none had loaded), the pool keeps more
 * for a while, up to SURGE_FACTOR times its size. Workers are started with resource limits, fixed
 * for their life: a system keeps one pool per distinct `resourceLimits` (see WarmPools).
 */
export class WarmPool {
  private readonly waiting: Entry[] = [];
  private taken = 0;
  private started = 0;
  private closed = false;
  private refillTimer: ReturnType<typeof setTimeout> | undefined;
  /** Workers kept beyond `size` while takes outrun the loading (a crash loop), and when that last happened. */
  private surge = 0;
  private surgeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly size: number,
    private readonly entry: URL,
    private readonly boot: WorkerBoot,
    private readonly resourceLimits: ResourceLimits | undefined,
    private readonly onFailed: (error: SerializedError) => void,
  ) {}

  /** Starts workers until `size` wait (more while a crash loop outruns the loading), loading `moduleUrl` ahead if given. */
  fill(moduleUrl?: string): void {
    while (!this.closed && this.waiting.length < this.size + this.surge) this.waiting.push(this.startOne(moduleUrl));
  }

  /**
   * A waiting worker (a loaded one first, the oldest first), replaced at once; undefined when none
   * waits. When none had loaded, takes are outrunning the loading: the pool keeps more for a while.
   */
  take(moduleUrl: string): WarmWorker | undefined {
    if (this.waiting.length === 0) return undefined;
    let i = this.waiting.findIndex((e) => e.loaded && e.moduleUrl === moduleUrl);
    if (i < 0) i = this.waiting.findIndex((e) => e.loaded);
    if (i < 0) {
      i = Math.max(0, this.waiting.findIndex((e) => e.moduleUrl === moduleUrl));
      this.surgeUp();
    }
    const [e] = this.waiting.splice(i, 1);
    e!.detach();
    this.taken++;
    this.fill(moduleUrl);
    return { worker: e!.worker, loaded: e!.loaded, moduleUrl: e!.moduleUrl };
  }

  /** What a worker death of an actor would find now: 'ready', 'loading', or 'none'. */
  state(): 'ready' | 'loading' | 'none' {
    if (this.waiting.some((e) => e.loaded)) return 'ready';
    return this.waiting.length > 0 ? 'loading' : 'none';
  }

  counts(): WarmPoolCounts {
    const ready = this.waiting.filter((e) => e.loaded).length;
    return { size: this.size, ready, loading: this.waiting.length - ready, taken: this.taken, started: this.started };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.refillTimer);
    clearTimeout(this.surgeTimer);
    const all = this.waiting.splice(0);
    await Promise.all(all.map((e) => e.worker.terminate()));
  }

  private surgeUp(): void {
    this.surge = Math.min(this.size * (SURGE_FACTOR - 1), this.surge + 1);
    clearTimeout(this.surgeTimer);
    this.surgeTimer = setTimeout(() => {
      // Quiet again: back to `size`, the extra ones that wait are let go (those still loading first).
      this.surge = 0;
      const extra = this.waiting.length - this.size;
      if (extra <= 0) return;
      const order = [...this.waiting].sort((a, b) => Number(a.loaded) - Number(b.loaded));
      for (const e of order.slice(0, extra)) {
        this.waiting.splice(this.waiting.indexOf(e), 1);
        e.detach();
        void e.worker.terminate();
      }
    }, SURGE_QUIET_MS);
    this.surgeTimer.unref();
  }

  private startOne(moduleUrl: string | undefined): Entry {
    this.started++;
    const worker = new Worker(this.entry, {
      workerData: moduleUrl === undefined ? this.boot : ({ ...this.boot, moduleUrl } satisfies WorkerBoot),
      name: 'dualbus:warm',
      ...(this.resourceLimits !== undefined ? { resourceLimits: this.resourceLimits } : {}),
    });
    const e: Entry = { worker, loaded: false, moduleUrl, detach: () => {} };
    const onMessage = (m: ControlFromWorker): void => {
      if (m.type === 'loaded') e.loaded = true;
    };
    const onError = (err: Error): void => this.onFailed(serializeError(err));
    const onExit = (): void => {
      const i = this.waiting.indexOf(e);
      if (i < 0) return;
      this.waiting.splice(i, 1);
      if (!this.closed) {
        this.refillTimer ??= setTimeout(() => {
          this.refillTimer = undefined;
          this.fill();
        }, REFILL_AFTER_DEATH_MS);
        this.refillTimer.unref();
      }
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    e.detach = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    return e;
  }
}

/** The system's warm pools, one per distinct `resourceLimits` (most systems have one), made when first needed. */
export class WarmPools {
  private readonly pools = new Map<string, WarmPool>();
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly entry: URL,
    private readonly boot: WorkerBoot,
    private readonly onFailed: (error: SerializedError) => void,
  ) {}

  /** The pool for workers with these limits, started (filling) on first use; undefined when the size is 0. */
  poolFor(resourceLimits: ResourceLimits | undefined): WarmPool | undefined {
    if (this.size === 0 || this.closed) return undefined;
    const key = limitsKey(resourceLimits);
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new WarmPool(this.size, this.entry, this.boot, resourceLimits, this.onFailed);
      this.pools.set(key, pool);
      pool.fill();
    }
    return pool;
  }

  /** Every pool's counts added up, and how many pools there are. */
  counts(): WarmPoolCounts & { pools: number } {
    const total = { size: 0, ready: 0, loading: 0, taken: 0, started: 0, pools: this.pools.size };
    for (const p of this.pools.values()) {
      const c = p.counts();
      total.size += c.size;
      total.ready += c.ready;
      total.loading += c.loading;
      total.taken += c.taken;
      total.started += c.started;
    }
    return total;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }
}

function limitsKey(limits: ResourceLimits | undefined): string {
  if (limits === undefined) return '';
  const o = limits as Record<string, unknown>;
  return JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));
}
