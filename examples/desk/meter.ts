// Measures the desk while it runs: a stats snapshot every second (throughput per window, for the
// console line and the peak), and at the end the figures the scorecard compares with the seed's.
import type { SystemStats, System } from 'dualbus';
import { DESK_CACHE } from './contract.js';

export interface SecondRow {
  sec: number;
  /** Messages handled by the engines in this second (all kinds: ticks, signals, orders, asks). */
  handled: number;
  /** Market-data ticks the host's own md.* subscription received in this second. */
  ticks: number;
  /** Mean over the engines with samples of their latency p50 so far, in µs. */
  p50Us: number;
  restarts: number;
}

export class DeskMeter {
  readonly rows: SecondRow[] = [];
  private prev: SystemStats;
  private prevTicks = 0;
  private startedAt = performance.now();

  constructor(
    private readonly system: System,
    private readonly engines: readonly string[],
    private readonly ticksSeen: () => number,
  ) {
    this.prev = system.stats();
  }

  /** Call about once a second. */
  sample(): SecondRow {
    const now = this.system.stats();
    const ticks = this.ticksSeen();
    const row: SecondRow = {
      sec: Math.round((performance.now() - this.startedAt) / 1000),
      handled: this.sum(now, (a) => a.received) - this.sum(this.prev, (a) => a.received),
      ticks: ticks - this.prevTicks,
      p50Us: meanLatencyUs(now, this.engines, 'p50'),
      restarts: this.sum(now, (a) => a.restarts),
    };
    this.rows.push(row);
    this.prev = now;
    this.prevTicks = ticks;
    return row;
  }

  peakHandledPerSec(): number {
    return Math.max(0, ...this.rows.map((r) => r.handled));
  }

  meanHandledPerSec(): number {
    return this.rows.length === 0 ? 0 : this.rows.reduce((s, r) => s + r.handled, 0) / this.rows.length;
  }

  private sum(stats: SystemStats, f: (a: SystemStats['actors'][string]) => number): number {
    let s = 0;
    for (const name of this.engines) {
      const a = stats.actors[name];
      if (a !== undefined) s += f(a);
    }
    return s;
  }
}

/** The mean of the engines' latency percentile `q`, over the engines that have samples, in µs. */
export function meanLatencyUs(stats: SystemStats, engines: readonly string[], q: 'p50' | 'p99'): number {
  const values = engines.map((e) => stats.actors[e]?.latencyUs).filter((l) => l !== undefined && l.samples > 0).map((l) => l![q]);
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

export function cacheHitPct(stats: SystemStats): number {
  const c = stats.caches?.[DESK_CACHE];
  return c === undefined ? 0 : 100 * c.hitRate;
}
