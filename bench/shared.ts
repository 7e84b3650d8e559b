import { defineRecord, sharedArray } from 'dualbus';

/** The benchmark message, as a record and as an object of the same fields. */
export const Ping = defineRecord({ ts: 'f64', px: 'f64', qty: 'f64', seq: 'u32' }, { name: 'bench-ping' });
export const pingObject = (seq: number, ts: number) => ({ ts, px: 101.25, qty: 300, seq });

export const now = (): number => performance.timeOrigin + performance.now();

/** p50/p99/p99.9 in microseconds of latencies given in milliseconds. */
export function pct(ms: ArrayLike<number>): { p50: number; p99: number; p999: number } {
  const a = Float64Array.from(ms).sort();
  const at = (q: number) => Math.round(a[Math.min(a.length - 1, Math.floor(q * a.length))]! * 1000 * 100) / 100;
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999) };
}

/** Busy-waits `us` microseconds (pacing between latency samples). */
export function pause(us: number): void {
  const until = performance.now() + us / 1000;
  while (performance.now() < until);
}

const nap = new Int32Array(new SharedArrayBuffer(4));

/**
 * What a producer does when a full ring refuses a write: try again at once for about 50 µs (room
 * usually comes that fast when the consumer is running), then sleep 20 µs between tries (retrying
 * at once for longer would spin a core that, on two, the consumer needs to drain that very ring).
 */
export class Backoff {
  private since = -1;

  /** Call after a refused write, before trying again. */
  wait(): void {
    const now = performance.now();
    if (this.since < 0) this.since = now;
    else if (now - this.since > 0.05) Atomics.wait(nap, 0, 0, 0.02);
  }

  /** Call after a write that went through. */
  reset(): void {
    this.since = -1;
  }
}

/** A deterministic pseudo-random shared Float64Array, uniform in [-scale / 2, scale / 2) (an LCG: independent of the kernels' own generators). */
export function randomShared(length: number, scale = 0.02, seed = 1): Float64Array {
  const a = sharedArray(Float64Array, length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    a[i] = (x / 4294967296 - 0.5) * scale;
  }
  return a;
}
