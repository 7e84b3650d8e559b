/**
 * The writers' lock of a cache: a futex-style mutex on one Int32 (0 free, 1 held, 2 held with
 * waiters), after Drepper's "Futexes Are Tricky". Held for microseconds (one set and its eviction
 * round), so a short spin comes first. (Node allows Atomics.wait on its main thread too.)
 */
const SPINS = 100;

export function lock(words: Int32Array, at: number): void {
  for (let i = 0; i < SPINS; i++) if (Atomics.compareExchange(words, at, 0, 1) === 0) return;
  let c = Atomics.exchange(words, at, 2);
  while (c !== 0) {
    Atomics.wait(words, at, 2, 5);
    c = Atomics.exchange(words, at, 2);
  }
}

export function unlock(words: Int32Array, at: number): void {
  if (Atomics.sub(words, at, 1) !== 1) {
    Atomics.store(words, at, 0);
    Atomics.notify(words, at, 1);
  }
}

/**
 * A cache's writers' lock with its holder written next to it (1 + a participant slot), so that the
 * host can tell, when a thread is gone, whether it died holding the lock.
 */
export class WriterLock {
  constructor(
    private readonly words: Int32Array,
    private readonly at: number,
    private readonly ownerAt: number,
  ) {}

  acquire(participant: number): void {
    lock(this.words, this.at);
    Atomics.store(this.words, this.ownerAt, participant + 1);
  }

  /** The lock if it is free now, else false (no wait). */
  tryAcquire(participant: number): boolean {
    if (Atomics.compareExchange(this.words, this.at, 0, 1) !== 0) return false;
    Atomics.store(this.words, this.ownerAt, participant + 1);
    return true;
  }

  release(): void {
    Atomics.store(this.words, this.ownerAt, 0);
    unlock(this.words, this.at);
  }

  heldBy(participant: number): boolean {
    return Atomics.load(this.words, this.at) !== 0 && Atomics.load(this.words, this.ownerAt) === participant + 1;
  }

  /** The lock of a holder that can never run again, taken over as it stands. */
  takeOver(participant: number): void {
    Atomics.store(this.words, this.ownerAt, participant + 1);
  }
}
