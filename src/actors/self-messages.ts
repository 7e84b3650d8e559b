import type { Doorbell } from '../transport/ring/doorbell.js';

/**
 * Messages an actor sends itself from its own thread (pipeToSelf): kept here as values, never
 * encoded, and handled by the actor loop one at a time between the messages of its mailbox, in
 * the order they came. Ringing the doorbell wakes a parked loop to handle them.
 */
export class SelfMessages {
  private readonly queue: unknown[] = [];

  constructor(private readonly doorbell: Doorbell) {}

  get size(): number {
    return this.queue.length;
  }

  push(msg: unknown): void {
    this.queue.push(msg);
    this.doorbell.ringAlways();
  }

  shift(): unknown {
    return this.queue.shift();
  }
}
