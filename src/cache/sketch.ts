import { H_SKETCH_ADDS, SKETCH_ROWS } from './layout.js';

/**
 * The frequency sketch of W-TinyLFU (Einziger, Friedman, Manes: "TinyLFU: A Highly Efficient Cache
 * Admission Policy", 2017; Caffeine's FrequencySketch): a count-min sketch of 4-bit counters, four
 * rows, each a power of two wide, in shared memory. Only writers touch it, under the lock: readers
 * record their accesses in their own buffers, and the writer that drains them counts them here.
 * When the increments reach ten times the entries, every counter is halved so old popularity fades.
 */
const SEEDS = [0x97cb3127, 0x2c1b3c6d, 0x297a2d39, 0x8f4a7b4d];

export class FrequencySketch {
  /** A multiplicative hash's best bits are its highest: the counter index is the top log2(width) bits. */
  private readonly shift: number;

  constructor(
    private readonly words: Int32Array,
    private readonly header: Int32Array,
    private readonly width: number,
    private readonly resetAt: number,
  ) {
    this.shift = 32 - Math.log2(width);
  }

  /** Counts an access to the key of `hash` (its top bit is ignored: a reader's buffer uses it to mark misses). */
  increment(hash: number): void {
    hash &= 0x7fffffff;
    for (let row = 0; row < SKETCH_ROWS; row++) {
      const counter = row * this.width + (Math.imul(hash ^ SEEDS[row]!, 0x9e3779b1) >>> this.shift);
      const at = counter >>> 3;
      const shift = (counter & 7) << 2;
      const word = this.words[at]!;
      if (((word >>> shift) & 15) !== 15) this.words[at] = word + (1 << shift);
    }
    this.header[H_SKETCH_ADDS]!++;
  }

  frequency(hash: number): number {
    hash &= 0x7fffffff;
    let min = 15;
    for (let row = 0; row < SKETCH_ROWS; row++) {
      const counter = row * this.width + (Math.imul(hash ^ SEEDS[row]!, 0x9e3779b1) >>> this.shift);
      min = Math.min(min, (this.words[counter >>> 3]! >>> ((counter & 7) << 2)) & 15);
    }
    return min;
  }

  /** Halves every counter once the increments reach the reset point (a writer calls it, under the lock). */
  ageIfDue(): void {
    if (this.header[H_SKETCH_ADDS]! < this.resetAt) return;
    this.header[H_SKETCH_ADDS] = 0;
    // Each nibble halved: shift the word right by one and drop the bit that crossed into the nibble below.
    for (let i = 0; i < this.words.length; i++) this.words[i] = (this.words[i]! >>> 1) & 0x77777777;
  }
}
