import type { TransferListItem, Worker } from 'node:worker_threads';
import type { ControlToWorker, KernelLaneMessage, KernelResultMessage } from '../transport/protocol.js';
import type { Doorbell } from '../transport/ring/doorbell.js';

/**
 * The host's control channel to one worker (an actor's or the bridge's): each control message is
 * numbered, posted, and announced on the worker's doorbell so a parked loop wakes to read it; it
 * resolves when the worker acknowledges it, or when the worker is gone.
 */
export class WorkerLink {
  private readonly acks = new Map<number, () => void>();
  private seq = 0;
  private closed = false;

  constructor(
    readonly worker: Worker,
    private readonly doorbell: Doorbell,
  ) {}

  post(msg: ControlToWorker): Promise<void> {
    if (this.closed) return Promise.resolve();
    const seq = ++this.seq;
    const acked = new Promise<void>((resolve) => this.acks.set(seq, resolve));
    this.worker.postMessage({ ...msg, seq });
    this.doorbell.bumpControl();
    return acked;
  }

  /** Posts what the worker does not acknowledge (a kernel result, a lane), announced on its doorbell all the same. */
  notify(msg: KernelResultMessage | KernelLaneMessage, transfer?: readonly TransferListItem[]): void {
    if (this.closed) return;
    this.worker.postMessage(msg, transfer);
    this.doorbell.bumpControl();
  }

  /** The worker acknowledged control message `seq`. */
  acked(seq: number): void {
    this.acks.get(seq)?.();
    this.acks.delete(seq);
  }

  /** The worker is gone: what it never acknowledged is settled, and nothing more is posted. */
  close(): void {
    this.closed = true;
    for (const ack of this.acks.values()) ack();
    this.acks.clear();
  }
}
