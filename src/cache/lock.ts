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
