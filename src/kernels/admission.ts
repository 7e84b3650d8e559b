/**
 * The pool's one queue limit, shared by every thread that makes calls (the host, and actors calling
 * pool threads straight over lanes): calls made and not settled, at most threads + maxQueue.
 */
export class Admission {
  constructor(
    /** One word on a SharedArrayBuffer: the calls outstanding. */
    readonly word: Int32Array,
    readonly limit: number,
  ) {}

  static create(limit: number): Admission {
    return new Admission(new Int32Array(new SharedArrayBuffer(4)), limit);
  }

  /** Takes a place, or says there is none. */
  enter(): boolean {
    for (;;) {
      const n = Atomics.load(this.word, 0);
      if (n >= this.limit) return false;
      if (Atomics.compareExchange(this.word, 0, n, n + 1) === n) return true;
    }
  }

  leave(): void {
    Atomics.sub(this.word, 0, 1);
  }
}
