import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendName, KernelDefinition } from './define.js';

/** The sizes (the kernel's `size()` units) each kernel is timed at; a call uses the nearest one's winner. */
const SIZES = [1e3, 1e5, 2e6];
/** Runs per backend and size; the fastest counts (the others are warm-up and noise). */
const RUNS = 3;

export interface CalibrationPoint {
  size: number;
  /** Fastest run, ms, per backend measured. */
  ms: Partial<Record<BackendName, number>>;
  winner: BackendName;
}

/** Times one call of `kernel` on `backend` with `input` (in the pool, as a call runs): ms it ran. */
export type TimeRun = (kernel: string, backend: BackendName, input: unknown) => Promise<number>;

/**
 * What `backend: 'auto'` goes by: for each kernel, the fastest backend at a few input sizes,
 * measured in the pool the first time the kernel is called with 'auto', and cached in a file keyed
 * by this machine (CPU model, architecture, Node version) so later processes skip the measuring.
 */
export class Calibration {
  private readonly table = new Map<string, CalibrationPoint[]>();
  private readonly measuring = new Map<string, Promise<void>>();
  private readonly file: string | undefined;
  private readonly key: string;

  constructor(file: string | false | undefined, private readonly time: TimeRun) {
    this.key = createHash('sha256').update(`${arch()}|${cpus()[0]?.model ?? '?'}|${process.version}`).digest('hex').slice(0, 16);
    this.file = file === false ? undefined : (file ?? join(tmpdir(), `dualbus-kernels-calibration-${this.key}.json`));
    this.readCache();
  }

  /** The points measured so far, per kernel (for stats and the bench). */
  snapshot(): Record<string, CalibrationPoint[]> {
    return Object.fromEntries(this.table);
  }

  /** The backend to use for an input of `size`, measuring the kernel first if it never was. */
  async choose(def: KernelDefinition, backends: readonly BackendName[], size: number): Promise<BackendName> {
    if (backends.length === 1) return backends[0]!;
    let points = this.table.get(def.name);
    if (points === undefined || !backends.every((b) => points!.some((p) => p.ms[b] !== undefined))) {
      await this.measure(def, backends);
      points = this.table.get(def.name)!;
    }
    let best = points[0]!;
    for (const p of points) if (Math.abs(Math.log(p.size / size)) < Math.abs(Math.log(best.size / size))) best = p;
    return backends.includes(best.winner) ? best.winner : 'js';
  }

  private measure(def: KernelDefinition, backends: readonly BackendName[]): Promise<void> {
    let running = this.measuring.get(def.name);
    if (running === undefined) {
      running = this.measureNow(def, backends).finally(() => this.measuring.delete(def.name));
      this.measuring.set(def.name, running);
    }
    return running;
  }

  private async measureNow(def: KernelDefinition, backends: readonly BackendName[]): Promise<void> {
    if (def.sample === undefined) {
      // Nothing to time it with: the first backend listed after js (the compiled one) is assumed faster.
      this.table.set(def.name, [{ size: 1, ms: {}, winner: backends.find((b) => b !== 'js') ?? 'js' }]);
      return;
    }
    const points: CalibrationPoint[] = [];
    for (const size of SIZES) {
      const input = def.sample(size);
      const ms: Partial<Record<BackendName, number>> = {};
      for (const backend of backends) {
        let fastest = Infinity;
        for (let i = 0; i < RUNS; i++) fastest = Math.min(fastest, await this.time(def.name, backend, input));
        ms[backend] = fastest;
      }
      const winner = backends.reduce((a, b) => (ms[b]! < ms[a]! ? b : a));
      points.push({ size, ms, winner });
    }
    this.table.set(def.name, points);
    this.writeCache();
  }

  private readCache(): void {
    if (this.file === undefined) return;
    try {
      const cached = JSON.parse(readFileSync(this.file, 'utf8')) as { key?: string; kernels?: Record<string, CalibrationPoint[]> };
      if (cached.key !== this.key || typeof cached.kernels !== 'object' || cached.kernels === null) return;
      for (const [name, points] of Object.entries(cached.kernels)) if (Array.isArray(points) && points.length > 0) this.table.set(name, points);
    } catch {
      // No cache yet (or an unreadable one): measure.
    }
  }

  private writeCache(): void {
    if (this.file === undefined) return;
    try {
      writeFileSync(this.file, JSON.stringify({ key: this.key, kernels: this.snapshot() }, null, 1));
    } catch {
      // A read-only disk only costs the next process a measurement.
    }
  }
}
