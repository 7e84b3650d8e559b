/** The last `size` sequence numbers remembered, in a ring: O(1) however many came. */
export class SeqWindow {
  private readonly set = new Set<number>();
  private readonly order: number[] = [];
  private oldest = 0;

  constructor(private readonly size: number) {}

  has(seq: number): boolean {
    return this.set.has(seq);
  }

  add(seq: number): void {
    if (this.order.length < this.size) this.order.push(seq);
    else {
      this.set.delete(this.order[this.oldest]!);
      this.order[this.oldest] = seq;
      this.oldest = (this.oldest + 1) % this.size;
    }
    this.set.add(seq);
  }
}
