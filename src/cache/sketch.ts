import { H_SKETCH_ADDS, SKETCH_ROWS } from './layout.js';

/**
 * The frequency sketch of W-TinyLFU (Einziger, Friedman, Manes: "TinyLFU: A Highly Efficient Cache
 * Admission Policy", 2017; Caffeine's FrequencySketch): a count-min sketch of 4-bit counters, four
 * rows, each a power of two wide, in shared memory. Readers count their hits into it without the
 * lock (a compare-and-swap of the word holding the counter; a lost race loses one count, which a
 * sketch tolerates); when the increments reach ten times the entries, a writer halves every counter
 * so that old popularity fades.
 */
const SEEDS = [0x97cb3127, 0x2c1b3c6d, 0x297a2d39, 0x8f4a7b4d];

export class FrequencySketch {
  private readonly mask: number;

  constructor(
    private readonly words: Int32Array,
    private readonly header: Int32Array,
    private readonly width: number,
    private readonly resetAt: number,
  ) {
    this.mask = width - 1;
  }

  increment(hash: number): void {
    for (let row = 0; row < SKETCH_ROWS; row++) {
      const counter = row * this.width + (Math.imul(hash ^ SEEDS[row]!, 0x9e3779b1) >>> 0 & this.mask);
      const at = counter >>> 3;
      const shift = (counter & 7) << 2;
      const word = Atomics.load(this.words, at);
      if (((word >>> shift) & 15) !== 15) Atomics.compareExchange(this.words, at, word, word + (1 << shift));
    }
    Atomics.add(this.header, H_SKETCH_ADDS, 1);
  }

  frequency(hash: number): number {
    let min = 15;
    for (let row = 0; row < SKETCH_ROWS; row++) {
      const counter = row * this.width + (Math.imul(hash ^ SEEDS[row]!, 0x9e3779b1) >>> 0 & this.mask);
      min = Math.min(min, (Atomics.load(this.words, counter >>> 3) >>> ((counter & 7) << 2)) & 15);
    }
    return min;
  }

  /** Halves every counter once the increments reach the reset point (a writer calls it, under the lock). */
  ageIfDue(): void {
    if (Atomics.load(this.header, H_SKETCH_ADDS) < this.resetAt) return;
    Atomics.store(this.header, H_SKETCH_ADDS, 0);
    for (let i = 0; i < this.words.length; i++) {
      // Each nibble halved: shift the word right by one and drop the bit that crossed into the nibble below.
      Atomics.store(this.words, i, (Atomics.load(this.words, i) >>> 1) & 0x77777777);
    }
  }
}
