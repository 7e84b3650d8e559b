import type { CacheRegistry } from '../cache/registry.js';
import type { IncarnationStart, PrepareMessage } from '../transport/protocol.js';

/**
 * An actor's slots in the host's caches (a slot owns memos and a stats row): the one its running
 * incarnation holds, and the one reserved for an incarnation its worker may restart at once
 * (sent ahead in a 'prepare' message). A slot given up hands its memos to their waiters, which
 * scans every cache's entries (about half a millisecond for the default cache), so it is left
 * just after a restart is under way rather than before it.
 */
export class CacheSlots {
  private running: number | undefined;
  private reserved: { participant: number; generation: number } | undefined;

  constructor(private readonly caches: CacheRegistry) {}

  /** A slot for an incarnation that starts now: the cache part of its start message. */
  enter(): Pick<IncarnationStart, 'caches' | 'cacheParticipant' | 'cacheGeneration'> {
    const [cacheParticipant, cacheGeneration] = this.caches.enter();
    this.running = cacheParticipant;
    return { caches: this.caches.list(), cacheParticipant, cacheGeneration };
  }

  /** A slot reserved for a restart at once, as the message that tells the worker (undefined: one is reserved already). */
  reserve(): PrepareMessage | undefined {
    if (this.reserved !== undefined) return undefined;
    const [participant, generation] = this.caches.enter();
    this.reserved = { participant, generation };
    return { type: 'prepare', caches: this.caches.list(), cacheParticipant: participant, cacheGeneration: generation };
  }

  get hasReserved(): boolean {
    return this.reserved !== undefined;
  }

  /** The worker restarted at once: the running incarnation's slot is left, the reserved one is now running. */
  promoteReserved(): void {
    this.leaveRunning();
    this.running = this.reserved?.participant;
    this.reserved = undefined;
  }

  leaveRunning(): void {
    this.leaveLater(this.running);
    this.running = undefined;
  }

  /** The worker is gone: both slots are left. */
  leaveAll(): void {
    this.leaveRunning();
    this.leaveLater(this.reserved?.participant);
    this.reserved = undefined;
  }

  private leaveLater(slot: number | undefined): void {
    if (slot !== undefined) setImmediate(() => this.caches.leave(slot));
  }
}
