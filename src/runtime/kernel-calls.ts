import { serializeKernelError } from '../kernels/errors.js';
import type { KernelPool } from '../kernels/pool.js';
import type { KernelResultMessage, KernelRunMessage } from '../transport/protocol.js';

/**
 * The kernel calls of one actor's worker, run in the system's pool on its behalf: each answer is
 * posted back to the worker that asked; a cancel (the actor's AbortSignal) or the worker's end
 * aborts what is still running.
 */
export class KernelCalls {
  private readonly running = new Map<number, AbortController>();

  constructor(private readonly pool: KernelPool) {}

  run(m: KernelRunMessage, answer: (r: KernelResultMessage) => void): void {
    const abort = new AbortController();
    this.running.set(m.id, abort);
    const options = { ...(m.options as Parameters<KernelPool['run']>[2]), signal: abort.signal };
    this.pool.run(m.kernel, m.input, options).then(
      (result) => answer({ type: 'kernel-result', id: m.id, ok: true, result }),
      (err: unknown) => answer({ type: 'kernel-result', id: m.id, ok: false, error: serializeKernelError(err) }),
    ).finally(() => this.running.delete(m.id));
  }

  cancel(id: number): void {
    this.running.get(id)?.abort(); // the actor has already rejected its call: nobody reads this answer
  }

  /** The worker is gone: nobody waits for these any more. */
  abortAll(): void {
    for (const abort of this.running.values()) abort.abort();
    this.running.clear();
  }
}
