/**
 * Which of the host's calls a pool thread has begun: one shared word per call in flight, set by
 * the thread as it begins the call. When a thread is stopped under a lane call an actor gave up
 * on, piscina may already have handed it a host call that it never began (piscina does not see
 * lane calls, so the thread looked idle to it): that call is sent again rather than failed.
 */
export class BegunSlots {
  readonly words: Int32Array;
  private readonly free: number[] = [];

  constructor(size: number) {
    this.words = new Int32Array(new SharedArrayBuffer(4 * size));
    for (let i = size - 1; i >= 0; i--) this.free.push(i);
  }

  take(): number {
    const slot = this.free.pop();
    if (slot === undefined) throw new RangeError('more host calls in flight than the queue limit admits'); // Admission prevents it
    Atomics.store(this.words, slot, 0);
    return slot;
  }

  begun(slot: number): boolean {
    return Atomics.load(this.words, slot) !== 0;
  }

  release(slot: number): void {
    this.free.push(slot);
  }
}

/** Pool-thread side: call `slot` begins now. */
export function markBegun(words: Int32Array, slot: number): void {
  Atomics.store(words, slot, 1);
}
