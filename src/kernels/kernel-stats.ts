import type { DirectCallRecord } from '../transport/protocol.js';
import { percentiles, type LatencyStats } from '../transport/ring/histogram.js';
import { HISTOGRAM_BUCKETS, latencyBucket } from '../transport/ring/layout.js';

/** The figures of one kernel on one backend. */
export interface KernelCallStats {
  calls: number;
  errors: number;
  /** Of the calls, those an actor made straight to a pool thread over its lane (the host not in between). */
  direct: number;
  /** Microseconds from the call until a pool thread began it. */
  queueUs: LatencyStats;
  /** Microseconds the kernel ran in its pool thread. */
  runUs: LatencyStats;
  /** Bytes structured-cloned to and from the pool (arrays not on a SharedArrayBuffer); 0 is the goal. */
  bytesCopied: number;
}

/** Per kernel, per backend that ran it: `stats.kernels['var.historical'].native`. */
export type KernelStats = Record<string, Partial<Record<string, KernelCallStats>>>;

class Tally {
  calls = 0;
  errors = 0;
  direct = 0;
  bytesCopied = 0;
  readonly queue = new Float64Array(HISTOGRAM_BUCKETS);
  readonly run = new Float64Array(HISTOGRAM_BUCKETS);

  snapshot(): KernelCallStats {
    return { calls: this.calls, errors: this.errors, direct: this.direct, queueUs: percentiles(this.queue), runUs: percentiles(this.run), bytesCopied: this.bytesCopied };
  }
}

/** What the pool counts: every call, by kernel and the backend that ran it (or was to run it). */
export class KernelStatsBook {
  private readonly tallies = new Map<string, Map<string, Tally>>();

  completed(kernel: string, backend: string, queueMs: number, runMs: number, bytesCopied: number): void {
    const t = this.tally(kernel, backend);
    t.calls++;
    t.bytesCopied += bytesCopied;
    t.queue[latencyBucket(queueMs * 1e6)]++;
    t.run[latencyBucket(runMs * 1e6)]++;
  }

  failed(kernel: string, backend: string, bytesCopied: number): void {
    const t = this.tally(kernel, backend);
    t.calls++;
    t.errors++;
    t.bytesCopied += bytesCopied;
  }

  /** A call an actor made over its lane. */
  record(r: DirectCallRecord): void {
    if (r.ok) this.completed(r.kernel, r.backend, r.queueMs ?? 0, r.runMs ?? 0, r.bytesCopied);
    else this.failed(r.kernel, r.backend, r.bytesCopied);
    this.tally(r.kernel, r.backend).direct++;
  }

  snapshot(): KernelStats {
    const out: KernelStats = {};
    for (const [kernel, byBackend] of this.tallies) {
      const entry: Partial<Record<string, KernelCallStats>> = {};
      for (const [backend, t] of byBackend) entry[backend] = t.snapshot();
      out[kernel] = entry;
    }
    return out;
  }

  private tally(kernel: string, backend: string): Tally {
    let byBackend = this.tallies.get(kernel);
    if (byBackend === undefined) this.tallies.set(kernel, (byBackend = new Map()));
    let t = byBackend.get(backend);
    if (t === undefined) byBackend.set(backend, (t = new Tally()));
    return t;
  }
}

export type { DirectCallRecord };
