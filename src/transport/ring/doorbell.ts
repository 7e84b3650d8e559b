import { CONTROL, PARKED, SIGNAL } from './layout.js';

/**
 * The wake-up protocol between the producers of a mailbox and its one consumer.
 *
 * The consumer announces it is about to sleep (PARKED = 1), checks once more for work, then
 * waits on SIGNAL. A producer that has just published reads PARKED; only the one that swaps it
 * from 1 to 0 bumps SIGNAL and notifies, so a burst of sends wakes the consumer once and a busy
 * consumer is never notified at all. Both sides use sequentially consistent Atomics, so either the
 * consumer sees the new record in its last check or the producer sees PARKED = 1.
 */
export class Doorbell {
  /** The mailbox header words it lives in (another thread rebuilds the doorbell from them). */
  constructor(readonly i32: Int32Array) {}

  /** Producer side: wakes the consumer if it is parked. Cheap when it is not. */
  ring(): void {
    const i32 = this.i32;
    if (Atomics.load(i32, PARKED) !== 0 && Atomics.compareExchange(i32, PARKED, 1, 0) === 1) {
      Atomics.add(i32, SIGNAL, 1);
      Atomics.notify(i32, SIGNAL, 1);
    }
  }

  /** Wakes the consumer whatever its state (control messages, a settled promise, shutdown). */
  ringAlways(): void {
    Atomics.store(this.i32, PARKED, 0);
    Atomics.add(this.i32, SIGNAL, 1);
    Atomics.notify(this.i32, SIGNAL, 1);
  }

  /**
   * Wakes every waiter, not just the first: a consumer loop that was abandoned while parked (its
   * actor restarted in the same thread) must not stay first in line, or a later ring would wake it
   * instead of the loop that replaced it.
   */
  wakeAll(): void {
    Atomics.store(this.i32, PARKED, 0);
    Atomics.add(this.i32, SIGNAL, 1);
    Atomics.notify(this.i32, SIGNAL);
  }

  /** Host side: a control message was posted; a parked actor wakes and reads it. */
  bumpControl(): void {
    Atomics.add(this.i32, CONTROL, 1);
    this.ringAlways();
  }

  /** How many control messages the host has posted so far. */
  controlCount(): number {
    return Atomics.load(this.i32, CONTROL);
  }

  /**
   * Consumer side, step 1: returns the signal value to wait on and marks the consumer parked.
   * The caller must check for work once more, and call `unpark` if it found some.
   */
  prepareToPark(): number {
    const seq = Atomics.load(this.i32, SIGNAL);
    Atomics.store(this.i32, PARKED, 1);
    return seq;
  }

  unpark(): void {
    Atomics.store(this.i32, PARKED, 0);
  }

  /** Consumer side, step 2, blocking the thread (and its event loop) for up to `timeoutMs`. */
  parkBlocking(seq: number, timeoutMs: number): void {
    Atomics.wait(this.i32, SIGNAL, seq, timeoutMs);
    Atomics.store(this.i32, PARKED, 0);
  }

  /**
   * Consumer side, step 2, leaving the event loop free. Woken by a ring, the ringer has already
   * cleared PARKED; only a wait that timed out (or never began) clears it itself. (A waiter that
   * resumes late, after another loop of the same thread parked in its place, must not clear that
   * loop's PARKED: producers would then never wake it.)
   */
  async parkAsync(seq: number, timeoutMs: number): Promise<void> {
    const r = Atomics.waitAsync(this.i32, SIGNAL, seq, timeoutMs);
    if (r.async && (await r.value) === 'ok') return;
    Atomics.store(this.i32, PARKED, 0);
  }
}
