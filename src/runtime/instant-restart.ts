import type { Worker } from 'node:worker_threads';
import type { Mailbox } from '../transport/ring/mailbox.js';
import type { CacheSlots } from './cache-slots.js';

/**
 * What lets an actor's worker restart it at once, without asking (supervisors/approval.ts): the
 * cache slot reserved for the next incarnation (sent ahead in a 'prepare' message) and the
 * supervisor's approval, left in the mailbox block (RESTART_APPROVED) for the worker to take.
 */
export class InstantRestart {
  /** RESTART_APPROVED is set, as far as this side knows. */
  private approved = false;

  constructor(
    private readonly mailbox: Mailbox,
    private readonly slots: CacheSlots,
  ) {}

  /** The worker has (or is sent) a slot to restart into. */
  get prepared(): boolean {
    return this.slots.hasReserved;
  }

  /** Sends the worker the cache slot an incarnation that restarts at once would take. */
  prepare(worker: Worker | undefined): void {
    if (worker === undefined) return;
    const m = this.slots.reserve();
    if (m !== undefined) worker.postMessage(m);
  }

  approve(): void {
    if (!this.approved) this.mailbox.approveRestart();
    this.approved = true;
  }

  /** Takes the approval back; if the worker took it first, its report is on its way. */
  withdraw(): void {
    if (!this.approved) return;
    this.approved = false;
    this.mailbox.takeRestartApproval();
  }

  /** The worker took the approval and restarted: the reserved slot is now the running one. */
  taken(): void {
    this.approved = false;
    this.slots.promoteReserved();
  }

  /** The worker is gone: the approval is never left for the next worker. */
  reset(): void {
    this.approved = false;
    this.mailbox.takeRestartApproval();
  }
}
