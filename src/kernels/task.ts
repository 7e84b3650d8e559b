import type { SerializedError } from '../transport/protocol.js';
import type { AcceleratorName, BackendName } from './define.js';

/** One call as it crosses to a pool thread (structured clone: shared arrays by reference). */
export interface KernelTask {
  kernel: string;
  /** The module that defines a user kernel (built-ins have none). */
  module?: string;
  backend: BackendName;
  input: unknown;
  /** Caller-provided result arrays, by output name. */
  out?: Record<string, ArrayBufferView>;
  /** Its word in BegunSlots (with lanes), which the thread sets as it begins the call. */
  slot?: number;
  /** Not a call: the thread opens these accelerators and answers whether each is available (the pool's probe). */
  probe?: AcceleratorName[];
  /** When the call was made, in ms since the epoch (performance.timeOrigin + now): the queue wait starts here. */
  postedAt: number;
}

/** What a pool thread answers: never a rejection, so errors keep their code and argument across threads. */
export type KernelOutcome =
  | { ok: true; result: unknown; startedAt: number; runMs: number }
  | { ok: false; error: SerializedError & { argument?: string }; startedAt: number; runMs: number };

/** ms since the epoch with sub-millisecond precision, comparable across threads. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
