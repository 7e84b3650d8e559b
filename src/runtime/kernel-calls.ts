import { serializeKernelError } from '../kernels/errors.js';
import type { KernelPool } from '../kernels/pool.js';
import type { ControlFromWorker, DirectCallRecord, KernelResultMessage, KernelRunMessage } from '../transport/protocol.js';
import type { WorkerLink } from './worker-link.js';

/**
 * The kernel calls of one actor's worker. Its lanes straight to the pool threads are offered to it
 * (as the threads start); what it sends through the host is run in the pool on its behalf and each
 * answer posted back to it; a cancel (the actor's AbortSignal) or the worker's end aborts what is
 * still running.
 */
export class KernelCalls {
  private readonly running = new Map<number, AbortController>();
  private unsubscribe = (): void => {};

  constructor(
    private readonly pool: KernelPool,
    private readonly link: WorkerLink,
    private readonly doorbell: Int32Array,
  ) {}

  /** Takes the worker's kernel messages (true: it was one); each answer goes to this worker, never to a successor. */
  handle(m: ControlFromWorker): boolean {
    if (m.type === 'kernel-run') this.run(m, (answer) => this.link.notify(answer));
    else if (m.type === 'kernel-cancel') this.cancel(m.id);
    else if (m.type === 'kernel-stop') this.stopLaneCall(m.laneId, m.id);
    else if (m.type === 'kernel-stats') this.recordDirect(m.records);
    else return false;
    return true;
  }

  /** Offers the worker a lane to every pool thread, now and as threads start (once it is attached). */
  openLanes(): void {
    const { pool, link } = this;
    this.unsubscribe = pool.subscribeLanes({
      doorbell: this.doorbell,
      offer: (lane) => link.notify({ type: 'kernel-lane', ...lane, ...pool.laneTerms() }, [lane.port]),
    });
  }

  /** The worker gave up on a lane call while it ran. */
  stopLaneCall(laneId: number, id: number): void {
    this.pool.stopLaneCall(laneId, id);
  }

  /** The worker's lane calls, for the pool's stats. */
  recordDirect(records: readonly DirectCallRecord[]): void {
    this.pool.recordDirect(records);
  }

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
    this.unsubscribe();
    for (const abort of this.running.values()) abort.abort();
    this.running.clear();
  }
}
