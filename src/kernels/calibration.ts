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

  constructor(
    file: string | false | undefined,
    private readonly time: TimeRun,
    /** Called when a kernel's points are measured (pool threads serving lanes choose from them too). */
    private readonly changed: () => void = () => {},
  ) {
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
    if (points === undefined || !covers(points, backends)) {
      await this.measure(def, backends);
      points = this.table.get(def.name)!;
    }
    return pickBackend(points, backends, size);
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
      this.changed();
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
    this.changed();
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

/** The points were measured for every one of `backends` (or stand for a kernel with no sample to time). */
export function covers(points: readonly CalibrationPoint[], backends: readonly BackendName[]): boolean {
  const unmeasured = points.every((p) => Object.keys(p.ms).length === 0);
  return unmeasured || backends.every((b) => points.some((p) => p.ms[b] !== undefined));
}

/** The winner at the measured size nearest (in ratio) to `size`, if it is among `backends`; else js. */
export function pickBackend(points: readonly CalibrationPoint[], backends: readonly BackendName[], size: number): BackendName {
  let best = points[0]!;
  for (const p of points) if (Math.abs(Math.log(p.size / size)) < Math.abs(Math.log(best.size / size))) best = p;
  return backends.includes(best.winner) ? best.winner : 'js';
}

/** The kernel's own measure of work, or the elements of the typed arrays in the input. */
export function workOf(def: KernelDefinition, input: unknown): number {
  if (def.size !== undefined) {
    try {
      return Math.max(1, def.size(input));
    } catch {
      return 1; // a malformed input: the pool thread's validate will say what is wrong
    }
  }
  let n = 0;
  if (typeof input === 'object' && input !== null) for (const v of Object.values(input)) if (ArrayBuffer.isView(v)) n += (v as unknown as { length: number }).length;
  return Math.max(1, n);
}

/** The backends of `available` (in their order) that `def` has an implementation for. */
export function usableBackends(def: KernelDefinition, available: readonly BackendName[]): BackendName[] {
  return available.filter((b) => def[b] !== undefined);
}
