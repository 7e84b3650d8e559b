import type { ActorKernelRunOptions, ActorKernels } from '../transport/contract.js';
import type { ControlFromWorker, KernelResultMessage } from '../transport/protocol.js';
import { KernelAborted, reviveKernelError } from '../kernels/errors.js';

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  kernel: string;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * `ctx.kernels` in an actor's worker: a call goes to the host over the worker's port (shared arrays
 * by reference), the host runs it in the system's pool and posts the answer back, announced on the
 * actor's doorbell so that even a blocked ('block') loop wakes to read it.
 */
export class KernelClient implements ActorKernels {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly post: (m: ControlFromWorker) => void) {}

  run<R = any>(kernel: string, input: unknown, options: ActorKernelRunOptions = {}): Promise<R> {
    if (options.signal?.aborted) return Promise.reject(new KernelAborted(kernel, options.signal.reason));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject, kernel };
      const { signal, ...rest } = options;
      if (signal !== undefined) {
        p.signal = signal;
        p.onAbort = () => {
          this.pending.delete(id);
          this.post({ type: 'kernel-cancel', id });
          reject(new KernelAborted(kernel, signal.reason));
        };
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.pending.set(id, p);
      try {
        this.post({ type: 'kernel-run', id, kernel, input, options: rest });
      } catch (err) {
        this.settle(id); // an input structured clone refuses (a function, say)
        reject(err);
      }
    });
  }

  /** The host's answer to one call. */
  answered(m: KernelResultMessage): void {
    const p = this.settle(m.id);
    if (p === undefined) return; // given up on (aborted) already
    if (m.ok) p.resolve(m.result);
    else p.reject(reviveKernelError(m.error));
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (p === undefined) return undefined;
    this.pending.delete(id);
    if (p.onAbort !== undefined) p.signal?.removeEventListener('abort', p.onAbort);
    return p;
  }
}
